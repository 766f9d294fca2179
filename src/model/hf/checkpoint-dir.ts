// A model as a Hugging Face checkpoint directory: config.json, model.safetensors,
// generation_config.json and the tokenizer's files, so `AutoModelForCausalLM.from_pretrained(dir)`
// and `AutoTokenizer.from_pretrained(dir)` read what alignkit trained, and alignkit reads back
// HF's GPT-2 and Llama checkpoints (F16/BF16 widened to F32, sharded or not).
//
// Atomic as a whole: everything is written into `<dir>.tmp-<pid>` beside it and renamed into
// place at the end, so an error while writing (or a crash) leaves `dir` as it was. Files of
// others in `dir` (trainer_state.json, metrics.jsonl, checkpoint-N/ ...) are moved across before
// the swap and survive; only the files a save owns (OWNED) are replaced, so stale adapter or
// shard files of an earlier save never linger. What a crash leaves: while writing, `dir` intact
// plus a stale .tmp-<pid> (never read); while moving others' files across, `dir` with the old
// checkpoint whole and some of those files in .tmp-<pid>; between the two renames of the swap,
// no `dir`, the old copy in `<dir>.old-<pid>` and the new, complete one in `<dir>.tmp-<pid>`
// (loadModelDir's error names them). A reader of `dir` never sees half a checkpoint.
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CheckpointError, MODEL_FILE, MODEL_INDEX_FILE, readJson, readSafetensorsShards, writeJsonAtomic } from '../../io/checkpoint.js';
import { writeSafetensors, type TensorToWrite } from '../../io/safetensors.js';
import { hasTokenizerFiles, loadTokenizer, type Tokenizer } from '../../tokenizer/index.js';
import type { Tensor } from '../../tensor/index.js';
import type { ModelConfig } from '../config.js';
import { fromHfConfig, HF_CONFIG_FILE, HF_FLOAT_KEYS, toHfConfig } from './config.js';
import { checkGeneration, fromHfGenerationConfig, GENERATION_CONFIG_FILE, toHfGenerationConfig, type GenerationSettings } from './generation-config.js';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, mergedParams, peftAdapter, readPeftAdapter } from './peft.js';
import { hfTensors, SCALAR_HEADS, weightsFromHf } from './weights.js';
import { rewardModelHfConfig, SCORE_BIAS, SCORE_WEIGHT, scoreBiasOf } from './reward-layout.js';
import { mergeLora, type LoraAdapter } from '../lora.js';
import { Transformer } from '../transformer.js';
import { layoutOf } from '../weights.js';

export interface SaveModelOptions {
  /** Its files (tokenizer.json, tokenizer_config.json) go beside the weights. */
  tokenizer?: Tokenizer;
  /** generation_config.json; its bos/eos/pad default to the tokenizer's. */
  generation?: GenerationSettings;
  /** More tensors for model.safetensors (names must not clash with parameters). */
  extraTensors?: ReadonlyMap<string, Tensor>;
  /** Strings for the safetensors header's __metadata__; "format" is always "pt", as HF requires. */
  metadata?: Readonly<Record<string, string>>;
  /**
   * LoRA adapters: 'merge' folds them into a copy of the weights, a plain checkpoint any HF tool
   * loads; 'peft' keeps the base weights and writes the adapters as PEFT's adapter_config.json +
   * adapter_model.safetensors, or those alone beside the tokenizer when model.loraBase is the
   * base on disk and nothing else trained. Default: model.saveAdapters ('merge' unless the model
   * was made ready for LoRA training or read from a PEFT adapter).
   */
  adapters?: 'merge' | 'peft';
  /** adapter_config.json's base_model_name_or_path; by default this directory's absolute path. */
  baseModelNameOrPath?: string;
  /** The weights' dtype on disk (default F32); BF16 and F16 round each value to nearest even. */
  dtype?: 'F32' | 'BF16' | 'F16';
  /** A directory whose tokenizer files are copied verbatim, instead of writing `tokenizer`'s. */
  tokenizerFilesFrom?: string;
}

