// The models `alignkit serve` answers for: the base policy under its name, and LoRA adapters under
// theirs (vLLM's /v1/load_lora_adapter and /v1/unload_lora_adapter), plus alignkit's
// /v1/load_model, which swaps the base weights for a checkpoint of the same architecture. Each
// change makes new Transformer objects and leaves the old ones alone: a request holds the object
// it was admitted with (src/model/sampling/engine), so in-flight requests finish on the weights
// they started with, and requests made after the route returns see the new ones.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Transformer, loadModelDir, readPeftAdapter, stopTokensOf, type GenerationSettings } from '../model/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { ApiError, badField } from './http.js';

export interface ServedModel {
  id: string;
  model: Transformer;
  /** Unix seconds when it was loaded. */
  created: number;
  /** The adapter's base, for /v1/models' `parent`. */
  parent: string | null;
  path: string;
}

export class ModelRegistry {
  readonly tokenizer: Tokenizer;
  /** The tokenizer's EOS and generation_config.json's eos ids: they end a sample. */
  readonly stopTokens: number[];
  private base: ServedModel;
  private readonly adapters = new Map<string, ServedModel>();

  constructor(dir: string, readonly name: string = dir) {
    const { model, tokenizer, generation } = loadModelDir(dir);
    if (!tokenizer) throw new Error(`--model ${dir}: no tokenizer files (tokenizer.json), so prompts cannot be encoded`);
    this.tokenizer = tokenizer;
    this.stopTokens = stopTokensOf(tokenizer, generation as GenerationSettings | null);
    this.base = { id: name, model, created: now(), parent: null, path: resolve(dir) };
  }

  get baseModel(): Transformer {
    return this.base.model;
  }

  list(): ServedModel[] {
    return [this.base, ...this.adapters.values()];
  }

  /** The weights a request's `model` names: the base (also by its path, or when absent) or an adapter. */
  resolve(name: unknown): Transformer {
    if (name === undefined || name === null || name === this.base.id || name === this.base.path) return this.base.model;
    if (typeof name !== 'string') badField('model', name, 'a string: the served model or a loaded LoRA adapter');
    const a = this.adapters.get(name);
    if (!a) throw new ApiError(404, `model ${JSON.stringify(name)} does not exist: this server has ${this.list().map((m) => JSON.stringify(m.id)).join(', ')}`, 'model', 'model_not_found');
    return a.model;
  }

  loadAdapter(body: Record<string, unknown>): string {
    const name = body.lora_name, path = body.lora_path;
    if (typeof name !== 'string' || !name) badField('lora_name', name, 'a non-empty string');
    if (name === this.base.id) badField('lora_name', name, `a name other than the served model's`);
    const dir = checkDir('lora_path', path);
    const model = new Transformer(this.base.model.config, this.base.model.params);
    model.lora = fromFiles('lora_path', () => readPeftAdapter(dir, this.base.model));
    const replaced = this.adapters.has(name);
    this.adapters.set(name, { id: name, model, created: now(), parent: this.base.id, path: dir });
    return `${replaced ? 'replaced' : 'loaded'} LoRA adapter ${name} from ${dir}`;
  }

  unloadAdapter(body: Record<string, unknown>): string {
    const name = body.lora_name;
    if (typeof name !== 'string' || !name) badField('lora_name', name, 'a non-empty string');
    if (!this.adapters.delete(name)) throw new ApiError(404, `no LoRA adapter named ${JSON.stringify(name)} is loaded`, 'lora_name', 'model_not_found');
    return `unloaded LoRA adapter ${name}`;
  }

  /** New base weights of the same architecture; the adapters are re-attached to them. */
  loadModel(body: Record<string, unknown>): string {
    const dir = checkDir('model_path', body.model_path);
    const { model } = fromFiles('model_path', () => loadModelDir(dir));
    const want = JSON.stringify(this.base.model.config), got = JSON.stringify(model.config);
    if (want !== got) badField('model_path', dir, `a checkpoint of the served architecture (config ${want}); it has ${got}`);
    this.base = { ...this.base, model, created: now(), path: dir };
    for (const [name, a] of this.adapters) {
      const m = new Transformer(model.config, model.params);
      m.lora = a.model.lora;
      this.adapters.set(name, { ...a, model: m });
    }
    return `loaded ${dir} as ${this.base.id}`;
  }
}

const now = (): number => Math.floor(Date.now() / 1000);

function checkDir(param: string, path: unknown): string {
  if (typeof path !== 'string' || !path) badField(param, path, 'a directory path');
  const dir = resolve(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) badField(param, path, 'an existing directory on the server');
  return dir;
}

/** Reading a checkpoint: its errors (which name the file) become a 400 on `param`. */
function fromFiles<T>(param: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new ApiError(400, `${param}: ${(err as Error).message}`, param, 'invalid_checkpoint');
  }
}
