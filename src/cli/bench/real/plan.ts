// What `alignkit bench --configs C,D` runs besides the toy configs: which PyTorch variants, the
// triad's size, and how long a child may take. Each contender of a C/D line takes one turn (a
// generation of 128 tokens at batch 32 of the 0.5B shape takes minutes on two cores).
import type { RealConfig } from './shapes.js';

/** A PyTorch training step's precision: float32 throughout, or forward and loss under torch.autocast to bfloat16. */
export type TorchTrainDtype = 'float32' | 'bf16-autocast';

/** The C/D lines `--lines` picks from. */
export const REAL_LINES = ['generate', 'lora', 'full'] as const;
export type RealLine = (typeof REAL_LINES)[number];
export const isRealLine = (s: string): s is RealLine => (REAL_LINES as readonly string[]).includes(s);

export interface RealPlan {
  configs: RealConfig[];
  /** Which lines run (all three by default). */
  lines: RealLine[];
  quick: boolean;
  threads: number;
  peers: boolean;
  /** Profile a batch-1 decode and a LoRA step of each config while its checkpoint exists. */
  profile: boolean;
  /** transformers generation variants: attn_implementation and the dtype it computes in. */
  torchGenerate: { attn: 'eager' | 'sdpa'; dtype: 'float32' | 'bfloat16' }[];
  /** attn_implementation of the peft LoRA step (and of the full step, first one only). */
  torchTrain: ('eager' | 'sdpa')[];
  /**
   * What the peft LoRA step computes in, each at every torchTrain attn: float32, and bf16 autocast
   * (TRL's default bf16=True on a CPU), the peer of alignkit's bf16-compute line.
   */
  torchLoraDtypes: TorchTrainDtype[];
  /** GGUF types llama.cpp decodes (bf16 falls back to f16 where llama.cpp cannot load it). */
  llamaTypes: ('bf16' | 'q8_0')[];
  /** Each triad array, MiB: far larger than any cache (STREAM's rule: 4× the last level). */
  triadMb: number;
  childTimeoutS: number;
}

export function makeRealPlan(o: { configs: RealConfig[]; quick: boolean; threads: number; peers: boolean; profile: boolean; lines?: RealLine[] }): RealPlan {
  return {
    ...o,
    lines: o.lines ?? [...REAL_LINES],
    torchGenerate: [{ attn: 'eager', dtype: 'float32' }, { attn: 'sdpa', dtype: 'float32' }, { attn: 'sdpa', dtype: 'bfloat16' }],
    torchTrain: ['eager', 'sdpa'],
    torchLoraDtypes: ['float32', 'bf16-autocast'],
    llamaTypes: ['bf16', 'q8_0'],
    triadMb: o.quick ? 32 : 256,
    childTimeoutS: o.quick ? 300 : 600,
  };
}