/**
 * Writes `model` as a HF checkpoint directory, atomically. The files a save owns are replaced
 * together; anything else already in `dir` is kept.
 */
export function saveModelDir(dir: string, model: Transformer, opts: SaveModelOptions = {}): void {
  const final = resolve(dir);
  if (existsSync(final) && !statSync(final).isDirectory()) throw new CheckpointError(final, 'exists and is not a directory');
  const c = model.config, tok = opts.tokenizer;
  if (tok && tok.vocabSize > c.vocabSize) {
    throw new CheckpointError(final, `tokenizer has ${tok.vocabSize} ids but the model's vocabSize is ${c.vocabSize}; its ids would not fit the embedding`);
  }
  const g = opts.generation ?? {};
  const gen = checkGeneration({
    ...g, bos: g.bos === undefined ? tok?.bos ?? null : g.bos, eos: g.eos === undefined ? tok?.eos ?? null : g.eos, pad: g.pad === undefined ? tok?.pad ?? null : g.pad,
  }, join(final, GENERATION_CONFIG_FILE));
  // A model trained as LoRA is saved as what it is, base plus adapter (Transformer.saveAdapters).
  const peft = (opts.adapters ?? model.saveAdapters) === 'peft' && model.lora.size > 0;
  if (peft && adapterAlone(model, final, opts)) {
    writeAtomically(final, (tmp) => {
      writeJsonAtomic(join(tmp, GENERATION_CONFIG_FILE), toHfGenerationConfig(gen));
      tok?.save(tmp);
      writeAdapter(tmp, model, resolve(model.loraBase!));
    });
    return;
  }
  const params = peft ? model.params : mergedParams(model);
  const tensors = hfTensors(params, c);
  for (const [name, t] of opts.extraTensors ?? []) {
    if (tensors.has(name)) throw new CheckpointError(join(final, MODEL_FILE), `extra tensor ${JSON.stringify(name)} has the name of a model parameter`);
    tensors.set(name, { shape: [...t.shape], data: t.isHalf ? t.values() : t.data as Float32Array | Int32Array } satisfies TensorToWrite);
  }
  // A reward model goes out as its *ForSequenceClassification twin (reward-layout.ts).
  const ids = { bos: gen.bos ?? null, eos: gen.eos ?? null, pad: gen.pad ?? null };
  const scoreBias = params.get(SCORE_BIAS)?.f32[0] ?? 0;
  const hfConfig = params.has(SCORE_WEIGHT) ? rewardModelHfConfig(toHfConfig(c, ids), ids, scoreBias) : toHfConfig(c, ids);
  if (params.has(SCORE_WEIGHT)) tensors.delete(SCORE_BIAS);
  const dtype = opts.dtype ?? 'F32';
  if (dtype !== 'F32') for (const t of tensors.values()) if (t.data instanceof Float32Array) t.dtype = dtype;

  writeAtomically(final, (tmp) => {
    writeJsonAtomic(join(tmp, HF_CONFIG_FILE), hfConfig, HF_FLOAT_KEYS);
    writeJsonAtomic(join(tmp, GENERATION_CONFIG_FILE), toHfGenerationConfig(gen));
    if (opts.tokenizerFilesFrom !== undefined) copyTokenizerFiles(opts.tokenizerFilesFrom, tmp);
    else tok?.save(tmp);
    if (peft) writeAdapter(tmp, model, opts.baseModelNameOrPath ?? final);
    // from_pretrained refuses safetensors whose metadata lacks format "pt" (or tf/flax/mlx).
    writeSafetensors(join(tmp, MODEL_FILE), tensors, { ...opts.metadata, format: 'pt' });
  });
}

/**
 * Whether the adapter alone says it all: the base is a checkpoint on disk (model.loraBase), not
 * this directory, and nothing but the adapters trained (no head, no extra tensors to keep).
 */
