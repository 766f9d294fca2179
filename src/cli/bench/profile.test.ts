// The profiler's labels: matmul and the 16-bit-weight matmul by shape (configs C and D: the LM
// head apart from the projections), and its totals are the wrapped kernels' own calls.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backend } from '../../backend/index.js';
import { KernelProfiler } from './profile.js';

test('kernels are timed by name and, for matmul and matmulHalf, by shape; stop() restores the backend', () => {
  const inner = backend();
  const p = new KernelProfiler(true);
  const be = backend();
  assert.notEqual(be, inner);
  be.matmulHalf(new Float32Array(6), new Float32Array(8), new Uint16Array(12), true, 2, 3, 4, true, false);
  be.matmulHalf(new Float32Array(6), new Float32Array(8), new Uint16Array(12), true, 2, 3, 4, true, false);
  be.matmul(new Float32Array(6), new Float32Array(8), new Float32Array(12), 1, 2, 3, 4, false, false, 0, 0, 0, false);
  const r = p.report();
  p.stop();
  assert.equal(backend(), inner);
  assert.deepEqual(r.map((k) => [k.name, k.calls]).sort(), [['matmul 2×4·4×3', 1], ['matmulHalf bf16 2×4·4×3ᵀ', 2]]);
  assert.ok(r.every((k) => k.ms >= 0));
});

test('a linear layer\'s product with its bias is timed by shape too', () => {
  const p = new KernelProfiler(true);
  backend().matmulBias(new Float32Array(6), new Float32Array(8), new Float32Array(12), new Float32Array(3), 2, 3, 4, false, true);
  const r = p.report();
  p.stop();
  assert.deepEqual(r.map((k) => [k.name, k.calls]), [['matmul+bias 2×4·4×3ᵀ', 1]]);
});
