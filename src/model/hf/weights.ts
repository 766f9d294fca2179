// Model weights ↔ the tensors of a Hugging Face model.safetensors. Names already match one to one
// (weights.ts), so writing is a plain copy; reading is where checkpoints from elsewhere are
// checked: every expected tensor present with its exact shape, HF's non-parameter buffers
// skipped, scalar heads taken in, and anything else refused rather than silently dropped.
import { CheckpointError } from '../../io/checkpoint.js';
import type { SafetensorsDataOrHalf, SafetensorsTensor, TensorToWrite } from '../../io/safetensors.js';
import { param } from '../../nn/index.js';
import { Tensor, shapeStr, widenHalf, type HalfDType } from '../../tensor/index.js';
import type { ModelConfig } from '../config.js';
import { embeddingName, expectedShapes, type Params } from '../weights.js';
import { hasFusedProjections, joinFused, splitFused } from '../families/fused.js';

/** Scalar heads (heads.ts) that a checkpoint may carry beside the LM: reward (`score`), value (`v_head`). */
export const SCALAR_HEADS = ['score', 'v_head'];

// Buffers, not parameters: GPT-2's causal mask (attn.bias) and its fill value (attn.masked_bias),
// and Llama's RoPE frequencies; older transformers saved them, the engine recomputes them.
const HF_BUFFER = /^(transformer\.h\.\d+\.attn\.(bias|masked_bias)|model\.(layers\.\d+\.self_attn\.)?rotary_emb\.inv_freq)$/;

/**
 * Throws naming the tensor when it holds NaN or ±Infinity: a diverged run's weights, or a
 * damaged file, would otherwise train on silently and spread NaN through every update (issue 16).
 */
export function checkFiniteTensor(name: string, data: ArrayLike<number>, file: string): void {
  for (let i = 0; i < data.length; i++) {
    if (Number.isFinite(data[i]!)) continue;
    let count = 0;
    for (let j = i; j < data.length; j++) if (!Number.isFinite(data[j]!)) count++;
    throw new CheckpointError(file, `tensor ${JSON.stringify(name)} holds ${data[i]} at index ${i} (${count} of its ${data.length} values are not finite); `
      + 'the weights of a diverged run, or a damaged file: load an earlier checkpoint');
  }
}

/** Tensors to write for `params`: every parameter as F32 under its HF name (Phi-3's projections fused again). */
export function hfTensors(params: Params, c?: ModelConfig): Map<string, TensorToWrite> {
  const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  // A frozen 16-bit weight is written widened, which is exact.
  for (const [name, t] of params) out.set(name, { shape: [...t.shape], data: t.values() });
  return c && hasFusedProjections(c) ? joinFused(c, out, (shape, data) => ({ shape, data })) : out;
}

export interface WeightsFromHf {
  params: Params;
  /** Tensors that are neither parameters nor known extras; only kept when allowed. */
  extras: Map<string, Tensor>;
}

type FileTensor = SafetensorsTensor<SafetensorsDataOrHalf>;

const HALF_DTYPES: Record<string, HalfDType> = { BF16: 'bfloat16', F16: 'float16' };

/** A tensor read with its F16/BF16 data kept 16-bit, widened to float32 (exactly). */
function widened(t: FileTensor): SafetensorsTensor {
  return t.data instanceof Uint16Array ? { ...t, data: widenHalf(t.data, HALF_DTYPES[t.dtype]!) } : t as SafetensorsTensor;
}

/** Throws naming the tensor when a 16-bit one holds NaN or ±Infinity (all exponent bits set). */
function checkFiniteHalf(name: string, t: FileTensor & { data: Uint16Array }, file: string): void {
  const mask = t.dtype === 'BF16' ? 0x7f80 : 0x7c00;
  for (let i = 0; i < t.data.length; i++) if ((t.data[i]! & mask) === mask) return checkFiniteTensor(name, widened(t).data, file);
}

/**
 * Builds the parameters of a `c` model from checkpoint tensors. `file` names the weights file in
 * errors. Unknown tensors are an error unless `allowExtra`, when they come back in `extras`.
 * Tensors read 16-bit (readSafetensors' keepHalf) stay so when `keep16` and they are the model's
 * matrices (embeddings, projections, LM head): frozen weights (issue 18); every other one, and
 * every one without `keep16`, is widened to float32.
 */
