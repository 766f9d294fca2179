// `--model org/name[@revision]` (and --reference, --reward-model, --policy): the one place where
// a model option becomes a directory. A path that exists is used as it is, whatever it looks like;
// a Hub id is fetched into the Hugging Face cache (only the files a model directory needs, as
// snapshot_download's allow_patterns would) and its snapshots/<commit> directory is returned.
import { existsSync } from 'node:fs';
import type { Option, Options } from '../config/index.js';
import type { TreeEntry } from './cache-layout.js';
import { HubError } from './hub-error.js';
import { parseModelRef, showRef, type RepoRef } from './hub-id.js';
import { hubSettings, type HubOptions } from './settings.js';
import { fetchSnapshot, type Select } from './snapshot.js';

/**
 * What loadModelDir and transformers' from_pretrained read, at the top of the repository: config,
 * weights (one file or shards with their index; PEFT adapters), generation settings, and the
 * tokenizer in any of its forms with its chat template. Other folders (onnx/, original/) are left.
 */
export const MODEL_FILES = /^(?:config\.json|generation_config\.json|[^/]+\.safetensors|model\.safetensors\.index\.json|adapter_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|added_tokens\.json|vocab\.json|merges\.txt|tokenizer\.model|chat_template\.jinja|chat_template\.json)$/;

function modelFiles(ref: RepoRef): Select {
  return (entries) => {
    const chosen = entries.filter((e: TreeEntry) => MODEL_FILES.test(e.path));
    const names = () => entries.slice(0, 12).map((e) => e.path).join(', ') + (entries.length > 12 ? ', …' : '');
    if (!chosen.some((e) => e.path === 'config.json')) throw new HubError('no-files', `${showRef(ref)}: no config.json at the top of the repository, so not a transformers model (it has: ${names() || 'no files'})`);
    if (!chosen.some((e) => e.path.endsWith('.safetensors'))) throw new HubError('no-files', `${showRef(ref)}: no .safetensors weights (alignkit does not read pytorch_model.bin; it has: ${names()})`);
    return chosen;
  };
}

/** A local directory for `spec`: the path itself when it exists (or is no Hub id), else the cached snapshot. */
export async function resolveModelPath(spec: string, opts: HubOptions = {}): Promise<string> {
  if (existsSync(spec)) return spec;
  const ref = parseModelRef(spec);
  if (!ref) return spec;
  const snap = await fetchSnapshot(ref, modelFiles(ref), hubSettings(opts));
  return snap.dir;
}

const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;

/**
 * `values` with every option declared `hub: 'model'` resolved to a local directory; errors name
 * the flag. `values.quiet` (a job's) silences the download progress.
 */
export async function resolveModelOptions<T extends object>(options: Options, values: T, hooks: { log?: (line: string) => void } = {}): Promise<T> {
  const out = { ...values } as Record<string, unknown>;
  for (const [key, e] of Object.entries(options)) {
    const v = out[key];
    if (e.kind !== 'option' || (e as Option).hub !== 'model' || typeof v !== 'string') continue;
    try {
      out[key] = await resolveModelPath(v, { quiet: out.quiet === true, ...(hooks.log ? { log: hooks.log } : {}) });
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      throw new HubError(err.code, `${flagOf(key)} ${v}: no local directory of that name, and from the Hub: ${err.message}`, err.reason);
    }
  }
  return out as T;
}
