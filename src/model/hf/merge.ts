// `alignkit merge`: a PEFT LoRA adapter folded into its base, written as a plain Hugging Face model
// directory (config.json, model.safetensors in the base's dtype, the tokenizer files copied as
// they are), atomically through saveModelDir. The base is --base, or the directory the adapter's
// base_model_name_or_path names, or the adapter directory itself when it holds its base's weights.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointError } from '../../io/checkpoint.js';
import { hasTokenizerFiles } from '../../tokenizer/index.js';
import { mergeLora } from '../lora.js';
import { layoutOf } from '../weights.js';
import { HF_CONFIG_FILE } from './config.js';
import { adapterBase, loadModelDir, saveModelDir } from './checkpoint-dir.js';
import { ADAPTER_CONFIG_FILE, readPeftAdapter } from './peft.js';

export interface MergeAdapterOptions {
  /** A PEFT adapter directory (adapter_config.json, adapter_model.safetensors). */
  adapter: string;
  /** The base model directory (default: the adapter's base_model_name_or_path). */
  base?: string | undefined;
  out: string;
}

export interface MergeAdapterResult { out: string; base: string; dtype: string; modules: number }

export function mergeAdapterDir(o: MergeAdapterOptions): MergeAdapterResult {
  const adapter = resolve(o.adapter), out = resolve(o.out);
  if (!existsSync(join(adapter, ADAPTER_CONFIG_FILE))) {
    throw new CheckpointError(join(adapter, ADAPTER_CONFIG_FILE), `not found: --adapter ${o.adapter} is not a PEFT adapter directory`);
  }
  const base = o.base !== undefined ? resolve(o.base) : existsSync(join(adapter, HF_CONFIG_FILE)) ? adapter : adapterBase(adapter);
  if (base === null) {
    throw new CheckpointError(join(adapter, ADAPTER_CONFIG_FILE), 'base_model_name_or_path names no model directory here; give the base with --base DIR');
  }
  if (out === adapter || out === base) throw new Error(`--out ${o.out}: the merged model must go to a directory other than --adapter and the base (${base})`);
  const loaded = loadModelDir(base, { adapters: 'ignore' });
  const adapters = readPeftAdapter(adapter, loaded.model);
  mergeLora(loaded.model.params, adapters, layoutOf(loaded.model.config));
  const dtype = loaded.dtype === 'BF16' || loaded.dtype === 'F16' ? loaded.dtype : 'F32';
  // The adapter's own tokenizer files, when a trainer saved them beside it, else the base's.
  const tokenizerFilesFrom = hasTokenizerFiles(adapter) ? adapter : base;
  saveModelDir(out, loaded.model, {
    ...(loaded.tokenizer ? { tokenizer: loaded.tokenizer } : {}), ...(loaded.generation ? { generation: loaded.generation } : {}),
    dtype, tokenizerFilesFrom, adapters: 'merge',
  });
  return { out, base, dtype, modules: adapters.size };
}
