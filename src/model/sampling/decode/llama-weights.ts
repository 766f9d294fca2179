// The Llama-layout weights a decoding step reads, gathered once: projections as stored (float32 or
// 16-bit, read in place by the kernels), norm gains with Gemma's offset already added (the float32
// add Transformer.norm does each forward), and each projection's LoRA adapter.
import type { Tensor } from '../../../tensor/index.js';
import { headDim, type ModelConfig } from '../../config.js';
import type { Transformer } from '../../transformer.js';
import { embeddingName } from '../../weights.js';
import type { Proj } from './steps.js';

export interface LayerWeights {
  inNorm: Float32Array;
  q: Proj; k: Proj; v: Proj; o: Proj;
  qNorm: Float32Array | null; kNorm: Float32Array | null;
  /** Gemma's norm of the attention output (sandwich); null elsewhere. */
  postAttnNorm: Float32Array | null;
  /** Before the MLP: post_attention_layernorm, or pre_feedforward_layernorm with sandwich norms. */
  mlpNorm: Float32Array;
  postMlpNorm: Float32Array | null;
  gate: Proj; up: Proj; down: Proj;
}

export interface DecoderWeights {
  embed: Tensor;
  head: Tensor;
  finalNorm: Float32Array;
  layers: LayerWeights[];
}

export function gatherWeights(m: Transformer): DecoderWeights {
  const c = m.config;
  const norm = (name: string): Float32Array => {
    const w = m.p(name).values();
    return c.normOffset ? w.map((v) => v + c.normOffset!) : w; // Float32Array.map rounds as add(w, offset) does
  };
  const layers = Array.from({ length: c.nLayer }, (_, l): LayerWeights => {
    const pre = `model.layers.${l}`, at = `${pre}.self_attn`;
    const proj = (name: string, N: number, K: number, bias = false): Proj => ({
      w: m.p(`${name}.weight`), bias: bias ? m.p(`${name}.bias`).values() : null, lora: m.lora.get(`${name}.weight`) ?? null, N, K,
    });
    const C = c.dModel, D = headDim(c), F = c.dFF, sw = c.sandwichNorms ?? false;
    return {
      inNorm: norm(`${pre}.input_layernorm.weight`),
      q: proj(`${at}.q_proj`, c.nHead * D, C, c.qkvBias), k: proj(`${at}.k_proj`, c.nKvHead * D, C, c.qkvBias),
      v: proj(`${at}.v_proj`, c.nKvHead * D, C, c.qkvBias), o: proj(`${at}.o_proj`, C, c.nHead * D),
      qNorm: c.qkNorm ? norm(`${at}.q_norm.weight`) : null, kNorm: c.qkNorm ? norm(`${at}.k_norm.weight`) : null,
      postAttnNorm: sw ? norm(`${pre}.post_attention_layernorm.weight`) : null,
      mlpNorm: norm(`${pre}.${sw ? 'pre_feedforward_layernorm' : 'post_attention_layernorm'}.weight`),
      postMlpNorm: sw ? norm(`${pre}.post_feedforward_layernorm.weight`) : null,
      gate: proj(`${pre}.mlp.gate_proj`, F, C), up: proj(`${pre}.mlp.up_proj`, F, C), down: proj(`${pre}.mlp.down_proj`, C, F),
    };
  });
  return { embed: m.p(embeddingName(c)), head: m.headWeight(), finalNorm: norm('model.norm.weight'), layers };
}

/** The largest adapter rank, and the widest projection output, for the LoRA scratch. */
export function loraSizes(w: DecoderWeights): { r: number; n: number } {
  let r = 0, n = 0;
  for (const l of w.layers) {
    for (const p of [l.q, l.k, l.v, l.o, l.gate, l.up, l.down]) if (p.lora) { r = Math.max(r, p.lora.A.shape[0]!); n = Math.max(n, p.N); }
  }
  return { r, n };
}

/** Why the Llama decoder cannot run `c` with these weights, or null when it can. */
export function unsupported(m: Transformer): string | null {
  const c: ModelConfig = m.config;
  if (c.family !== 'llama') return `family ${c.family}`;
  for (const a of m.lora.values()) if (a.A.isHalf || a.B.isHalf) return 'a 16-bit LoRA adapter';
  return null;
}
