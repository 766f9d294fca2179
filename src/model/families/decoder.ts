// The adapters of the RoPE families: each maps its config.json keys onto the switches of the one
// Llama-layout block (config.ts) and back. Keys and class defaults are transformers 5.18's
// configuration_<family>.py; a key whose value changes the computation in a way the block does not
// implement is refused by name, never dropped.
import type { BlockSwitches, ModelConfig } from '../config.js';
import { positive, std, type HfConfigJson, type HfReader } from './reader.js';
import { readRope, writeRope } from './rope-config.js';

export interface DecoderFamily {
  modelType: string;
  architecture: string;
  /** The class defaults of the keys read (a missing key means the default, as from_pretrained reads it). */
  defaults: Record<string, unknown>;
  /** The activation key and the values meaning the gate's activation. */
  act: { key: string; silu?: string[]; geluTanh?: string[] };
  /** Switches every model of the family has. */
  fixed: BlockSwitches;
  /** Without layer_types, which layers use sliding_window: all (Mistral, Phi-3), none unless asked, or a pattern. */
  windows: 'all' | 'qwen' | 'gemma2' | 'gemma3' | 'none';
  /** Reads the family's own keys. */
  extra?(r: HfReader): BlockSwitches;
  /** Writes them. */
  write?(c: ModelConfig): HfConfigJson;
}

const COMMON = {
  vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32,
  num_key_value_heads: null, max_position_embeddings: 2048, rms_norm_eps: 1e-6, initializer_range: 0.02,
  tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2, pad_token_id: null, hidden_act: 'silu',
};
const SILU = { key: 'hidden_act', silu: ['silu'] };
const GEMMA_ACT = { key: 'hidden_activation', geluTanh: ['gelu_pytorch_tanh', 'gelu_new', 'gelu_fast'] };

function gemma(r: HfReader): BlockSwitches {
  r.refuse('use_bidirectional_attention', (v) => v === false || v === null, 'false (alignkit\'s decoder is causal)');
  return { attnScale: Math.pow(r.num('query_pre_attn_scalar', positive, 'a positive number'), -0.5) };
}
const gemmaWrite = (c: ModelConfig): HfConfigJson => ({
  query_pre_attn_scalar: Math.round(Math.pow(c.attnScale ?? 1, -2) * 1e6) / 1e6, hidden_activation: 'gelu_pytorch_tanh',
  sliding_window: c.layerWindows?.find((w) => w !== null) ?? null, attention_bias: false, use_bidirectional_attention: false,
  layer_types: (c.layerWindows ?? Array<number | null>(c.nLayer).fill(null)).map((w) => (w === null ? 'full_attention' : 'sliding_attention')),
});
const GEMMA_FIXED: BlockSwitches = { normOffset: 1, embedScale: true, sandwichNorms: true, mlpAct: 'gelu_tanh' };

