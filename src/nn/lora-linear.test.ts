// loraLinear against two oracles: the composition of ops it replaces (forward bit for bit,
// gradients to rounding) and a float64 forward by hand, whose central differences give the
// gradients exactly (the output is linear in each of x, A and B, so the differences have no
// truncation error). Shapes large enough for the blocked native GEMM, with a bf16, an f16 and a
// float32 frozen weight in both storage layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, matmul, mul, sum } from '../ops/index.js';
import { Rng, Tensor, narrowExact, randn } from '../tensor/index.js';
import { linear } from './linear.js';
import { loraLinear } from './lora-linear.js';

const [B, T, K, N, R] = [2, 37, 48, 72, 4];
const SCALE = 16 / 6; // not a power of two: the ×scale rounds

/** A frozen weight whose values are exact in `dtype`: 8 bits of mantissa, none below 2^-8 but 0. */
function frozen(shape: [number, number], dtype: 'bfloat16' | 'float16' | 'float32', rng: Rng): Tensor {
  const v = randn(shape, { rng }).f32.map((x) => Math.abs(x) < 1 / 64 ? 0 : x / 4);
  const u = new Uint32Array(v.buffer);
  for (let i = 0; i < u.length; i++) u[i] = u[i]! & 0xffff0000;
  if (dtype === 'float32') return new Tensor(v, shape);
  const bits = narrowExact(v, dtype);
  assert.ok(bits, `${dtype} holds the test weights`);
  return new Tensor(bits, shape, false, dtype);
}

function setup(dtype: 'bfloat16' | 'float16' | 'float32', transB: boolean, withBias: boolean) {
  const rng = new Rng(20);
  const x = randn([B, T, K], { rng, requiresGrad: true });
  const w = frozen(transB ? [N, K] : [K, N], dtype, rng);
  const bias = withBias ? randn([N], { rng }) : null;
  const A = randn([R, K], { rng, requiresGrad: true }), Bm = randn([N, R], { rng, requiresGrad: true });
  const G = randn([B, T, N], { rng });
  return { x, w, bias, A, B: Bm, G };
}

const grads = (...ts: Tensor[]): Float32Array[] => ts.map((t) => Float32Array.from(t.grad!.f32));
const clear = (...ts: Tensor[]): void => ts.forEach((t) => { t.grad = null; });

for (const dtype of ['bfloat16', 'float16', 'float32'] as const) {
  for (const transB of [true, false]) {
    test(`loraLinear (${dtype} W${transB ? 'ᵀ' : ''}): the forward is the composition's bit for bit, the gradients to rounding`, () => {
      const s = setup(dtype, transB, transB);
      const fused = loraLinear(s.x, s.w, s.bias, transB, { A: s.A, B: s.B, scale: SCALE });
      sum(mul(fused, s.G)).backward();
      const got = grads(s.x, s.A, s.B);
      clear(s.x, s.A, s.B);
      const composed = add(matmul(s.x, s.w, { transB, bias: s.bias }), mul(linear(linear(s.x, s.A), s.B), SCALE));
      sum(mul(composed, s.G)).backward();
      const want = grads(s.x, s.A, s.B);
      assert.deepEqual(fused.shape, [B, T, N]);
      assert.deepEqual(Array.from(fused.f32), Array.from(composed.f32));
      // Normwise: x's gradient sums terms of a few hundred that cancel to near zero in places,
      // where a rounding of the terms is large next to the element itself.
      ['x', 'A', 'B'].forEach((name, i) => {
        const a = got[i]!, b = want[i]!;
        let worst = 0, scale = 0;
        for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j]! - b[j]!)), scale = Math.max(scale, Math.abs(b[j]!));
        assert.ok(worst / scale < 1e-6, `d${name}: largest difference ${worst}, ${worst / scale} of the largest element`);
      });
    });
  }
}

