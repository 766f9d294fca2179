// The gradient-check harness: every op is compared with an independent float64 reference of
// its forward, and its autograd gradient with central finite differences of that reference.
// The scalar checked is L = Σ out·w with a fixed random w, so every output element matters.
import assert from 'node:assert/strict';
import { Rng, Tensor, backward, mul, sum, tensor } from '../../src/index.js';

export interface InputSpec {
  shape: number[];
  /** 'float' (default) normal values, 'pos' in [0.5, 2), 'ids' ints in [0, max), 'mask' 0/1 values. */
  kind?: 'float' | 'pos' | 'ids' | 'mask';
  max?: number;
  /** Excluded from the gradient check (ids, masks, constants). */
  noGrad?: boolean;
}

export interface GradCase {
  name: string;
  inputs: InputSpec[];
  run(xs: Tensor[]): Tensor;
  ref(xs: Float64Array[]): Float64Array;
  /** Tolerance on the relative gradient error (default 1e-3). */
  tol?: number;
}

function make(spec: InputSpec, rng: Rng): Tensor {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const kind = spec.kind ?? 'float';
  if (kind === 'ids') return tensor(Int32Array.from({ length: n }, () => rng.int(spec.max ?? 2)), spec.shape);
  const v = Float32Array.from({ length: n }, () =>
    kind === 'pos' ? 0.5 + 1.5 * rng.uniform() : kind === 'mask' ? (rng.uniform() < 0.5 ? 1 : 0) : rng.normal());
  return tensor(v, spec.shape, { requiresGrad: kind === 'float' || kind === 'pos' ? !spec.noGrad : false });
}

function dot(a: Float64Array, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * w[i]!;
  return s;
}

export function checkCase(c: GradCase, seed = 1234): void {
  const rng = new Rng(seed);
  const xs = c.inputs.map((s) => make(s, rng));
  const out = c.run(xs);
  const x64 = xs.map((t) => Float64Array.from(t.data));
  const ref = c.ref(x64);
  assert.equal(out.size, ref.length, `${c.name}: output has ${out.size} elements, reference ${ref.length}`);
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(out.data[i]! - ref[i]!) / Math.max(Math.abs(ref[i]!), 1);
    assert.ok(err < 1e-4 || (Number.isNaN(ref[i]!) && Number.isNaN(out.data[i]!)),
      `${c.name}: forward element ${i} is ${out.data[i]}, reference ${ref[i]}`);
  }
  const w64 = Float64Array.from({ length: ref.length }, () => rng.normal());
  if (!xs.some((t) => t.requiresGrad)) return;
  const loss = sum(mul(out, tensor(Float32Array.from(w64), out.shape)));
  backward(loss);
  const h = 1e-6;
  const tol = c.tol ?? 1e-3;
  xs.forEach((t, k) => {
    if (!t.requiresGrad) return;
    assert.ok(t.grad, `${c.name}: input ${k} received no gradient`);
    const g = t.grad.data;
    for (let i = 0; i < t.size; i++) {
      const x = x64[k]!, save = x[i]!;
      x[i] = save + h;
      const lp = dot(c.ref(x64), w64);
      x[i] = save - h;
      const lm = dot(c.ref(x64), w64);
      x[i] = save;
      const fd = (lp - lm) / (2 * h);
      const err = Math.abs(g[i]! - fd) / Math.max(Math.abs(fd), 1e-2);
      assert.ok(err < tol, `${c.name}: d/d input ${k}[${i}] autograd ${g[i]} vs finite difference ${fd} (relative error ${err.toExponential(2)})`);
    }
  });
}