export const DECODER_FAMILIES: DecoderFamily[] = [
  { modelType: 'llama', architecture: 'LlamaForCausalLM', defaults: COMMON, act: SILU, fixed: {}, windows: 'none' },
  {
    modelType: 'mistral', architecture: 'MistralForCausalLM', act: SILU, fixed: {}, windows: 'all',
    defaults: { ...COMMON, intermediate_size: 14336, num_key_value_heads: 8, max_position_embeddings: 131072, sliding_window: 4096 },
  },
  {
    modelType: 'qwen2', architecture: 'Qwen2ForCausalLM', act: SILU, fixed: { qkvBias: true }, windows: 'qwen',
    defaults: { ...COMMON, vocab_size: 151936, intermediate_size: 22016, max_position_embeddings: 32768, bos_token_id: null, eos_token_id: null, max_window_layers: 28 },
  },
  {
    modelType: 'qwen3', architecture: 'Qwen3ForCausalLM', act: SILU, fixed: { qkNorm: true }, windows: 'qwen',
    defaults: { ...COMMON, vocab_size: 151936, intermediate_size: 22016, max_position_embeddings: 32768, bos_token_id: null, eos_token_id: null, head_dim: 128, max_window_layers: 28 },
  },
  {
    modelType: 'phi3', architecture: 'Phi3ForCausalLM', act: SILU, fixed: {}, windows: 'all',
    defaults: { ...COMMON, vocab_size: 32064, hidden_size: 3072, intermediate_size: 8192, max_position_embeddings: 4096, rms_norm_eps: 1e-5, eos_token_id: 32000, pad_token_id: 32000 },
    extra: (r) => {
      r.refuse('partial_rotary_factor', (v) => v === 1 || v === null, '1 (partial rotary embeddings are not implemented)');
      return {};
    },
  },
  {
    modelType: 'gemma2', architecture: 'Gemma2ForCausalLM', act: GEMMA_ACT, fixed: GEMMA_FIXED, windows: 'gemma2',
    defaults: { ...COMMON, vocab_size: 256000, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 8192, head_dim: 256, hidden_activation: 'gelu_pytorch_tanh', tie_word_embeddings: true, bos_token_id: 2, eos_token_id: 1, pad_token_id: 0, query_pre_attn_scalar: 256, sliding_window: 4096, attn_logit_softcapping: 50, final_logit_softcapping: 30 },
    extra: (r) => ({ ...gemma(r), attnSoftcap: softcap(r, 'attn_logit_softcapping'), finalSoftcap: softcap(r, 'final_logit_softcapping') }),
    write: (c) => ({ ...gemmaWrite(c), attn_logit_softcapping: c.attnSoftcap ?? null, final_logit_softcapping: c.finalSoftcap ?? null }),
  },
  {
    modelType: 'gemma3_text', architecture: 'Gemma3ForCausalLM', act: GEMMA_ACT, fixed: { ...GEMMA_FIXED, qkNorm: true }, windows: 'gemma3',
    defaults: { ...COMMON, vocab_size: 262208, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 131072, head_dim: 256, hidden_activation: 'gelu_pytorch_tanh', tie_word_embeddings: true, bos_token_id: 2, eos_token_id: 1, pad_token_id: 0, query_pre_attn_scalar: 256, sliding_window: 4096, rope_theta: 1e6, attn_logit_softcapping: null, final_logit_softcapping: null },
    extra: (r) => {
      const caps = { attnSoftcap: softcap(r, 'attn_logit_softcapping'), finalSoftcap: softcap(r, 'final_logit_softcapping') };
      return { ...gemma(r), ...Object.fromEntries(Object.entries(caps).filter(([, v]) => v !== null)) };
    },
    write: (c) => ({ ...gemmaWrite(c), attn_logit_softcapping: c.attnSoftcap ?? null, final_logit_softcapping: c.finalSoftcap ?? null }),
  },
];

function softcap(r: HfReader, key: string): number | null {
  // Here null is a value (no cap), not a missing key: only an absent key takes the class default.
  const v = key in r.j ? r.j[key] : r.get(key);
  if (v === null) return null;
  return typeof v === 'number' && v > 0 ? v : r.bad(key, v, 'null or a positive number');
}

/** Sliding window per layer: layer_types when given (transformers 5), else the family's 4.x rule. */
export function readWindows(r: HfReader, f: DecoderFamily, nLayer: number): (number | null)[] | undefined {
  const sw = r.get('sliding_window');
  const w = sw === null ? null : Number.isInteger(sw) && (sw as number) > 0 ? (sw as number) : r.bad('sliding_window', sw, 'null or a positive integer');
  const types = r.j.layer_types;
  let sliding: boolean[];
  if (Array.isArray(types)) {
    if (types.length !== nLayer) r.bad('layer_types', types, `${nLayer} entries (num_hidden_layers)`);
    sliding = types.map((t, i) => t === 'sliding_attention' ? true : t === 'full_attention' ? false
      : r.bad(`layer_types[${i}]`, t, '"full_attention" or "sliding_attention"'));
  } else if (types != null) return r.bad('layer_types', types, 'a list');
  else if (f.windows === 'all') sliding = Array<boolean>(nLayer).fill(w !== null);
  else if (f.windows === 'qwen') {
    const use = r.j.use_sliding_window === true, from = r.int('max_window_layers');
    sliding = Array.from({ length: nLayer }, (_, i) => use && i >= from);
  } else if (f.windows === 'gemma2') sliding = Array.from({ length: nLayer }, (_, i) => i % 2 === 0);
  else if (f.windows === 'gemma3') {
    const p = (r.j.sliding_window_pattern ?? r.j._sliding_window_pattern ?? 6) as number;
    sliding = Array.from({ length: nLayer }, (_, i) => (i + 1) % p !== 0);
  } else sliding = Array<boolean>(nLayer).fill(false);
  if (sliding.some((s) => s) && w === null) r.bad('sliding_window', sw, 'a positive integer (layers are marked sliding)');
  return sliding.some((s) => s) ? sliding.map((s) => (s ? w : null)) : undefined;
}