export function weightsFromHf(c: ModelConfig, read: ReadonlyMap<string, FileTensor>, file: string, allowExtra = false, keep16 = false): WeightsFromHf {
  const byName = addBasePrefix(c, hasFusedProjections(c) ? splitFused(c, read, (shape, data, t) => ({ dtype: t.dtype, shape, data })) : read);
  const expected = expectedShapes(c);
  const params: Params = new Map();
  const extras = new Map<string, Tensor>();
  const unexpected: string[] = [];
  const asParam = (name: string, t: FileTensor, frozen = false): Tensor => paramOf(name, t, file, frozen && keep16);
  const checkShape = (name: string, t: FileTensor, want: readonly number[], why: string): void => {
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new CheckpointError(file, `tensor ${JSON.stringify(name)} has shape ${shapeStr(t.shape)}, expected ${shapeStr(want)} (${why})`);
    }
  };
  let tiedHead: FileTensor | undefined;
  for (const [name, t] of byName) {
    const want = expected.get(name);
    if (want) {
      checkShape(name, t, want, 'from config.json');
      params.set(name, asParam(name, t, true));
    } else if (HF_BUFFER.test(name)) {
      continue;
    } else if (name === 'lm_head.weight' && c.tieEmbeddings) {
      tiedHead = t; // HF may store the tied copy; it must then equal the embedding (checked below).
    } else if (isHeadParam(name)) {
      checkShape(name, t, name.endsWith('.weight') ? [1, c.dModel] : [1], 'a scalar head maps C to 1');
      params.set(name, asParam(name, t));
    } else if (allowExtra) {
      extras.set(name, new Tensor(widened(t).data, t.shape));
    } else {
      unexpected.push(name);
    }
  }
  // transformers' *ForSequenceClassification has no LM head; a reward model never reads one, so an
  // untied checkpoint's is left at zero rather than refused.
  if (params.has('score.weight') && expected.has('lm_head.weight') && !params.has('lm_head.weight') && !byName.has('lm_head.weight')) {
    params.set('lm_head.weight', param(new Tensor(new Float32Array(c.vocabSize * c.dModel), [c.vocabSize, c.dModel]), 'lm_head.weight'));
  }
  const missing = [...expected.keys()].filter((k) => !params.has(k));
  if (missing.length > 0) {
    const want = expected.get(missing[0]!)!;
    throw new CheckpointError(file, `missing tensor ${JSON.stringify(missing[0])} of shape ${shapeStr(want)}` +
      (missing.length > 1 ? ` (and ${missing.length - 1} more: ${missing.slice(1, 4).map((m) => JSON.stringify(m)).join(', ')}${missing.length > 4 ? ', …' : ''})` : '') +
      ` required by config.json (${c.family}, ${c.nLayer} layers, tie_word_embeddings ${c.tieEmbeddings})`);
  }
  if (unexpected.length > 0) {
    throw new CheckpointError(file, `unexpected tensor${unexpected.length > 1 ? 's' : ''} ${unexpected.slice(0, 4).map((u) => JSON.stringify(u)).join(', ')}` +
      `${unexpected.length > 4 ? ` (${unexpected.length} in all)` : ''}: not a ${c.family} parameter, a scalar head (${SCALAR_HEADS.join(', ')}) or a known HF buffer; ` +
      'a different architecture or a config.json that does not match the weights?');
  }
  if (tiedHead) {
    const emb = params.get(embeddingName(c))!.values(), head = widened(tiedHead).data;
    const same = tiedHead.shape.length === 2 && tiedHead.shape[0] === c.vocabSize && tiedHead.shape[1] === c.dModel && head.every((v, i) => Object.is(v, emb[i]));
    if (!same) throw new CheckpointError(file, `tensor "lm_head.weight" differs from ${JSON.stringify(embeddingName(c))} but config.json has tie_word_embeddings true`);
  }
  for (const h of SCALAR_HEADS) {
    // HF's *ForSequenceClassification score layer has no bias; ours does, and zero is the same map.
    if (params.has(`${h}.weight`) && !params.has(`${h}.bias`)) params.set(`${h}.bias`, param(new Tensor(new Float32Array(1), [1]), `${h}.bias`));
    if (params.has(`${h}.bias`) && !params.has(`${h}.weight`)) throw new CheckpointError(file, `tensor "${h}.bias" is present but "${h}.weight" is missing`);
  }
  // The canonical order initParams uses, whatever order the file had, so namedParameters() of a
  // loaded model lines up with a fresh one's (optimizer state, gradient lists).
  const ordered: Params = new Map([...expected.keys()].map((k) => [k, params.get(k)!]));
  for (const [k, t] of params) if (!ordered.has(k)) ordered.set(k, t);
  return { params: ordered, extras };
}

/** A checkpoint tensor as a parameter: float32 and trainable, or, when `keep16` allows, a frozen 16-bit matrix. */
function paramOf(name: string, read: FileTensor, file: string, keep16: boolean): Tensor {
  if (read.data instanceof Uint16Array && keep16 && read.shape.length === 2) {
    checkFiniteHalf(name, read as FileTensor & { data: Uint16Array }, file);
    const t = new Tensor(read.data, read.shape, false, HALF_DTYPES[read.dtype]!);
    t.name = name;
    return t;
  }
  const t = widened(read);
  if (!(t.data instanceof Float32Array)) {
    throw new CheckpointError(file, `tensor ${JSON.stringify(name)} has dtype ${t.dtype}, expected a float dtype (F32, F16, BF16)`);
  }
  checkFiniteTensor(name, t.data, file);
  return param(new Tensor(t.data, t.shape), name);
}

function isHeadParam(name: string): boolean {
  const [head, leaf, ...rest] = name.split('.');
  return rest.length === 0 && SCALAR_HEADS.includes(head!) && (leaf === 'weight' || leaf === 'bias');
}

// A checkpoint saved from the bare GPT2Model / LlamaModel (openai-community/gpt2 is one) names its
// tensors without the base-model prefix; from_pretrained adds it back, so we do too.
function addBasePrefix<T>(c: ModelConfig, tensors: ReadonlyMap<string, T>): ReadonlyMap<string, T> {
  const prefix = c.family === 'gpt2' ? 'transformer.' : 'model.';
  const bare = embeddingName(c).slice(prefix.length);
  if (tensors.has(embeddingName(c)) || !tensors.has(bare)) return tensors;
  const out = new Map<string, T>();
  for (const [name, t] of tensors) {
    const top = name.split('.')[0]!;
    out.set(top === 'lm_head' || SCALAR_HEADS.includes(top) ? name : prefix + name, t);
  }
  return out;
}