function adapterAlone(model: Transformer, final: string, opts: SaveModelOptions): boolean {
  if (model.loraBase === null || resolve(model.loraBase) === final || opts.baseModelNameOrPath !== undefined) return false;
  if ((opts.extraTensors?.size ?? 0) > 0 || opts.metadata !== undefined) return false;
  return [...model.params.values()].every((t) => !t.requiresGrad);
}

function writeAdapter(dir: string, model: Transformer, base: string): void {
  const a = peftAdapter(model, base);
  writeJsonAtomic(join(dir, ADAPTER_CONFIG_FILE), a.config);
  writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), a.tensors, { format: 'pt' });
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'chat_template.jinja', 'vocab.json', 'merges.txt', 'tokenizer.model'];

function copyTokenizerFiles(from: string, to: string): void {
  for (const name of TOKENIZER_FILES) if (existsSync(join(from, name))) copyFileSync(join(from, name), join(to, name));
}

/** Fills `<final>.tmp-<pid>` with `write` and swaps it into place; on error `final` is as it was. */
export function writeAtomically(final: string, write: (tmp: string) => void): void {
  const tmp = `${final}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    write(tmp);
    swapInto(tmp, final);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

// The names a save writes, or that would contradict what it wrote if an earlier save left them
// (a model.safetensors beside a stale index is fine to readers, a stale adapter is not).
const OWNED = new Set([
  HF_CONFIG_FILE, GENERATION_CONFIG_FILE, MODEL_FILE, MODEL_INDEX_FILE, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE,
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'chat_template.jinja',
  'vocab.json', 'merges.txt', 'tokenizer.model',
]);
const isOwned = (name: string): boolean => OWNED.has(name) || /^model-\d+-of-\d+\.safetensors$/.test(name);

// rename(2) cannot replace a non-empty directory, so the old one steps aside first.
function swapInto(tmp: string, final: string): void {
  if (!existsSync(final)) {
    renameSync(tmp, final);
    syncDir(dirname(final));
    return;
  }
  const moved: string[] = [];
  const old = `${final}.old-${process.pid}`;
  try {
    for (const name of readdirSync(final)) {
      if (isOwned(name) || existsSync(join(tmp, name))) continue;
      renameSync(join(final, name), join(tmp, name));
      moved.push(name);
    }
    rmSync(old, { recursive: true, force: true });
    renameSync(final, old);
    try {
      renameSync(tmp, final);
    } catch (err) {
      renameSync(old, final);
      throw err;
    }
  } catch (err) {
    // Others' files go back before the caller deletes tmp.
    for (const name of moved) renameSync(join(tmp, name), join(final, name));
    throw err;
  }
  rmSync(old, { recursive: true, force: true });
  syncDir(dirname(final));
}

// Makes the renames durable (the files themselves were fsynced as they were written). Best
// effort: not every platform can open a directory for fsync.
function syncDir(path: string): void {
  try {
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot; the renames are still atomic, only their durability is the OS's.
  }
}

/** Leftovers of an interrupted save of `dir`, to name in an error. */
function interrupted(dir: string): string[] {
  const parent = dirname(dir), base = basename(dir);
  if (!existsSync(parent)) return [];
  return readdirSync(parent).filter((f) => f.startsWith(`${base}.tmp-`) || f.startsWith(`${base}.old-`)).map((f) => join(parent, f));
}

/**
 * When `dir` is a run directory (or an online trainer's checkpoint) rather than a model, which
 * folder inside it was meant (issue 16: "model_type = undefined" told a person nothing).
 */
function modelInside(dir: string): string | null {
  const has = (...p: string[]) => existsSync(join(dir, ...p));
  if (has('model', HF_CONFIG_FILE)) return `${dir} is a run directory; its model is ${join(dir, 'model')}`;
  if (has('policy', HF_CONFIG_FILE)) return `${dir} is an online trainer's checkpoint; its policy is ${join(dir, 'policy')}`;
  if (has('state.json') || has('metrics.jsonl') || has('checkpoints')) return `${dir} is a run directory with no final model yet (an unfinished or failed run); its checkpoints are in ${join(dir, 'checkpoints')}`;
  return null;
}

