// ModelConfig ↔ Hugging Face config.json, for GPT2LMHeadModel and LlamaForCausalLM. Keys and
// defaults follow transformers' configuration_gpt2.py and configuration_llama.py (the 4.x layout
// that hub checkpoints use; v5's rope_parameters is read too): a key missing from config.json takes the class default, as
// from_pretrained does, and keys we do not use are ignored. A key whose value changes the
// computation in a way alignkit does not implement is refused, never silently dropped.
import { CheckpointError } from '../../io/checkpoint.js';
import { validateConfig, type Family, type ModelConfig } from '../config.js';

export const HF_CONFIG_FILE = 'config.json';

/** Special-token ids as config.json and generation_config.json carry them. */
export interface HfTokenIds {
  bos: number | null;
  /** Llama 3 style configs list several ids that all end a sample. */
  eos: number | number[] | null;
  pad: number | null;
}

export type HfConfigJson = Record<string, unknown>;

// GELU in its tanh form is what the engine computes; these HF names all mean exactly that form
// (transformers activations.py: NewGELUActivation, PytorchGELUTanh, FastGELUActivation).
const TANH_GELU = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'];

// HF's class defaults for the keys we read, so a sparse config.json means what it means to HF.
const GPT2_DEFAULTS = {
  vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null,
  activation_function: 'gelu_new', resid_pdrop: 0.1, layer_norm_epsilon: 1e-5, initializer_range: 0.02,
  tie_word_embeddings: true, bos_token_id: 50256, eos_token_id: 50256, pad_token_id: null,
};
const LLAMA_DEFAULTS = {
  vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32,
  num_key_value_heads: null, max_position_embeddings: 2048, rms_norm_eps: 1e-6, rope_theta: 10000,
  initializer_range: 0.02, tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2, pad_token_id: null,
  hidden_act: 'silu',
};

// Which config.json key each ModelConfig field comes from, to name it when validateConfig objects.
const KEY_OF: Record<'gpt2' | 'llama', Partial<Record<keyof ModelConfig, string>>> = {
  gpt2: { vocabSize: 'vocab_size', maxSeqLen: 'n_positions', dModel: 'n_embd', nLayer: 'n_layer', nHead: 'n_head', nKvHead: 'n_head', dFF: 'n_inner', normEps: 'layer_norm_epsilon', dropout: 'resid_pdrop' },
  llama: { vocabSize: 'vocab_size', maxSeqLen: 'max_position_embeddings', dModel: 'hidden_size', nLayer: 'num_hidden_layers', nHead: 'num_attention_heads', nKvHead: 'num_key_value_heads', dFF: 'intermediate_size', normEps: 'rms_norm_eps', ropeTheta: 'rope_theta' },
};

/** config.json for `c`; `ids` fills bos/eos/pad_token_id (null when unknown). */
export function toHfConfig(c: ModelConfig, ids: Partial<HfTokenIds> = {}): HfConfigJson {
  const bos_token_id = ids.bos ?? null, eos_token_id = ids.eos ?? null, pad_token_id = ids.pad ?? null;
  if (c.family === 'gpt2') {
    return {
      architectures: ['GPT2LMHeadModel'], model_type: 'gpt2',
      vocab_size: c.vocabSize, n_positions: c.maxSeqLen, n_embd: c.dModel, n_layer: c.nLayer, n_head: c.nHead,
      // null is HF's spelling of 4·n_embd; anything else is written out.
      n_inner: c.dFF === 4 * c.dModel ? null : c.dFF,
      activation_function: 'gelu_new', layer_norm_epsilon: c.normEps,
      // One dropout rate drives the embedding and residual dropout here; attention probabilities
      // are never dropped by the engine, so attn_pdrop says 0 rather than pretend.
      resid_pdrop: c.dropout, embd_pdrop: c.dropout, attn_pdrop: 0,
      initializer_range: c.initStd,
      scale_attn_weights: true, scale_attn_by_inverse_layer_idx: false, reorder_and_upcast_attn: false,
      // GPT2DoubleHeadsModel keys that GPT2Config always writes; unused by the LM head.
      summary_type: 'cls_index', summary_use_proj: true, summary_activation: null, summary_proj_to_labels: true, summary_first_dropout: 0.1,
      use_cache: true, tie_word_embeddings: c.tieEmbeddings,
      bos_token_id, eos_token_id, pad_token_id, torch_dtype: 'float32',
    };
  }
  return {
    architectures: ['LlamaForCausalLM'], model_type: 'llama',
    vocab_size: c.vocabSize, hidden_size: c.dModel, intermediate_size: c.dFF, num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead, num_key_value_heads: c.nKvHead, head_dim: c.dModel / c.nHead,
    max_position_embeddings: c.maxSeqLen, hidden_act: 'silu', rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta, rope_scaling: null, attention_bias: false, attention_dropout: 0, mlp_bias: false,
    pretraining_tp: 1, initializer_range: c.initStd, use_cache: true, tie_word_embeddings: c.tieEmbeddings,
    bos_token_id, eos_token_id, pad_token_id, torch_dtype: 'float32',
    // HF Llama has no residual dropout, so ours has no HF key; kept under our own key, which
    // transformers stores as an inert attribute.
    alignkit: { residual_dropout: c.dropout },
  };
}

