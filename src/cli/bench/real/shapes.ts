// The configs C and D (issue 20): the shapes of SmolLM2-135M and Qwen2.5-0.5B with random
// weights, as the config.json each contender loads, and what is run at them. --quick keeps the
// shape's widths but cuts layers, vocabulary and tokens, so a test runs every path in seconds.
export type RealConfig = 'C' | 'D';
export const REAL_CONFIGS: readonly RealConfig[] = ['C', 'D'];

export const REAL_SHAPES: Record<RealConfig, Record<string, unknown>> = {
  // SmolLM2-135M: hidden 576, 30 layers, 9 heads, 3 KV heads, MLP 1536, vocabulary 49,152, tied.
  C: { model_type: 'llama', hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, intermediate_size: 1536, vocab_size: 49152, tie_word_embeddings: true, max_position_embeddings: 8192, rms_norm_eps: 1e-5, rope_theta: 100000 },
  // Qwen2.5-0.5B: hidden 896, 24 layers, 14 heads, 2 KV heads, MLP 4864, vocabulary 151,936, q/k/v biases, tied.
  D: { model_type: 'qwen2', hidden_size: 896, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, intermediate_size: 4864, vocab_size: 151936, tie_word_embeddings: true, max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 1000000 },
};

export const REAL_NAMES: Record<RealConfig, string> = { C: 'SmolLM2-135M shape', D: 'Qwen2.5-0.5B shape' };

/** What one config runs: generation at batch 1 and 32, a LoRA SFT step, and (C only) a full SFT step. */
export interface RealCase {
  config: RealConfig;
  /** The config.json of the random checkpoint (the real shape, or its --quick cut). */
  raw: Record<string, unknown>;
  generate: { batch: number; prompt: number; newTokens: number }[];
  /** Tokens of the untimed warm-up generation before the timed one. */
  warmupTokens: number;
  /** LoRA SFT: r 16, alpha 32 on q, k, v, o, gate, up, down; one sequence of `seq` tokens a step. */
  lora: { rank: number; alpha: number; seq: number; steps: number };
  /** Full SFT at the same sequence (config C only); null where not run. */
  full: { seq: number; steps: number } | null;
}

export function realCase(config: RealConfig, quick: boolean): RealCase {
  const full = REAL_SHAPES[config];
  const raw = quick ? { ...full, num_hidden_layers: 2, vocab_size: 4096 } : full;
  const prompt = quick ? 16 : 64, newTokens = quick ? 8 : 128;
  return {
    config, raw,
    generate: [{ batch: 1, prompt, newTokens }, { batch: quick ? 4 : 32, prompt, newTokens }],
    warmupTokens: quick ? 2 : 8,
    lora: { rank: 16, alpha: 32, seq: quick ? 64 : 512, steps: quick ? 1 : 2 },
    full: config === 'C' ? { seq: quick ? 64 : 512, steps: quick ? 1 : 2 } : null,
  };
}

/** Parameters of a config.json's model (tied head counted once). */
export function paramsOf(raw: Record<string, unknown>): number {
  const s = shapeOf(raw);
  const { h, kv, q, mlp, V, L } = s;
  const perLayer = h * q + 2 * h * kv + q * h + 3 * h * mlp + (s.qkvBias ? q + 2 * kv : 0) + 2 * h;
  return V * h * (s.tied ? 1 : 2) + L * perLayer + h;
}

/** The widths a config.json describes. */
export function shapeOf(raw: Record<string, unknown>): { h: number; q: number; kv: number; mlp: number; V: number; L: number; tied: boolean; qkvBias: boolean } {
  const n = (k: string): number => raw[k] as number;
  const h = n('hidden_size'), heads = n('num_attention_heads'), hd = h / heads;
  return {
    h, q: heads * hd, kv: (n('num_key_value_heads') ?? heads) * hd, mlp: n('intermediate_size'), V: n('vocab_size'), L: n('num_hidden_layers'),
    tied: raw['tie_word_embeddings'] !== false, qkvBias: raw['model_type'] === 'qwen2',
  };
}
