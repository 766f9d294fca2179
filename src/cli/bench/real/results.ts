// What configs C and D report (`alignkit bench --json`, key `real`): one row per contender and
// line, the bandwidth the roofline is taken against, and the targets judged.
import type { RealConfig } from './shapes.js';
import type { TargetRow } from './targets.js';

export interface RealRow {
  line: 'generate' | 'lora' | 'full';
  /** Sequences at once (generation) or per step (training: 1). */
  batch: number;
  /** Prompt + new tokens (generation) or sequence length (training). */
  tokens: string;
  contender: 'alignkit' | 'transformers' | 'llama.cpp';
  /** transformers' attn_implementation (eager or sdpa); null for the others. */
  attn: string | null;
  /** The weights' type as the contender computes with them: float32, bf16, f16, q8_0. */
  dtype: string;
  tok_s: number | null;
  rss_mb: number | null;
  /** Batch-1 decoding: its share of the bandwidth roofline. */
  roofline: number | null;
  load_s: number | null;
  /** Threads it ran with (llama.cpp: the faster of the bench's threads and one). */
  threads: number | null;
  /** Cores other processes kept busy while it ran. */
  others_cores: number | null;
  error: string | null;
}

export interface RealConfigResult {
  config: RealConfig;
  name: string;
  params: number;
  /** Bytes of weights read per decoded token at each storage type (the roofline's numerator). */
  bytes_per_token: Record<string, number>;
  /**
   * The triad's GB/s right before and right after this config's batch-1 lines (null: not run or
   * failed). The batch-1 rooflines are taken against the higher of the two, or against the run's
   * opening triad when neither was measured: what a shared machine's host gives it moves within a
   * run, and one triad at the start does not bound a decode minutes later.
   */
  bandwidth_gb_s: { before: number | null; after: number | null };
  rows: RealRow[];
}

export interface RealResult {
  /**
   * The machine the figures are from: the CPU's model name, and what runs alignkit's bf16-compute
   * products there (AMX tiles, AVX-512 BF16 or a scalar loop), which moves those lines severalfold
   * and PyTorch's bf16 lines with them (oneDNN takes AMX too).
   */
  host: { cpu: string; bf16_products: string };
  /** The triad's GB/s (null where the harness could not be built), its arrays' size and threads. */
  bandwidth: { gb_s: number | null; array_mb: number; threads: number; note: string | null };
  configs: RealConfigResult[];
  targets: TargetRow[];
  /** The LoRA lines at matched precision (alignkit float32 / peft float32, bf16-compute / bf16 autocast). */
  matched: TargetRow[];
  settings: Record<string, unknown>;
}
