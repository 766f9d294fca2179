// One decoding step of the Llama layout (Llama, Mistral, Qwen2/3, Phi-3, Gemma 2/3: every switch
// of config.ts) written against the backend kernels with its buffers kept from step to step: the
// arithmetic of Transformer.logits(ids (B, 1), { cache }) call for call (steps.ts), so the logits
// equal the generic path's bit for bit (decode.test.ts, per family on the golden checkpoints),
// without the ~25 tensors, checks and allocations per layer and token. 16-bit weights are read
// in place by matmulHalf (or, under model.bf16Compute at batch ≥ 4, by matmulBf16Dot: the generic
// path's halfProduct, so the two still agree); keys and values go into the RowCache's buffers, so
// generate's row selection and the engine's joins work unchanged. A bfloat16 RowCache gets them
// rounded as its store() rounds them, and is read by attentionDecodeHalf, as attentionDecode reads it.
import { backend } from '../../../backend/index.js';
import { BF16_COMPUTE_MIN_ROWS, halfProduct } from '../../../ops/index.js';
import { headDim } from '../../config.js';
import { fillRopeTables, ropeFrequencies, type RopeFrequencies } from '../../rope.js';
import type { Transformer } from '../../transformer.js';
import type { RowCache } from '../batch.js';
import { FusedLayers } from './fused.js';
import { int8Of } from './int8.js';
import { gatherWeights, loraSizes, type DecoderWeights } from './llama-weights.js';
import { addInto, attend, project, rotate, type LoraScratch } from './steps.js';

export class LlamaDecoder {
  private readonly w: DecoderWeights;
  private readonly f = (n: number): Float32Array => new Float32Array(n);
  private readonly x: Float32Array; // (B, C) residual stream
  private readonly h: Float32Array; // (B, C) normalised
  private readonly t: Float32Array; // (B, C) a branch's output
  private readonly q: Float32Array; // (B, H·D) projected, then rotated into qr
  private readonly qr: Float32Array;
  private readonly k: Float32Array; // (B, Hkv·D)
  private readonly kn: Float32Array;
  private readonly kr: Float32Array; // (B, Hkv·D) rotated keys, before a bfloat16 cache rounds them
  private readonly v: Float32Array;
  private readonly o: Float32Array; // (B, H·D) attention output
  private readonly gate: Float32Array; // (B, F)
  private readonly up: Float32Array;
  private readonly rstd: Float32Array;
  private readonly cos: Float32Array; // (B, D) the global layers' rotation of this step
  private readonly sin: Float32Array;
  private readonly cosLocal: Float32Array; // (B, D) Gemma 3's sliding layers' own
  private readonly sinLocal: Float32Array;
  private readonly lora: LoraScratch;
  private readonly logits: Float32Array; // (B, V)
  private s: Float32Array; // (B, H, Tk) scores, grown with the cache
  private p: Float32Array;
  private readonly fixedRope: { global: RopeFrequencies; local: RopeFrequencies | null } | null;
  private readonly fused: FusedLayers | null; // one native call per layer (fused.ts), when the native backend runs

  constructor(private readonly model: Transformer, private readonly cache: RowCache, B: number) {
    const c = model.config, C = c.dModel, D = headDim(c), HD = c.nHead * D, KD = c.nKvHead * D, F = c.dFF, f = this.f;
    this.w = gatherWeights(model);
    this.x = f(B * C); this.h = f(B * C); this.t = f(B * C);
    this.q = f(B * HD); this.qr = f(B * HD); this.k = f(B * KD); this.kn = f(B * KD); this.kr = cache.dtype === 'bfloat16' ? f(B * KD) : f(0); this.v = f(B * KD); this.o = f(B * HD);
    this.gate = f(B * F); this.up = f(B * F); this.rstd = f(B * c.nHead);
    this.cos = f(B * D); this.sin = f(B * D); this.cosLocal = f(B * D); this.sinLocal = f(B * D);
    const lr = loraSizes(this.w);
    this.lora = { t: f(B * lr.r), u: f(B * lr.n) };
    this.logits = f(B * c.vocabSize);
    this.s = f(0); this.p = f(0);
    // Only dynamic NTK scaling depends on the step's longest position; the others are fixed.
    this.fixedRope = c.rope?.type === 'dynamic' ? null : this.ropes(1);
    const { x, h, t, q, qr, k, kn, v, o, gate, up, rstd } = this;
    this.fused = FusedLayers.create(c, this.w.layers, [x, h, t, q, qr, k, kn, v, o, gate, up, rstd], this.kr);
  }