/** Typed reads of config.json keys, each throwing a CheckpointError that names the key, its value and what was expected. */
function hfReader(j: HfConfigJson, defaults: Record<string, unknown>, file: string) {
  const bad = (key: string, value: unknown, expected: string): never => {
    throw new CheckpointError(file, `${key} = ${JSON.stringify(value)}, expected ${expected}`);
  };
  // A key set to null takes the default too, as HF's `x or default` idioms mostly do.
  const get = (key: string): unknown => j[key] ?? defaults[key] ?? null;
  return {
    bad, get,
    int: (key: string): number => {
      const v = get(key);
      return Number.isInteger(v) && (v as number) > 0 ? (v as number) : bad(key, v, 'a positive integer');
    },
    num: (key: string, ok: (v: number) => boolean, what: string): number => {
      const v = get(key);
      return typeof v === 'number' && ok(v) ? v : bad(key, v, what);
    },
    flag: (key: string): boolean => {
      const v = get(key);
      return typeof v === 'boolean' ? v : bad(key, v, 'true or false');
    },
    refuse: (key: string, ok: (v: unknown) => boolean, expected: string): void => {
      if (key in j && !ok(j[key])) bad(key, j[key], expected);
    },
  };
}

type HfReader = ReturnType<typeof hfReader>;
const positive = (v: number): boolean => v > 0;
const rate = (v: number): boolean => v >= 0 && v < 1;
const std = (v: number): boolean => v >= 0 && v <= 1;

function gpt2FromHf(j: HfConfigJson, r: HfReader): ModelConfig {
  const act = r.get('activation_function');
  if (!TANH_GELU.includes(act as string)) r.bad('activation_function', act, `one of ${JSON.stringify(TANH_GELU)} (alignkit's GELU is the tanh form)`);
  r.refuse('scale_attn_weights', (v) => v === true || v === null, 'true (alignkit always scales attention by 1/√D)');
  r.refuse('scale_attn_by_inverse_layer_idx', (v) => v === false || v === null, 'false (not implemented)');
  r.refuse('add_cross_attention', (v) => v === false || v === null, 'false (decoder-only models only)');
  const C = r.int('n_embd');
  const inner = j.n_inner ?? null;
  if (inner !== null && !(Number.isInteger(inner) && (inner as number) > 0)) r.bad('n_inner', inner, 'null (4·n_embd) or a positive integer');
  const nHead = r.int('n_head');
  return {
    family: 'gpt2', vocabSize: r.int('vocab_size'), maxSeqLen: r.int('n_positions'), dModel: C, nLayer: r.int('n_layer'), nHead, nKvHead: nHead,
    dFF: (inner as number | null) ?? 4 * C, normEps: r.num('layer_norm_epsilon', positive, 'a positive number'),
    ropeTheta: 10000, tieEmbeddings: r.flag('tie_word_embeddings'),
    // resid_pdrop is the rate of the residual dropout, the one the engine applies throughout.
    dropout: r.num('resid_pdrop', rate, 'a number in [0, 1)'),
    initStd: r.num('initializer_range', std, 'a number in [0, 1]'),
  };
}

