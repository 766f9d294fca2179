// One config for both transformer families. GPT-2: learned positions, LayerNorm with bias,
// GELU MLP, tied embedding. Llama: RoPE, RMSNorm, SwiGLU MLP, grouped-query attention, untied head.

export type Family = 'gpt2' | 'llama';

export interface ModelConfig {
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
  if (c.dModel % c.nHead !== 0) bad('nHead', c.nHead, `a divisor of dModel (${c.dModel})`);
  if (c.nHead % c.nKvHead !== 0) bad('nKvHead', c.nKvHead, `a divisor of nHead (${c.nHead})`);
  if (c.family === 'gpt2' && c.nKvHead !== c.nHead) bad('nKvHead', c.nKvHead, `nHead (${c.nHead}) for the gpt2 family`);
  if (c.family === 'llama' && (c.dModel / c.nHead) % 2 !== 0) bad('nHead', c.nHead, 'a head size that is even (RoPE rotates pairs)');
  if (!(c.dropout >= 0 && c.dropout < 1)) bad('dropout', c.dropout, 'a number in [0, 1)');
  if (!(c.normEps > 0)) bad('normEps', c.normEps, 'a positive number');
  if (!(c.ropeTheta > 0)) bad('ropeTheta', c.ropeTheta, 'a positive number');
  if (!(c.initStd >= 0)) bad('initStd', c.initStd, 'a non-negative number');
  return c;
}

export const headDim = (c: ModelConfig): number => c.dModel / c.nHead;