/** Σ G ⊙ (x·op(W) + bias + scale·(x·Aᵀ)·Bᵀ) in float64, from the tensors' values. */
function lossF64(x: Float64Array, w: Float64Array, bias: Float64Array | null, A: Float64Array, Bm: Float64Array, G: Float32Array, transB: boolean): number {
  let L = 0;
  const h = new Float64Array(R);
  for (let m = 0; m < B * T; m++) {
    for (let r = 0; r < R; r++) { let t = 0; for (let k = 0; k < K; k++) t += x[m * K + k]! * A[r * K + k]!; h[r] = t; }
    for (let n = 0; n < N; n++) {
      let y = bias ? bias[n]! : 0;
      for (let k = 0; k < K; k++) y += x[m * K + k]! * w[transB ? n * K + k : k * N + n]!;
      let d = 0;
      for (let r = 0; r < R; r++) d += h[r]! * Bm[n * R + r]!;
      L += G[m * N + n]! * (y + SCALE * d);
    }
  }
  return L;
}

test('loraLinear: gradients match central differences of a float64 forward (exact: the loss is linear in each input)', () => {
  const s = setup('bfloat16', true, true);
  const out = loraLinear(s.x, s.w, s.bias, true, { A: s.A, B: s.B, scale: SCALE });
  sum(mul(out, s.G)).backward();
  const vals = { x: Float64Array.from(s.x.f32), A: Float64Array.from(s.A.f32), B: Float64Array.from(s.B.f32) };
  const w = Float64Array.from(s.w.values()), bias = Float64Array.from(s.bias!.f32), G = s.G.f32;
  const L = (): number => lossF64(vals.x, w, bias, vals.A, vals.B, G, true);
  // The forward itself against float64.
  const ref = L();
  const got = sum(mul(out, s.G)).item();
  assert.ok(Math.abs(got - ref) < 1e-4 * (1 + Math.abs(ref)), `loss ${got} vs float64 ${ref}`);
  for (const [name, t] of [['x', s.x], ['A', s.A], ['B', s.B]] as const) {
    const v = vals[name];
    for (const j of [0, 7, Math.floor(v.length / 2), v.length - 1]) {
      const keep = v[j]!;
      v[j] = keep + 1; const up = L();
      v[j] = keep - 1; const down = L();
      v[j] = keep;
      const fd = (up - down) / 2, g = t.grad!.f32[j]!;
      assert.ok(Math.abs(g - fd) <= 1e-4 * (1 + Math.abs(fd)), `d${name}[${j}]: ${g} vs central difference ${fd}`);
    }
  }
});

test('loraLinear: refuses a trainable base and shapes that do not fit, naming them', () => {
  const s = setup('float32', true, false);
  const lr = { A: s.A, B: s.B, scale: 2 };
  const trainable = randn([N, K], { requiresGrad: true });
  assert.throws(() => loraLinear(s.x, trainable, null, true, lr), /base weight and bias must be frozen/);
  assert.throws(() => loraLinear(s.x, s.w, null, false, lr), /x \[2, 37, 48\], W \[72, 48\], A \[4, 48\], B \[72, 4\]; expected A \(r, 48\), B \(48, r\)/);
  assert.throws(() => loraLinear(s.x, s.w, null, true, { ...lr, B: randn([N, R + 1]) }), /shapes do not fit/);
});

test('loraLinear: with a power-of-two scale (alpha = 2r) the adapters\' gradients are the composition\'s bit for bit', () => {
  for (const scale of [2, 0.5]) {
    const s = setup('bfloat16', true, true);
    sum(mul(loraLinear(s.x, s.w, s.bias, true, { A: s.A, B: s.B, scale }), s.G)).backward();
    const got = grads(s.A, s.B);
    clear(s.x, s.A, s.B);
    sum(mul(add(matmul(s.x, s.w, { transB: true, bias: s.bias }), mul(linear(linear(s.x, s.A), s.B), scale)), s.G)).backward();
    const want = grads(s.A, s.B);
    assert.deepEqual(Array.from(got[0]!), Array.from(want[0]!), `dA, scale ${scale}`);
    assert.deepEqual(Array.from(got[1]!), Array.from(want[1]!), `dB, scale ${scale}`);
  }
});
