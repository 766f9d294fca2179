// Which strings name a Hugging Face Hub repository rather than a local path. A model is
// `org/name[@revision]`; a dataset `org/name[@revision][:[config/]split]`. The name rules are
// huggingface_hub's validate_repo_id (word characters, '-' and '.', no '--' or '..', no '.git'
// ending), with the namespace required: a bare `gpt2` stays a local path.

export type RepoType = 'model' | 'dataset';

export interface RepoRef {
  type: RepoType;
  /** `org/name`. */
  id: string;
  /** A branch, tag or commit; `main` when not given, as huggingface_hub defaults. */
  revision: string;
}

export interface DatasetRef extends RepoRef {
  /** The dataset's configuration (subset), when named. */
  config?: string;
  split: string;
}

export const DEFAULT_REVISION = 'main';
export const DEFAULT_SPLIT = 'train';
const REPO_ID = /^[\w.-]{1,96}\/[\w.-]{1,96}$/;
const COMMIT = /^[0-9a-f]{40}$/;

export function isRepoId(id: string): boolean {
  return REPO_ID.test(id) && !id.includes('--') && !id.includes('..') && !id.endsWith('.git') && !/(^|\/)[.-]|[.-](\/|$)/.test(id);
}

export const isCommit = (revision: string): boolean => COMMIT.test(revision);

/** `org/name[@revision]` as a model reference; null when `spec` is not one (a path). */
export function parseModelRef(spec: string): RepoRef | null {
  const at = spec.indexOf('@');
  const id = at < 0 ? spec : spec.slice(0, at);
  const revision = at < 0 ? DEFAULT_REVISION : spec.slice(at + 1);
  if (!isRepoId(id) || !isRevision(revision)) return null;
  return { type: 'model', id, revision };
}

/** `org/name[@revision][:[config/]split]` as a dataset reference; null when `spec` is not one. */
export function parseDatasetRef(spec: string): DatasetRef | null {
  const colon = spec.indexOf(':');
  const head = colon < 0 ? spec : spec.slice(0, colon);
  const tail = colon < 0 ? '' : spec.slice(colon + 1);
  const repo = parseModelRef(head);
  if (!repo) return null;
  const parts = tail === '' ? [] : tail.split('/');
  if (parts.length > 2 || parts.some((p) => !/^[\w.-]+$/.test(p))) return null;
  const split = parts.length ? parts[parts.length - 1]! : DEFAULT_SPLIT;
  return { ...repo, type: 'dataset', split, ...(parts.length === 2 ? { config: parts[0]! } : {}) };
}

/** The reference as a user writes it (revision left out when it is the default). */
export function showRef(ref: RepoRef): string {
  return ref.revision === DEFAULT_REVISION ? ref.id : `${ref.id}@${ref.revision}`;
}

// A git ref name or a commit: no spaces, no '..', no ':' (which starts a dataset's split).
function isRevision(r: string): boolean {
  return r.length > 0 && !/[\s:~^?*[\\]|\.\.|^\/|\/$/.test(r);
}
