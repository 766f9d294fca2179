// ModelConfig ↔ Hugging Face config.json: GPT2LMHeadModel here, and every RoPE family through its
// adapter (families/decoder.ts: Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma 2/3). Keys and defaults
// follow transformers' configuration_<family>.py (the 4.x layout that hub checkpoints use; v5's
// rope_parameters and layer_types are read too): a key missing from config.json takes the class
// default, as from_pretrained does, and keys we do not use are ignored. A key whose value changes
// the computation in a way alignkit does not implement is refused, never silently dropped.
import { CheckpointError } from '../../io/checkpoint.js';
import { validateConfig, type ModelConfig } from '../config.js';
import { DECODER_FAMILIES, decoderFamily, decoderFromHf, decoderToHf } from '../families/decoder.js';
import { hfReader, positive, rate, std, type HfConfigJson, type HfReader } from '../families/reader.js';

export type { HfConfigJson } from '../families/reader.js';

export const HF_CONFIG_FILE = 'config.json';

/** Keys transformers 5 declares as float (and refuses as int): Gemma 2's soft-caps, the norm epsilons. */
export const HF_FLOAT_KEYS = ['attn_logit_softcapping', 'final_logit_softcapping', 'rms_norm_eps', 'layer_norm_epsilon'];

/** Special-token ids as config.json and generation_config.json carry them. */
export interface HfTokenIds {
  bos: number | null;
  /** Llama 3 style configs list several ids that all end a sample. */
  eos: number | number[] | null;
  pad: number | null;
}


// GELU in its tanh form is what the engine computes; these HF names all mean exactly that form
// (transformers activations.py: NewGELUActivation, PytorchGELUTanh, FastGELUActivation).
const TANH_GELU = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'];

// HF's class defaults for the keys we read, so a sparse config.json means what it means to HF.
const GPT2_DEFAULTS = {
  vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null,
  activation_function: 'gelu_new', resid_pdrop: 0.1, layer_norm_epsilon: 1e-5, initializer_range: 0.02,
  tie_word_embeddings: true, bos_token_id: 50256, eos_token_id: 50256, pad_token_id: null,
};

// Which config.json key each ModelConfig field comes from, to name it when validateConfig objects.
const KEY_OF: Record<'gpt2' | 'llama', Partial<Record<keyof ModelConfig, string>>> = {
  gpt2: { vocabSize: 'vocab_size', maxSeqLen: 'n_positions', dModel: 'n_embd', nLayer: 'n_layer', nHead: 'n_head', nKvHead: 'n_head', dFF: 'n_inner', normEps: 'layer_norm_epsilon', dropout: 'resid_pdrop' },
  llama: { vocabSize: 'vocab_size', maxSeqLen: 'max_position_embeddings', dModel: 'hidden_size', nLayer: 'num_hidden_layers', nHead: 'num_attention_heads', nKvHead: 'num_key_value_heads', dFF: 'intermediate_size', normEps: 'rms_norm_eps', ropeTheta: 'rope_theta', headDim: 'head_dim' },
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
  const f = decoderFamily(c.modelType ?? 'llama');
  if (!f) throw new Error(`model config: modelType = ${JSON.stringify(c.modelType)}, expected one of ${DECODER_FAMILIES.map((d) => d.modelType).join(', ')}`);
  return {
    ...decoderToHf(f, c), bos_token_id, eos_token_id, pad_token_id, torch_dtype: 'float32',
    // HF's decoders have no residual dropout (Phi-3 aside), so ours has no HF key; kept under our
    // own key, which transformers stores as an inert attribute.
    ...(f.modelType !== 'phi3' ? { alignkit: { residual_dropout: c.dropout } } : {}),
  };
}



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

/** Parses config.json (already JSON-decoded); `file` names it in errors. */
export function fromHfConfig(json: unknown, file = HF_CONFIG_FILE): { config: ModelConfig; ids: HfTokenIds } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError(file, `expected a JSON object, got ${JSON.stringify(json)}`);
  }
  const j = json as HfConfigJson;
  const dec = typeof j.model_type === 'string' ? decoderFamily(j.model_type) : undefined;
  if (j.model_type !== 'gpt2' && !dec) {
    hfReader(j, {}, file).bad('model_type', j.model_type, `one of ${['gpt2', ...DECODER_FAMILIES.map((d) => d.modelType)].map((t) => JSON.stringify(t)).join(', ')} (the families alignkit implements)`);
  }
  const family = dec ? 'llama' : 'gpt2';
  const defaults: Record<string, unknown> = dec ? dec.defaults : GPT2_DEFAULTS;
  const r = hfReader(j, defaults, file);
  const ids: HfTokenIds = { bos: tokenId(r.get('bos_token_id'), 'bos_token_id', r.bad), eos: eosIds(r.get('eos_token_id'), r.bad), pad: tokenId(r.get('pad_token_id'), 'pad_token_id', r.bad) };
  const c = dec ? decoderFromHf(dec, r) : gpt2FromHf(j, r);
  try {
    return { config: validateConfig(c), ids };
  } catch (err) {
    // validateConfig names our field; say which config.json key it came from.
    const field = /^model config: (\w+) =/.exec((err as Error).message)?.[1] as keyof ModelConfig | undefined;
    const key = field ? KEY_OF[family][field] : undefined;
    throw new CheckpointError(file, `${key ? `${key} = ${JSON.stringify(j[key] ?? defaults[key])}: ` : ''}${(err as Error).message}`, { cause: err });
  }
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
