// Clipping by global norm (Pascanu et al. 2013): over maxNorm, every gradient is scaled so that the
// global norm becomes maxNorm; at or under it, nothing changes. The norm before is returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradNorm } from '../autograd/index.js';
import { Tensor, tensor } from '../tensor/index.js';
import { clipGradNorm, NonFiniteGradientError } from './clip.js';

function withGrads(grads: number[][]): Tensor[] {
  return grads.map((g) => {
    const p = tensor(new Float32Array(g.length), [g.length], { requiresGrad: true });
    p.grad = tensor(Float32Array.from(g), [g.length]);
    return p;
  });
}

test('a norm over maxNorm is scaled to maxNorm, keeping every direction', () => {
  const ps = withGrads([[3, 0, -4], [12]]); // ‖g‖ = 13
  const noGradParam = tensor(new Float32Array(2), [2], { requiresGrad: true });
  const before = clipGradNorm([...ps, noGradParam], 1.3);
  assert.ok(Math.abs(before - 13) < 1e-6, `returned ${before}`);
  const after = gradNorm(ps);
  assert.ok(Math.abs(after - 1.3) <= 1e-6 * 1.3, `norm after clipping ${after}`);
  const want = [[0.3, 0, -0.4], [1.2]];
  ps.forEach((p, i) => p.grad!.toArray().forEach((v, j) => assert.ok(Math.abs(v - want[i]![j]!) < 1e-6, `grad ${i}[${j}] = ${v}`)));
  assert.equal(noGradParam.grad, null);
});

test('a norm at or under maxNorm leaves the gradients bit for bit', () => {
  for (const maxNorm of [13, 100]) {
    const ps = withGrads([[3, 0, -4], [12]]);
    const copies = ps.map((p) => p.grad!.f32.slice());
    assert.ok(Math.abs(clipGradNorm(ps, maxNorm) - 13) < 1e-6);
    ps.forEach((p, i) => assert.deepEqual(p.grad!.f32, copies[i]));
  }
});

test('no gradients at all: norm 0, nothing to do', () => {
  const p = tensor(new Float32Array(3), [3], { requiresGrad: true });
  assert.equal(clipGradNorm([p], 1), 0);
  assert.equal(p.grad, null);
});

test('a NaN or infinite gradient is refused before anything is scaled, naming the parameter and the index', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const ps = withGrads([[1, 2], [3, bad, 4], [bad]]);
    ps.forEach((p, i) => { p.name = `w${i}`; });
    assert.throws(() => clipGradNorm(ps, 1), (e: unknown) => e instanceof NonFiniteGradientError && e.parameter === 'w1' && Object.is(e.value, bad)
      && e.message === `the gradient of parameter "w1" holds ${bad} at index 1`);
    assert.deepEqual([...ps[0]!.grad!.f32], [1, 2], 'left as it was');
  }
});

test('the rescale is the float64 product rounded once to float32, on every backend, long gradients too', () => {
  // Training runs (the demo's table among them) keep their numbers only if the clip rounds as the
  // JavaScript loop it replaced did: fround(g · s) with s = maxNorm / (norm + 1e-6) in float64.
  const n = 200_003; // past one thread's chunk of the native kernel
  const g = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 3);
  const ps = withGrads([Array.from(g), [0.1, -7]]);
  const norm = gradNorm(ps), s = 0.5 / (norm + 1e-6);
  assert.equal(clipGradNorm(ps, 0.5), norm);
  const got = ps[0]!.grad!.f32;
  let viaF32 = 0;
  for (let i = 0; i < n; i++) {
    assert.equal(got[i], Math.fround(g[i]! * s), `grad[${i}]`);
    if (Math.fround(g[i]! * Math.fround(s)) !== got[i]) viaF32++;
  }
  assert.deepEqual(Array.from(ps[1]!.grad!.f32), [Math.fround(0.1) * s, -7 * s].map(Math.fround));
  assert.ok(viaF32 > 0, 'a float32 product would give the same bits here: the test could not tell them apart');
});
