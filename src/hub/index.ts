// `alignkit/hub`: Hugging Face Hub ids as model and dataset inputs, fetched into (or read offline
// from) the Hugging Face cache that Python's huggingface_hub shares.
export { hashFile, hashKindOf, type HashKind } from './blob-hash.js';
export { RepoCache, etagOf, type TreeEntry } from './cache-layout.js';
export { HubError, type HubErrorCode } from './hub-error.js';
export { DEFAULT_REVISION, isRepoId, parseDatasetRef, parseModelRef, showRef, type DatasetRef, type RepoRef, type RepoType } from './hub-id.js';
export { PARQUET_BRANCH, resolveDatasetFiles, splitOfPath, type DatasetFiles } from './resolve-dataset.js';
export { MODEL_FILES, resolveModelOptions, resolveModelPath } from './resolve-model.js';
export { DEFAULT_ENDPOINT, hubSettings, type HubOptions, type HubSettings } from './settings.js';
export { fetchSnapshot, type Select, type Snapshot } from './snapshot.js';