export interface LoadModelOptions {
  /** Load the tokenizer when its files are present: tokenizer.json, or vocab.json + merges.txt (default true). */
  tokenizer?: boolean;
  /** PEFT adapter files, if present: 'attach' (default) as model.lora, 'merge' into the weights, or 'ignore'. */
  adapters?: 'attach' | 'merge' | 'ignore';
  /** Return unknown tensors in `extras` instead of failing on them. */
  allowExtraTensors?: boolean;
  /** Overrides the dropout read from config.json (HF GPT-2 checkpoints say 0.1). */
  dropout?: number;
  /**
   * 'keep': the model's matrices (embeddings, projections, LM head) stay in the checkpoint's
   * 16-bit type when it is F16 or BF16, at half the memory, and the kernels widen them as they
   * read them (issue 18). Such a model computes exactly what its float32 widening computes but
   * cannot train those weights: for frozen models (a reference, a reward model, generation) and
   * a LoRA base. 'float32' (default) widens every tensor at load.
   */
  frozenDtype?: FrozenDtype;
}

/** How a frozen model's 16-bit matrices are held: kept 16-bit, or widened to float32 at load. */
export type FrozenDtype = 'keep' | 'float32';

export interface LoadedModelDir {
  model: Transformer;
  tokenizer: Tokenizer | null;
  /** From generation_config.json; null when the directory has none. */
  generation: GenerationSettings | null;
  extras: Map<string, Tensor>;
  /** The safetensors __metadata__. */
  metadata: Record<string, string>;
  /** The dtype of the weights on disk (of the first float tensor), before widening: F32, BF16, F16. */
  dtype: string;
}

/** Reads a HF checkpoint directory of a causal LM of any family hf/config.ts reads (GPT-2 and the RoPE families). */
export function loadModelDir(dir: string, opts: LoadModelOptions = {}): LoadedModelDir {
  const configFile = join(dir, HF_CONFIG_FILE);
  if (!existsSync(configFile) && existsSync(join(dir, ADAPTER_CONFIG_FILE))) return loadAdapterDir(dir, opts);
  const meant = modelInside(dir);
  if (!existsSync(configFile)) {
    if (meant) throw new CheckpointError(dir, meant);
    const left = interrupted(resolve(dir));
    throw new CheckpointError(configFile, `not found: ${dir} is not a Hugging Face model directory` +
      (left.length ? ` (an interrupted save left ${left.join(', ')}: an .old- directory is the previous checkpoint, a .tmp- one may be incomplete)` : ''));
  }
  const raw = readJson(configFile, 'model config');
  // A run directory has a config.json too: the run's, which says nothing of a model_type.
  if (meant && !(typeof raw === 'object' && raw !== null && 'model_type' in raw)) throw new CheckpointError(dir, meant);
  const { config: read } = fromHfConfig(raw, configFile);
  const config: ModelConfig = opts.dropout === undefined ? read : { ...read, dropout: opts.dropout };

  const keep16 = opts.frozenDtype === 'keep';
  const contents = readSafetensorsShards(dir, { keepHalf: keep16 });
  const weightsFile = contents.files.length === 1 ? contents.files[0]! : join(dir, MODEL_INDEX_FILE);
  const { params, extras } = weightsFromHf(config, contents.tensors, weightsFile, opts.allowExtraTensors, keep16);
  const scoreBias = scoreBiasOf(raw);
  if (scoreBias !== 0 && params.has(SCORE_BIAS)) params.get(SCORE_BIAS)!.f32[0] = scoreBias;
  const model = new Transformer(config, params);

  const mode = opts.adapters ?? 'attach';
  if (mode !== 'ignore' && existsSync(join(dir, ADAPTER_CONFIG_FILE))) {
    const adapters = readPeftAdapter(dir, model);
    if (mode === 'merge') mergeLora(model.params, adapters, layoutOf(config));
    else attach(model, adapters, null);
  }

  const genFile = join(dir, GENERATION_CONFIG_FILE);
  const generation = existsSync(genFile) ? fromHfGenerationConfig(readJson(genFile, 'generation config'), genFile) : null;

  let tokenizer: Tokenizer | null = null;
  if ((opts.tokenizer ?? true) && hasTokenizerFiles(dir)) {
    tokenizer = loadTokenizer(dir);
    if (tokenizer.vocabSize > config.vocabSize) {
      throw new CheckpointError(join(dir, existsSync(join(dir, 'tokenizer.json')) ? 'tokenizer.json' : 'vocab.json'), `has ${tokenizer.vocabSize} ids but config.json's vocab_size is ${config.vocabSize}`);
    }
  }
  return { model, tokenizer, generation, extras, metadata: contents.metadata, dtype: [...contents.tensors.values()].find((t) => t.data instanceof Float32Array)?.dtype ?? 'F32' };
}