function llamaFromHf(j: HfConfigJson, r: HfReader): ModelConfig {
  const act = r.get('hidden_act');
  if (act !== 'silu') r.bad('hidden_act', act, '"silu" (alignkit\'s Llama MLP is SwiGLU)');
  r.refuse('attention_bias', (v) => v === false || v === null, 'false (alignkit\'s Llama projections have no bias)');
  r.refuse('mlp_bias', (v) => v === false || v === null, 'false (alignkit\'s Llama projections have no bias)');
  r.refuse('rope_scaling', (v) => v === null || isDefaultRope(v), 'null (alignkit implements unscaled RoPE only)');
  // transformers v5 folds rope_theta and rope_scaling into rope_parameters.
  r.refuse('rope_parameters', (v) => v === null || isDefaultRope(v), '{"rope_type": "default", ...} (alignkit implements unscaled RoPE only)');
  const C = r.int('hidden_size'), nHead = r.int('num_attention_heads');
  const headDimKey = j.head_dim ?? null;
  if (headDimKey !== null && headDimKey !== C / nHead) r.bad('head_dim', headDimKey, `null or hidden_size / num_attention_heads = ${C / nHead}`);
  const rp = j.rope_parameters as Record<string, unknown> | null | undefined;
  const thetaKey = rp && rp.rope_theta !== undefined ? 'rope_parameters.rope_theta' : 'rope_theta';
  const theta = rp && rp.rope_theta !== undefined ? rp.rope_theta : r.get('rope_theta');
  if (!(typeof theta === 'number' && theta > 0)) r.bad(thetaKey, theta, 'a positive number');
  const ours = j.alignkit as Record<string, unknown> | undefined;
  const dropout = ours?.residual_dropout ?? 0;
  if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) r.bad('alignkit.residual_dropout', dropout, 'a number in [0, 1)');
  return {
    family: 'llama', vocabSize: r.int('vocab_size'), maxSeqLen: r.int('max_position_embeddings'), dModel: C, nLayer: r.int('num_hidden_layers'),
    nHead, nKvHead: j.num_key_value_heads == null ? nHead : r.int('num_key_value_heads'), dFF: r.int('intermediate_size'),
    normEps: r.num('rms_norm_eps', positive, 'a positive number'), ropeTheta: theta as number,
    tieEmbeddings: r.flag('tie_word_embeddings'), dropout: dropout as number,
    initStd: r.num('initializer_range', std, 'a number in [0, 1]'),
  };
}

/** Parses config.json (already JSON-decoded); `file` names it in errors. */
export function fromHfConfig(json: unknown, file = HF_CONFIG_FILE): { config: ModelConfig; ids: HfTokenIds } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError(file, `expected a JSON object, got ${JSON.stringify(json)}`);
  }
  const j = json as HfConfigJson;
  const family: Family = j.model_type === 'gpt2' || j.model_type === 'llama'
    ? j.model_type : hfReader(j, {}, file).bad('model_type', j.model_type, '"gpt2" or "llama" (the families alignkit implements)');
  const defaults: Record<string, unknown> = family === 'gpt2' ? GPT2_DEFAULTS : LLAMA_DEFAULTS;
  const r = hfReader(j, defaults, file);
  const ids: HfTokenIds = { bos: tokenId(r.get('bos_token_id'), 'bos_token_id', r.bad), eos: eosIds(r.get('eos_token_id'), r.bad), pad: tokenId(r.get('pad_token_id'), 'pad_token_id', r.bad) };
  const c = family === 'gpt2' ? gpt2FromHf(j, r) : llamaFromHf(j, r);
  try {
    return { config: validateConfig(c), ids };
  } catch (err) {
    // validateConfig names our field; say which config.json key it came from.
    const field = /^model config: (\w+) =/.exec((err as Error).message)?.[1] as keyof ModelConfig | undefined;
    const key = field ? KEY_OF[family][field] : undefined;
    throw new CheckpointError(file, `${key ? `${key} = ${JSON.stringify(j[key] ?? defaults[key])}: ` : ''}${(err as Error).message}`, { cause: err });
  }
}

function isDefaultRope(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (r.rope_type ?? r.type) === 'default';
}

type Bad = (key: string, value: unknown, expected: string) => never;

function tokenId(v: unknown, key: string, bad: Bad): number | null {
  if (v === null) return null;
  return Number.isInteger(v) && (v as number) >= 0 ? (v as number) : bad(key, v, 'null or a non-negative integer');
}

function eosIds(v: unknown, bad: Bad): number | number[] | null {
  if (Array.isArray(v)) return v.map((x, i) => tokenId(x, `eos_token_id[${i}]`, bad) ?? bad(`eos_token_id[${i}]`, x, 'a non-negative integer'));
  return tokenId(v, 'eos_token_id', bad);
}
