// A Llama-layout layer of the decoding step in one native call (issue 20, batch-1 decoding):
// native/kernels/decode-layer.cc makes llama.ts's per-layer kernel calls itself, same kernels,
// same order, so the logits keep their bits while ~20 JavaScript → native crossings per layer
// become one. Layers it does not take (LoRA adapters, int8 codes, projections of different
// dtypes) and the JS backend run llama.ts's own attention and mlp.
import { backend, nativeStatus, type DecodeLayerFn } from '../../../backend/index.js';
import type { Tensor } from '../../../tensor/index.js';
import { headDim, type ModelConfig } from '../../config.js';
import { int8Of } from './int8.js';
import type { LayerWeights } from './llama-weights.js';

/** LlamaDecoder's buffers, in decodeLayer's order. */
export type StepBuffers = [x: Float32Array, h: Float32Array, t: Float32Array, q: Float32Array, qr: Float32Array,
  k: Float32Array, kn: Float32Array, v: Float32Array, o: Float32Array, gate: Float32Array, up: Float32Array, rstd: Float32Array];

/**
 * The step's varying inputs of one layer: the cache's keys and values, float32 or bfloat16 bits;
 * bf16Dot: bfloat16 weights' products by matmulBf16Dot (halfProduct's rule under bf16 compute,
 * applied by the caller).
 */
export interface LayerStep {
  B: number; Tk: number; L: number; cap: number; window: number | null; bf16Dot: boolean;
  k: Float32Array | Uint16Array; v: Float32Array | Uint16Array;
  cos: Float32Array; sin: Float32Array; keyMask: Float32Array; s: Float32Array; p: Float32Array;
}

type Arg = Float32Array | Uint16Array | number | number[] | null;

/** 0 float32, 1 bfloat16, 2 binary16; null for a weight decodeLayer cannot read (int8 codes). */
function kindOf(w: Tensor): number | null {
  if (int8Of(w)) return null;
  return w.isHalf ? (w.dtype === 'bfloat16' ? 1 : 2) : 0;
}

/** decodeLayer's fixed arguments of a layer (norms, weights, biases), or null when it cannot take the layer. */
function fixedArgs(lw: LayerWeights): { args: Arg[]; half: number } | null {
  const ps = [lw.q, lw.k, lw.v, lw.o, lw.gate, lw.up, lw.down];
  const kinds = ps.map((p) => kindOf(p.w));
  if (ps.some((p) => p.lora) || kinds.some((k) => k === null || k !== kinds[0])) return null;
  const half = kinds[0]!;
  return {
    half,
    args: [lw.inNorm, lw.qNorm, lw.kNorm, lw.postAttnNorm, lw.mlpNorm, lw.postMlpNorm,
      ...ps.map((p) => (half ? p.w.u16 : p.w.f32)), lw.q.bias, lw.k.bias, lw.v.bias],
  };
}

export class FusedLayers {
  /**
   * decode-layer.cc's layer as before it grouped the projections that share an input (q, k, v;
   * gate, up) into one parallel region and ran a short attention's per-head products on the
   * calling thread: the same numbers, for benches that time the two paths in one process.
   */
  static separateProjections = false;

  /** Per layer, decodeLayer's argument list, kept: run writes the step's slots into it (no allocation per step). */
  private readonly args: (Arg[] | null)[];

  private constructor(private readonly fn: DecodeLayerFn, c: ModelConfig, layers: LayerWeights[], bufs: StepBuffers, kr: Float32Array) {
    this.args = layers.map((lw) => {
      const f = fixedArgs(lw);
      if (!f) return null;
      const dims = [0, c.dModel, c.nHead, c.nKvHead, headDim(c), c.dFF, 0, 0, 0, 0, f.half, c.mlpAct === 'gelu_tanh' ? 1 : 0, 0, 0, 0];
      // s, p | norms, weights, biases | k, v, cos, sin, keyMask | dims, eps, scale, softcap | kr
      return [...bufs, null, null, ...f.args, null, null, null, null, null, dims, c.normEps, c.attnScale ?? 1 / Math.sqrt(headDim(c)), c.attnSoftcap ?? 0, kr];
    });
  }

  /**
   * The fused layers when the native backend is the one in use, else null. kr, (B, Hkv·D), takes
   * the rotated keys before a bfloat16 cache rounds them (unread with a float32 cache).
   */
  static create(c: ModelConfig, layers: LayerWeights[], bufs: StepBuffers, kr: Float32Array): FusedLayers | null {
    const st = nativeStatus();
    if (!st.ok || !st.native.decodeLayer || backend() !== st.native.backend) return null;
    return new FusedLayers(st.native.decodeLayer, c, layers, bufs, kr);
  }

  /** Whether run takes layer l. */
  covers(l: number): boolean {
    return this.args[l] !== null;
  }

  /** Runs layer l (attention then MLP, the cache's row L written), which it must cover. */
  run(l: number, st: LayerStep): void {
    const a = this.args[l]!, dims = a[35] as number[];
    a[12] = st.s; a[13] = st.p;
    a[30] = st.k; a[31] = st.v; a[32] = st.cos; a[33] = st.sin; a[34] = st.keyMask;
    dims[0] = st.B; dims[6] = st.Tk; dims[7] = st.L; dims[8] = st.cap; dims[9] = st.window ?? 0;
    dims[12] = FusedLayers.separateProjections ? 1 : 0;
    dims[13] = st.bf16Dot ? 1 : 0; dims[14] = st.k instanceof Uint16Array ? 1 : 0;
    this.fn.apply(null, a);
  }
}
