import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backend, getBackend, nativeStatus, setBackend } from '../backend/index.js';
import { noGrad } from '../autograd/index.js';
import { attention, attentionDecode, mul, stridedView, sum, type AttentionOptions } from '../ops/index.js';
import { Rng, Tensor } from '../tensor/index.js';
import { windowMask } from './window-mask.js';

test('windowMask: query i sees keys i − w < j ≤ i (the causal half is the op\'s), with the key mask added', () => {
  // 2 cached + 3 new queries, window 2: query 0 (cache index 2) sees keys 1 and 2 only.
  const m = windowMask(undefined, 2, 3, 2, 2);
  assert.deepEqual([...m.shape], [1, 1, 3, 5]);
  const seen = (i: number) => [...m.f32.subarray(i * 5, i * 5 + 5)].map((x) => (x === 0 ? 1 : 0));
  assert.deepEqual([seen(0), seen(1), seen(2)], [[0, 1, 1, 1, 1], [0, 0, 1, 1, 1], [0, 0, 0, 1, 1]]);
  const key = Float32Array.from([-Infinity, 0, 0, 0, 0, 0, 0, 0, -Infinity, 0]);
  const k = windowMask(key, 2, 1, 4, 3); // one new query at cache index 4: keys 2..4
  assert.deepEqual([...k.shape], [2, 1, 1, 5]);
  assert.deepEqual([...k.f32], [-Infinity, -Infinity, 0, 0, 0, -Infinity, -Infinity, 0, -Infinity, 0]);
});

// The model hands windows to the attention kernels (AttentionOptions.window) instead of building
// this mask: on each backend the two must agree, forward, gradients and the cached decode step,
// with left padding in the key mask and Gemma 2's soft-cap on top.
for (const name of ['js', 'native'] as const) {
  test(`attention window (${name} backend) equals the additive windowMask, forward, gradients and decode`, { skip: name === 'native' && !nativeStatus().ok && 'native addon not built' }, () => {
    const before = backend();
    setBackend(getBackend(name));
    try {
      const B = 2, H = 4, Hkv = 2, T = 75, D = 8, w = 9;
      const rng = new Rng(5);
      const randn = (shape: number[]) => { const t = new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()), shape); t.requiresGrad = true; return t; };
      const keyMask = new Float32Array(B * T);
      keyMask.fill(-Infinity, T, T + 3); // row 1 left-padded by 3
      for (const softcap of [null, 2]) {
        const run = (opts: AttentionOptions) => {
          const [q, k, v] = [randn([B, H, T, D]), randn([B, Hkv, T, D]), randn([B, Hkv, T, D])];
          const o = attention(q, k, v, { causal: true, softcap, ...opts });
          sum(mul(o, o)).backward();
          return [o, q.grad!, k.grad!, v.grad!].map((t) => t.f32);
        };
        rng.seed(11);
        const kernel = run({ mask: new Tensor(keyMask, [B, 1, 1, T]), window: w });
        rng.seed(11);
        const additive = run({ mask: windowMask(keyMask, B, T, 0, w) });
        for (const [i, what] of ['out', 'dq', 'dk', 'dv'].entries()) {
          const d = maxAbsDiff(kernel[i]!, additive[i]!);
          assert.ok(d <= 1e-5, `softcap ${softcap}: ${what} differs by ${d}`);
        }
        noGrad(() => {
          // The last query as one decode step against (B, Hkv, capacity, D) buffers with T rows in use.
          const [q, k, v] = [randn([B, H, T, D]), randn([B, Hkv, T, D]), randn([B, Hkv, T, D])];
          const full = attention(q, k, v, { causal: true, softcap, mask: new Tensor(keyMask, [B, 1, 1, T]), window: w });
          const last = stridedView(q, [B, H, 1, D], [H * T * D, T * D, D, 1], (T - 1) * D);
          const pad = (t: Tensor) => { const p = new Tensor(new Float32Array(B * Hkv * (T + 5) * D), [B, Hkv, T + 5, D]); for (let r = 0; r < B * Hkv; r++) p.f32.set(t.f32.subarray(r * T * D, (r + 1) * T * D), r * (T + 5) * D); return p; };
          const step = attentionDecode(last, pad(k), pad(v), T, { softcap, mask: new Tensor(keyMask, [B, 1, 1, T]), window: w });
          const want = stridedView(full, [B, H, 1, D], [H * T * D, T * D, D, 1], (T - 1) * D);
          assert.ok(maxAbsDiff(step.f32, want.f32) <= 1e-5, `softcap ${softcap}: decode step differs by ${maxAbsDiff(step.f32, want.f32)}`);
        });
      }
    } finally {
      setBackend(before);
    }
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
