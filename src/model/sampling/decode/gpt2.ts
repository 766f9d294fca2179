// One decoding step of the GPT-2 family written against the backend kernels, with its buffers kept
// from step to step: the arithmetic of Transformer.logits(ids (B, 1), { cache }) without the
// tensors, checks and allocations of ~60 ops per token, which at batch 1 cost more than the
// arithmetic itself. Residual adds happen in place (x += bias, then x += u·W accumulates), and
// attention reads the RowCache's buffers through the batch strides of two products.
// decode.ts picks it when it applies (GPT-2, no LoRA adapters) and the Transformer otherwise;
// generate's full-recompute tests (sampling.test.ts) hold the two to the same tokens and logprobs.
import { backend } from '../../../backend/index.js';
import type { RowCache } from '../batch.js';
import { headDim } from '../../config.js';
import type { Transformer } from '../../transformer.js';

/** Below this many elements a loop in JavaScript beats a call into the native backend. */
const SMALL = 2048;

export class Gpt2Decoder {
  private readonly x: Float32Array; // (B, C) residual stream
  private readonly h: Float32Array; // (B, C) normalised
  private readonly qkv: Float32Array; // (B, 3C)
  private readonly q: Float32Array; // (B, C) = (B, H, D)
  private readonly o: Float32Array; // (B, C)
  private readonly u: Float32Array; // (B, F)
  private readonly g: Float32Array; // (B, F)
  private readonly s: Float32Array; // (B, H, Tk) scores
  private readonly p: Float32Array; // (B, H, Tk) probabilities
  private readonly logits: Float32Array; // (B, V)
  private readonly mean: Float32Array;
  private readonly rstd: Float32Array;
  private readonly w: Float32Array[][]; // per layer: ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, mlpW, mlpB

  /** Whether `model` can decode through this path: GPT-2 layout, no LoRA adapters, float32 weights. */
  static supports(model: Transformer): boolean {
    return model.config.family === 'gpt2' && model.lora.size === 0 && model.config.nKvHead === model.config.nHead
      && ![...model.params.values()].some((t) => t.isHalf);
  }

  /** Buffers for up to `B` rows. */
  constructor(private readonly model: Transformer, private readonly cache: RowCache, B: number) {
    if (cache.dtype !== 'float32') throw new RangeError(`Gpt2Decoder: the cache holds ${cache.dtype}; this step writes float32 keys and values`);
    const c = model.config, C = c.dModel, F = c.dFF;
    const f = (n: number): Float32Array => new Float32Array(n);
    this.x = f(B * C); this.h = f(B * C); this.qkv = f(B * 3 * C); this.q = f(B * C); this.o = f(B * C);
    this.u = f(B * F); this.g = f(B * F); this.s = f(B * c.nHead * c.maxSeqLen); this.p = f(B * c.nHead * c.maxSeqLen);
    this.logits = f(B * c.vocabSize); this.mean = f(B); this.rstd = f(B);
    const names = ['ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias',
      'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias'];
    this.w = Array.from({ length: c.nLayer }, (_, l) => names.map((n) => model.p(`transformer.h.${l}.${n}`).f32));
  }