/** config.json → ModelConfig for a decoder family. */
export function decoderFromHf(f: DecoderFamily, r: HfReader): ModelConfig {
  const act = r.get(f.act.key) as string;
  if (f.act.silu?.includes(act)) { /* SwiGLU */ } else if (!f.act.geluTanh?.includes(act)) {
    r.bad(f.act.key, act, `one of ${JSON.stringify([...(f.act.silu ?? []), ...(f.act.geluTanh ?? [])])} (the gate activations alignkit implements for ${f.modelType})`);
  }
  if (f.modelType !== 'qwen2') r.refuse('attention_bias', (v) => v === false || v === null, `false (alignkit's ${f.modelType} projections have no bias)`);
  r.refuse('mlp_bias', (v) => v === false || v === null, `false (alignkit's ${f.modelType} projections have no bias)`);
  const C = r.int('hidden_size'), nHead = r.int('num_attention_heads'), nLayer = r.int('num_hidden_layers');
  const hd = r.j.head_dim ?? f.defaults.head_dim ?? null;
  if (hd !== null && !(Number.isInteger(hd) && (hd as number) > 0)) r.bad('head_dim', hd, 'null or a positive integer');
  const maxPos = r.int('max_position_embeddings');
  const rope = readRope(r, maxPos, (f.defaults.rope_theta as number | undefined) ?? 10000, f.modelType === 'gemma3_text' ? 10000 : undefined);
  const ours = r.j.alignkit as Record<string, unknown> | undefined;
  const dropout = f.modelType === 'phi3' ? r.get('resid_pdrop') ?? 0 : ours?.residual_dropout ?? 0;
  if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) r.bad(f.modelType === 'phi3' ? 'resid_pdrop' : 'alignkit.residual_dropout', dropout, 'a number in [0, 1)');
  const windows = readWindows(r, f, nLayer);
  const sw: BlockSwitches = {
    ...(f.modelType !== 'llama' ? { modelType: f.modelType } : {}), ...f.fixed,
    ...(hd !== null && hd !== C / nHead ? { headDim: hd as number } : {}),
    ...(rope.rope.type !== 'default' ? { rope: rope.rope } : {}), ...(rope.localTheta !== undefined && windows ? { localRopeTheta: rope.localTheta } : {}),
    ...(windows ? { layerWindows: windows } : {}), ...f.extra?.(r),
  };
  const grow = rope.rope.type === 'dynamic' ? rope.rope.factor : 1; // dynamic NTK runs past the trained length
  return {
    family: 'llama', vocabSize: r.int('vocab_size'), maxSeqLen: Math.floor(maxPos * grow), dModel: C, nLayer,
    nHead, nKvHead: r.j.num_key_value_heads == null && f.defaults.num_key_value_heads == null ? nHead : r.int('num_key_value_heads'), dFF: r.int('intermediate_size'),
    normEps: r.num('rms_norm_eps', positive, 'a positive number'), ropeTheta: rope.theta,
    tieEmbeddings: r.flag('tie_word_embeddings'), dropout: dropout as number, initStd: r.num('initializer_range', std, 'a number in [0, 1]'), ...sw,
  };
}

/** ModelConfig → config.json for a decoder family (the bos/eos/pad keys are the caller's). */
export function decoderToHf(f: DecoderFamily, c: ModelConfig): HfConfigJson {
  const maxPos = c.rope?.type === 'dynamic' ? c.rope.originalMax : c.maxSeqLen;
  const localRope = c.localRopeTheta !== undefined ? { rope_local_base_freq: c.localRopeTheta } : {};
  const windows = c.layerWindows ?? Array<number | null>(c.nLayer).fill(null);
  return {
    architectures: [f.architecture], model_type: f.modelType,
    vocab_size: c.vocabSize, hidden_size: c.dModel, intermediate_size: c.dFF, num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead, num_key_value_heads: c.nKvHead, head_dim: c.headDim ?? c.dModel / c.nHead,
    max_position_embeddings: maxPos, [f.act.key]: f.act.silu ? 'silu' : 'gelu_pytorch_tanh', rms_norm_eps: c.normEps,
    ...writeRope(c.ropeTheta, c.rope), ...localRope, attention_dropout: 0,
    ...(f.modelType === 'llama' ? { attention_bias: false, mlp_bias: false, pretraining_tp: 1 } : {}),
    ...(f.modelType === 'qwen3' ? { attention_bias: false } : {}),
    ...(f.windows === 'all' ? { sliding_window: windows.find((w) => w !== null) ?? null } : {}),
    ...(f.windows === 'qwen' ? { use_sliding_window: windows.some((w) => w !== null), sliding_window: windows.find((w) => w !== null) ?? null, max_window_layers: Math.max(0, windows.findIndex((w) => w !== null)), layer_types: windows.map((w) => (w === null ? 'full_attention' : 'sliding_attention')) } : {}),
    ...(f.modelType === 'phi3' ? { resid_pdrop: c.dropout, embd_pdrop: c.dropout } : {}),
    initializer_range: c.initStd, use_cache: true, tie_word_embeddings: c.tieEmbeddings, ...f.write?.(c),
  };
}

export function decoderFamily(modelType: string): DecoderFamily | undefined {
  return DECODER_FAMILIES.find((f) => f.modelType === modelType);
}
