// The kernel-level decoding step generate() and the engine use when the model allows it: the
// arithmetic of Transformer.logits(ids (B, 1), { cache }) without its per-op tensors and checks.
// GPT-2 (decode/gpt2.ts, float32, no adapters) and every Llama-layout family (decode/llama.ts:
// 16-bit weights read in place, grouped-query attention, LoRA adapters) each have their own step.
import type { RowCache } from './batch.js';
import type { Transformer } from '../transformer.js';
import { Gpt2Decoder } from './decode/gpt2.js';
import { LlamaDecoder } from './decode/llama.js';
import { unsupported } from './decode/llama-weights.js';

export class Decoder {
  private readonly impl: Gpt2Decoder | LlamaDecoder;

  /** Whether `model` can decode through this path (see the two steps' own conditions). */
  static supports(model: Transformer): boolean {
    return model.config.family === 'gpt2' ? Gpt2Decoder.supports(model) : unsupported(model) === null;
  }

  /** Buffers for up to `B` rows. */
  constructor(model: Transformer, cache: RowCache, B: number) {
    this.impl = model.config.family === 'gpt2' ? new Gpt2Decoder(model, cache, B) : new LlamaDecoder(model, cache, B);
  }

  /**
   * Logits (B, V) for one new token per row at `positions`, with `keyMask` (B·Tk, 0 or −∞) over
   * the Tk = cached + 1 keys; advances the cache by one. The returned array is reused next step.
   */
  step(ids: Int32Array, positions: Int32Array, keyMask: Float32Array): Float32Array {
    return this.impl.step(ids, positions, keyMask);
  }
}
