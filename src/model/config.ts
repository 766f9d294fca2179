// One config for both block layouts. GPT-2: learned positions, LayerNorm with bias, GELU MLP,
// tied embedding. Llama: RoPE, RMSNorm, gated MLP, grouped-query attention; the Llama layout is the
// one decoder block every RoPE family runs on (Mistral, Qwen2/3, Phi-3, Gemma 2/3), told apart by
// the switches below, which the family adapters (families/) set from config.json (README,
// "Families": model families are data, not copies).

export type Family = 'gpt2' | 'llama';

/** RoPE frequency scaling, as transformers' modeling_rope_utils.py defines each type. */
export type RopeScaling =
  | { type: 'default' }
  | { type: 'linear'; factor: number }
  | { type: 'dynamic'; factor: number; originalMax: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMax: number }
  | { type: 'yarn'; factor: number; originalMax: number; betaFast: number; betaSlow: number; attentionFactor: number; truncate: boolean };

/** Switches of the Llama-layout block; every one off (or at its Llama value) when absent. */
export interface BlockSwitches {
  /** The Hugging Face model_type this model is saved as ('llama' when absent). */
  modelType?: string;
  /** Head size when it is not dModel / nHead (Qwen3, Gemma: an explicit head_dim). */
  headDim?: number;
  /** Biases on the q, k and v projections (Qwen2's attention_bias, fixed on). */
  qkvBias?: boolean;
  /** RMSNorm over each head of q and k before RoPE (Qwen3, Gemma 3). */
  qkNorm?: boolean;
  /** RMSNorm multiplies by (offset + w): 1 for Gemma, whose gains are stored around 0. */
  normOffset?: number;
  /** The gate's activation: SiLU (SwiGLU) or GELU's tanh form (Gemma's GeGLU). */
  mlpAct?: 'silu' | 'gelu_tanh';
  /** Embeddings multiplied by √dModel (Gemma). */
  embedScale?: boolean;
  /** Norms after attention and around the MLP as well (Gemma 2/3's four norms per layer). */
  sandwichNorms?: boolean;
  /** RoPE scaling of the global (full-attention) layers. */
  rope?: RopeScaling;
  /** RoPE base of the sliding-window layers when it differs (Gemma 3's local base). */
  localRopeTheta?: number;
  /** Sliding window per layer (keys within the last `w` positions, the query's included); null: full. */
  layerWindows?: (number | null)[];
  /** Attention scale when it is not 1/√headDim (Gemma: query_pre_attn_scalar^−½). */
  attnScale?: number;
  /** Attention scores soft-capped as cap·tanh(s/cap) before the softmax (Gemma 2). */
  attnSoftcap?: number | null;
  /** Final logits soft-capped the same way (Gemma 2). */
  finalSoftcap?: number | null;
}

export interface ModelConfig extends BlockSwitches {
  family: Family;
  vocabSize: number;
  /** Longest sequence the model is built for (GPT-2's n_positions; Llama's max_position_embeddings). */
  maxSeqLen: number;
  dModel: number;
  nLayer: number;
  nHead: number;
  /** Key/value heads; fewer than nHead is grouped-query attention (Ainslie et al. 2023). */
  nKvHead: number;
  /** Hidden width of the MLP: 4·dModel for GPT-2; for SwiGLU about 8/3·dModel (Shazeer 2020). */
  dFF: number;
  /** 1e-5 is GPT-2's layer_norm_epsilon; Llama uses rms_norm_eps 1e-6 (1e-5 in Llama 2). */
  normEps: number;
  /** RoPE base (Su et al. 2021): 10000 in Llama 1/2. */
  ropeTheta: number;
  /** Output head shares the token embedding (GPT-2 yes, Llama no). */
  tieEmbeddings: boolean;
  /** Residual and attention dropout during training; 0 for small-data fine-tuning. */
  dropout: number;
  /** Standard deviation of the weight init (GPT-2: 0.02). */
  initStd: number;
}