  private ropes(seqLen: number): { global: RopeFrequencies; local: RopeFrequencies | null } {
    const c = this.model.config, D = headDim(c);
    const global = ropeFrequencies(D, c.ropeTheta, c.rope ?? { type: 'default' }, seqLen);
    return { global, local: c.localRopeTheta === undefined ? null : ropeFrequencies(D, c.localRopeTheta, { type: 'default' }, seqLen) };
  }

  /**
   * Logits (B, V) for one new token per row at `positions`, with `keyMask` (B·Tk, 0 or −∞) over
   * the Tk = cached + 1 keys; advances the cache by one. The returned array is reused next step.
   */
  step(ids: Int32Array, positions: Int32Array, keyMask: Float32Array): Float32Array {
    const m = this.model, c = m.config, be = backend(), B = ids.length, C = c.dModel, V = c.vocabSize;
    const { x, h, w } = this, D = headDim(c);
    if (w.embed.isHalf) be.embeddingForwardHalf(x, ids, w.embed.u16, w.embed.dtype === 'bfloat16', B, C);
    else be.embeddingForward(x, ids, w.embed.f32, B, C);
    // Gemma scales by √C rounded to float32, as Transformer.hidden does.
    if (c.embedScale) be.binaryForward('mul', x, x, [1], Float32Array.of(Math.fround(Math.sqrt(C))), [0], [B * C]);
    let seqLen = 0;
    for (let b = 0; b < B; b++) seqLen = Math.max(seqLen, positions[b]! + 1);
    const rope = this.fixedRope ?? this.ropes(seqLen);
    fillRopeTables(this.cos, this.sin, positions, B, D, rope.global);
    if (rope.local) fillRopeTables(this.cosLocal, this.sinLocal, positions, B, D, rope.local);
    const Tk = this.cache.length + 1;
    this.growScores(B * c.nHead * Tk);
    for (let l = 0; l < c.nLayer; l++) {
      const win = c.layerWindows?.[l] ?? null;
      const local = win !== null && rope.local !== null;
      if (this.fusedLayer(l, B, Tk, keyMask, win, local)) continue;
      this.attention(l, B, Tk, keyMask, win !== null && win < Tk ? win : null, local);
      this.mlp(l, B);
    }
    this.cache.advance(1);
    be.rmsNormForward(h, this.rstd, x, w.finalNorm, B, C, c.normEps);
    const logits = this.logits.subarray(0, B * V);
    const i8 = int8Of(w.head);
    if (i8) be.matmulInt8(logits, h, i8.q, i8.scales, B, V, C, false);
    else if (w.head.isHalf) halfProduct(logits, h, w.head, B, V, C, true, false, m.bf16Compute);
    else be.matmul(logits, h, w.head.f32, 1, B, V, C, false, true, 0, 0, 0, false);
    if (c.finalSoftcap) {
      // Gemma 2's cap·tanh(logits / cap), as Transformer.lmHead's div, tanh and mul.
      be.binaryForward('div', logits, logits, [1], Float32Array.of(c.finalSoftcap), [0], [B * V]);
      be.unaryForward('tanh', logits, logits, B * V, 0);
      be.binaryForward('mul', logits, logits, [1], Float32Array.of(c.finalSoftcap), [0], [B * V]);
    }
    return logits;
  }

  /** Layer l in one native call (fused.ts); false when that path does not take it. */
  private fusedLayer(l: number, B: number, Tk: number, keyMask: Float32Array, window: number | null, local: boolean): boolean {
    if (!this.fused?.covers(l)) return false;
    const c = this.model.config, L = this.cache.length, { k, v } = this.cache.reserve(l, B, c.nKvHead, headDim(c), Tk);
    const [cos, sin] = local ? [this.cosLocal, this.sinLocal] : [this.cos, this.sin];
    // Under bf16Compute a batch of BF16_COMPUTE_MIN_ROWS rows or more takes the rounded products, as project() does.
    const bf16Dot = this.model.bf16Compute && B >= BF16_COMPUTE_MIN_ROWS;
    this.fused.run(l, {
      B, Tk, L, cap: k.shape[2]!, window, bf16Dot, k: k.isHalf ? k.u16 : k.f32, v: v.isHalf ? v.u16 : v.f32,
      cos, sin, keyMask, s: this.s, p: this.p,
    });
    return true;
  }