  /**
   * Logits (B, V) for one new token per row at `positions`, with `keyMask` (B·Tk, 0 or −∞) over
   * the Tk = cached + 1 keys; advances the cache by one. The returned array is reused next step.
   */
  step(ids: Int32Array, positions: Int32Array, keyMask: Float32Array): Float32Array {
    const m = this.model, c = m.config, be = backend();
    const B = ids.length, C = c.dModel, F = c.dFF, H = c.nHead, D = headDim(c), V = c.vocabSize, eps = c.normEps;
    const L = this.cache.length, Tk = L + 1;
    const { x, h, qkv, q, o, u, g, s, p, mean, rstd } = this;
    be.embeddingForward(x, ids, m.p('transformer.wte.weight').f32, B, C);
    be.embeddingForward(h, positions, m.p('transformer.wpe.weight').f32, B, C);
    addInPlace(x, h, B * C);
    const scale = 1 / Math.sqrt(D);
    for (let l = 0; l < c.nLayer; l++) {
      const [ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, mlpW, mlpB] = this.w[l]!;
      be.layerNormForward(h, mean, rstd, x, ln1w!, ln1b!, B, C, eps);
      fillRows(qkv, attnB!, B);
      be.matmul(qkv, h, attnW!, 1, B, 3 * C, C, false, false, 0, 0, 0, true); // (B, 3C), weights stored (in, out)
      // This token's keys and values go into row L of the cache; the queries into q (B, H, D).
      const { k: kb, v: vb } = this.cache.reserve(l, B, H, D, Tk);
      const cap = kb.shape[2]!, kf = kb.f32, vf = vb.f32;
      if (B * C > SMALL) {
        // Two strided copies per part (through o, free until the products below) instead of B·H small ones.
        const part = [3 * C, D, 1], row = [H * cap * D, cap * D, 1], heads = [B, H, D];
        be.stridedCopy(q, qkv, 0, part, heads, false);
        be.stridedCopy(o, qkv, C, part, heads, false);
        be.stridedScatter(kf, L * D, row, o, heads, false);
        be.stridedCopy(o, qkv, 2 * C, part, heads, false);
        be.stridedScatter(vf, L * D, row, o, heads, false);
      } else {
        for (let b = 0; b < B; b++) {
          const from = b * 3 * C;
          for (let i = 0; i < C; i++) q[b * C + i] = qkv[from + i]!;
          for (let hh = 0; hh < H; hh++) {
            const at = ((b * H + hh) * cap + L) * D, k0 = from + C + hh * D;
            for (let d = 0; d < D; d++) { kf[at + d] = qkv[k0 + d]!; vf[at + d] = qkv[k0 + C + d]!; }
          }
        }
      }
      // Attention of the one query per head over Tk keys (attentionDecode's arithmetic).
      be.matmul(s, q, kf, B * H, 1, Tk, D, false, true, D, cap * D, Tk, false);
      const n = B * H * Tk;
      if (n <= SMALL) {
        for (let b = 0, i = 0; b < B; b++) for (let hh = 0; hh < H; hh++) for (let j = 0; j < Tk; j++, i++) s[i] = s[i]! * scale + keyMask[b * Tk + j]!;
      } else {
        be.binaryForward('mul', s, s, [1], Float32Array.of(scale), [0], [n]);
        be.binaryForward('add', s, s, [H * Tk, Tk, 1], keyMask, [Tk, 0, 1], [B, H, Tk]);
      }
      be.softmaxForward(p, s, B * H, Tk);
      be.matmul(o, p, vf, B * H, 1, D, Tk, false, false, Tk, cap * D, D, false); // (B, H, D) = (B, C)
      addRows(x, projB!, B);
      be.matmul(x, o, projW!, 1, B, C, C, false, false, 0, 0, 0, true); // x += o·W: the residual in place
      be.layerNormForward(h, mean, rstd, x, ln2w!, ln2b!, B, C, eps);
      fillRows(u, fcB!, B);
      be.matmul(u, h, fcW!, 1, B, F, C, false, false, 0, 0, 0, true);
      be.geluForward(g, u, B * F);
      addRows(x, mlpB!, B);
      be.matmul(x, g, mlpW!, 1, B, C, F, false, false, 0, 0, 0, true);
    }
    this.cache.advance(1);
    be.layerNormForward(h, mean, rstd, x, m.p('transformer.ln_f.weight').f32, m.p('transformer.ln_f.bias').f32, B, C, eps);
    const head = c.tieEmbeddings ? m.p('transformer.wte.weight') : m.p('lm_head.weight');
    be.matmul(this.logits, h, head.f32, 1, B, V, C, false, true, 0, 0, 0, false); // (B, V): heads store (V, C)
    return this.logits.subarray(0, B * V);
  }
}

/** out rows 0..B−1 = bias. */
function fillRows(out: Float32Array, bias: Float32Array, B: number): void {
  for (let b = 0; b < B; b++) out.set(bias, b * bias.length);
}

/** out rows 0..B−1 += bias. */
function addRows(out: Float32Array, bias: Float32Array, B: number): void {
  const N = bias.length;
  if (B * N > SMALL) { backend().binaryForward('add', out, out, [N, 1], bias, [0, 1], [B, N]); return; }
  for (let b = 0; b < B; b++) for (let j = 0, o = b * N; j < N; j++) out[o + j] += bias[j]!;
}

function addInPlace(out: Float32Array, a: Float32Array, n: number): void {
  if (n > SMALL) { backend().binaryForward('add', out, out, [1], a, [1], [n]); return; }
  for (let i = 0; i < n; i++) out[i] += a[i]!;
}