export function defaultConfig(family: Family, over: Partial<ModelConfig> = {}): ModelConfig {
  const dModel = over.dModel ?? 128;
  const nHead = over.nHead ?? 4;
  const base: ModelConfig = family === 'gpt2'
    ? { family, vocabSize: 256, maxSeqLen: 256, dModel, nLayer: 4, nHead, nKvHead: nHead, dFF: 4 * dModel, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: true, dropout: 0, initStd: 0.02 }
    : { family, vocabSize: 256, maxSeqLen: 256, dModel, nLayer: 4, nHead, nKvHead: nHead, dFF: 64 * Math.ceil((8 * dModel) / 3 / 64), normEps: 1e-6, ropeTheta: 10000, tieEmbeddings: false, dropout: 0, initStd: 0.02 };
  return validateConfig({ ...base, ...over });
}

/** Throws naming the field, its value and what was expected. */
export function validateConfig(c: ModelConfig): ModelConfig {
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new Error(`model config: ${field} = ${JSON.stringify(value)}, expected ${expected}`);
  };
  if (c.family !== 'gpt2' && c.family !== 'llama') bad('family', c.family, '"gpt2" or "llama"');
  for (const f of ['vocabSize', 'maxSeqLen', 'dModel', 'nLayer', 'nHead', 'nKvHead', 'dFF'] as const) {
    if (!Number.isInteger(c[f]) || c[f] <= 0) bad(f, c[f], 'a positive integer');
  }
  if (c.headDim !== undefined && !(Number.isInteger(c.headDim) && c.headDim > 0)) bad('headDim', c.headDim, 'a positive integer');
  if (c.headDim === undefined && c.dModel % c.nHead !== 0) bad('nHead', c.nHead, `a divisor of dModel (${c.dModel})`);
  if (c.nHead % c.nKvHead !== 0) bad('nKvHead', c.nKvHead, `a divisor of nHead (${c.nHead})`);
  if (c.family === 'gpt2' && c.nKvHead !== c.nHead) bad('nKvHead', c.nKvHead, `nHead (${c.nHead}) for the gpt2 family`);
  if (c.family === 'llama' && headDim(c) % 2 !== 0) bad(c.headDim ? 'headDim' : 'nHead', c.headDim ?? c.nHead, 'a head size that is even (RoPE rotates pairs)');
  if (c.family === 'gpt2' && Object.keys(c).some((k) => SWITCHES.has(k) && (c as unknown as Record<string, unknown>)[k] !== undefined)) {
    bad('family', c.family, `"llama" for the block switches (${[...SWITCHES].filter((k) => k in c).join(', ')}); GPT-2's block has none`);
  }
  if (c.layerWindows && (c.layerWindows.length !== c.nLayer || c.layerWindows.some((w) => w !== null && !(Number.isInteger(w) && w > 0)))) {
    bad('layerWindows', c.layerWindows, `${c.nLayer} entries, each null or a positive integer`);
  }
  for (const f of ['attnSoftcap', 'finalSoftcap', 'attnScale', 'localRopeTheta'] as const) {
    const v = c[f];
    if (v !== undefined && v !== null && !(v > 0)) bad(f, v, 'a positive number (or absent)');
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) bad('dropout', c.dropout, 'a number in [0, 1)');
  if (!(c.normEps > 0)) bad('normEps', c.normEps, 'a positive number');
  if (!(c.ropeTheta > 0)) bad('ropeTheta', c.ropeTheta, 'a positive number');
  if (!(c.initStd >= 0)) bad('initStd', c.initStd, 'a non-negative number');
  return c;
}

export const headDim = (c: ModelConfig): number => c.headDim ?? c.dModel / c.nHead;

const SWITCHES = new Set(['modelType', 'headDim', 'qkvBias', 'qkNorm', 'normOffset', 'mlpAct', 'embedScale', 'sandwichNorms', 'rope',
  'localRopeTheta', 'layerWindows', 'attnScale', 'attnSoftcap', 'finalSoftcap']);