  private growScores(n: number): void {
    if (this.s.length >= n) return;
    const size = Math.max(n, 2 * this.s.length);
    this.s = this.f(size); this.p = this.f(size);
  }

  /** x += o_proj(attention(norm(x))), this token's rotated keys and its values written into row L of the cache. */
  private attention(l: number, B: number, Tk: number, keyMask: Float32Array, window: number | null, local: boolean): void {
    const c = this.model.config, be = backend(), lw = this.w.layers[l]!, C = c.dModel, D = headDim(c), H = c.nHead, Hkv = c.nKvHead;
    const { x, h, t, q, qr, k, kn, v, o, rstd, lora } = this, bf16 = this.model.bf16Compute;
    be.rmsNormForward(h, rstd, x, lw.inNorm, B, C, c.normEps);
    project(q, h, B, lw.q, lora, bf16);
    project(k, h, B, lw.k, lora, bf16);
    project(v, h, B, lw.v, lora, bf16);
    let qs = q, ks = k;
    if (lw.qNorm) {
      // Qwen3 and Gemma 3: each head of q and k normalised before it is rotated.
      be.rmsNormForward(o, rstd, q, lw.qNorm, B * H, D, c.normEps);
      be.rmsNormForward(kn, rstd, k, lw.kNorm!, B * Hkv, D, c.normEps);
      qs = o; ks = kn;
    }
    const L = this.cache.length, { k: kb, v: vb } = this.cache.reserve(l, B, Hkv, D, Tk);
    const cap = kb.shape[2]!;
    const slot = (r: number): number => (r * cap + L) * D; // row r = b·Hkv + head
    const [cos, sin] = local ? [this.cosLocal, this.sinLocal] : [this.cos, this.sin];
    rotate(qr, (r) => r * D, qs, B * H, H, D, cos, sin);
    const how = { scale: c.attnScale ?? 1 / Math.sqrt(D), softcap: c.attnSoftcap ?? null, window };
    if (kb.isHalf) {
      rotate(this.kr, (r) => r * D, ks, B * Hkv, Hkv, D, cos, sin);
      be.roundRowsBf16(kb.u16, this.kr, B * Hkv, D, L * D, cap * D); // at slot(r)
      be.roundRowsBf16(vb.u16, v, B * Hkv, D, L * D, cap * D);
      be.attentionDecodeHalf(o, qr, kb.u16, vb.u16, keyMask, [Tk, 0, 1], B, H, Hkv, cap, Tk, D, how.scale, how.softcap ?? 0, window ?? 0);
    } else {
      const kf = kb.f32, vf = vb.f32;
      rotate(kf, slot, ks, B * Hkv, Hkv, D, cos, sin);
      for (let r = 0; r < B * Hkv; r++) vf.set(v.subarray(r * D, (r + 1) * D), slot(r));
      attend(o, qr, kf, vf, keyMask, { B, H, Hkv, D, Tk, cap }, how, this.s, this.p);
    }
    project(t, o, B, lw.o, lora, bf16);
    if (lw.postAttnNorm) { be.rmsNormForward(h, rstd, t, lw.postAttnNorm, B, C, c.normEps); addInto(x, h, B * C); } else addInto(x, t, B * C);
  }

  /** x += down(act(gate(h)) ⊙ up(h)) with h = norm(x) (SwiGLU, or Gemma's GeGLU). */
  private mlp(l: number, B: number): void {
    const c = this.model.config, be = backend(), lw = this.w.layers[l]!, C = c.dModel, F = c.dFF;
    const { x, h, t, gate, up, rstd, lora } = this, bf16 = this.model.bf16Compute;
    be.rmsNormForward(h, rstd, x, lw.mlpNorm, B, C, c.normEps);
    project(gate, h, B, lw.gate, lora, bf16);
    if (c.mlpAct === 'gelu_tanh') be.geluForward(gate, gate, B * F);
    else be.siluForward(gate, gate, B * F);
    project(up, h, B, lw.up, lora, bf16);
    be.binaryForward('mul', gate, gate, [1], up, [1], [B * F]);
    project(t, gate, B, lw.down, lora, bf16);
    if (lw.postMlpNorm) { be.rmsNormForward(h, rstd, t, lw.postMlpNorm, B, C, c.normEps); addInto(x, h, B * C); } else addInto(x, t, B * C);
  }
}