/** As PEFT loads an adapter: the base frozen (scalar heads aside), the adapters the trainable part. */
function attach(model: Transformer, adapters: Map<string, LoraAdapter>, base: string | null): void {
  model.lora = adapters;
  for (const [name, t] of model.params) if (!SCALAR_HEADS.includes(name.split('.')[0]!)) t.requireGrad(false);
  model.loraBase = base;
  model.saveAdapters = 'peft';
}

/**
 * A directory holding a PEFT adapter alone (adapter_config.json, adapter_model.safetensors, maybe
 * the tokenizer): the base is the model directory its base_model_name_or_path names.
 */
function loadAdapterDir(dir: string, opts: LoadModelOptions): LoadedModelDir {
  const cfgFile = join(dir, ADAPTER_CONFIG_FILE);
  const base = adapterBase(dir);
  if (base === null) {
    const named = (readJson(cfgFile, 'PEFT adapter config') as Record<string, unknown>).base_model_name_or_path;
    throw new CheckpointError(cfgFile, `base_model_name_or_path = ${JSON.stringify(named)} is not a model directory (no config.json there); `
      + 'the adapter needs its base model: restore that directory, or merge with `alignkit merge --adapter DIR --base BASE_DIR --out DIR`');
  }
  const loaded = loadModelDir(base, { ...opts, adapters: 'ignore' });
  const mode = opts.adapters ?? 'attach';
  if (mode !== 'ignore') {
    const adapters = readPeftAdapter(dir, loaded.model);
    if (mode === 'merge') mergeLora(loaded.model.params, adapters, layoutOf(loaded.model.config));
    else attach(loaded.model, adapters, base);
  }
  let tokenizer = loaded.tokenizer;
  if ((opts.tokenizer ?? true) && hasTokenizerFiles(dir)) tokenizer = loadTokenizer(dir);
  const genFile = join(dir, GENERATION_CONFIG_FILE);
  const generation = existsSync(genFile) ? fromHfGenerationConfig(readJson(genFile, 'generation config'), genFile) : loaded.generation;
  return { ...loaded, tokenizer, generation };
}

/**
 * The base model directory an adapter directory names (absolute, or relative to the adapter
 * directory, then to the working directory), or null when it names none that exists.
 */
export function adapterBase(dir: string): string | null {
  const cfgFile = join(dir, ADAPTER_CONFIG_FILE);
  const raw = readJson(cfgFile, 'PEFT adapter config') as Record<string, unknown> | null;
  const named = raw?.base_model_name_or_path;
  if (typeof named !== 'string' || named === '') return null;
  for (const c of [resolve(dir, named), resolve(named)]) if (existsSync(join(c, HF_CONFIG_FILE))) return c;
  return null;
}
