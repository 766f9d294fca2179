// The fused ops against the composed ops they replace in the Llama-layout block: forward values and
// gradients equal bit for bit (the same roundings, the same kernels), so fusing changed no number
// of any model (finite differences check them independently in test/gradcheck). And what fusing is
// for: the nodes keep fewer tensors alive between the forward and the backward.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, tapeBytes } from '../../autograd/index.js';
import { Rng, Tensor, randn } from '../../tensor/index.js';
import { add, gelu, mul, neg, silu } from '../elementwise.js';
import { concat, slice, stridedView } from '../shape.js';
import { sum } from '../reduce.js';
import { glu, projectionHeads, rotary } from './index.js';

const bits = (x: Float32Array): Uint32Array => new Uint32Array(x.buffer, x.byteOffset, x.length);

function composedRope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const D = x.shape[3]!, half = D / 2;
  return add(mul(x, cos), mul(concat([neg(slice(x, 3, half, D)), slice(x, 3, 0, half)], 3), sin));
}

/** Output and input gradient of f(x) under a random output weighting (so no gradient is uniform). */
function run(x0: Tensor, f: (x: Tensor) => Tensor, seed: number): { out: Float32Array; grad: Float32Array } {
  const x = new Tensor(x0.f32.slice(), x0.shape);
  x.requiresGrad = true;
  const out = f(x);
  const w = randn(out.shape, { rng: new Rng(seed) });
  backward(sum(mul(out, w)));
  return { out: out.f32.slice(), grad: x.grad!.f32.slice() };
}

test('rotary equals x·cos + rotate_half(x)·sin written out, from a projection in place and from contiguous heads', () => {
  const rng = new Rng(3), B = 2, T = 5, D = 8, H = 3, W = 4 * D + 3;
  const cos = randn([B, 1, T, D], { rng }), sin = randn([B, 1, T, D], { rng });
  const proj = randn([B, T, W], { rng });
  for (const c0 of [0, D + 3]) {
    const heads = (p: Tensor): Tensor => stridedView(p, [B, H, T, D], [T * W, D, W, 1], c0);
    const a = run(proj, (p) => composedRope(heads(p), cos, sin), 7);
    const b = run(proj, (p) => rotary(p, cos, sin, projectionHeads(p, H, D, c0)), 7);
    assert.deepEqual(bits(b.out), bits(a.out), `forward, channel ${c0}`);
    assert.deepEqual(bits(b.grad), bits(a.grad), `gradient, channel ${c0}`);
    const c = run(proj, (p) => rotary(heads(p), cos, sin), 7);
    assert.deepEqual(bits(c.out), bits(a.out));
    assert.deepEqual(bits(c.grad), bits(a.grad));
  }
  assert.throws(() => rotary(randn([1, 2, 3, 4]), randn([1, 1, 3, 2]), randn([1, 1, 3, 2])), /cos has shape \[1, 1, 3, 2\], expected \[1, 1, 3, 4\]/);
  assert.throws(() => rotary(proj, cos, sin, projectionHeads(proj, H + 2, D, D)), /leave/);
});

test('glu equals act(gate) ⊙ up written out, SiLU and tanh-GELU, gradients of both inputs', () => {
  const rng = new Rng(5), gate0 = randn([3, 4, 7], { rng }), up0 = randn([3, 4, 7], { rng });
  for (const [act, f] of [['silu', silu], ['gelu_tanh', gelu]] as const) {
    const both = (g: (gate: Tensor, up: Tensor) => Tensor) => {
      const gate = new Tensor(gate0.f32.slice(), gate0.shape), up = new Tensor(up0.f32.slice(), up0.shape);
      gate.requiresGrad = true; up.requiresGrad = true;
      const out = g(gate, up);
      backward(sum(mul(out, randn(out.shape, { rng: new Rng(9) }))));
      return [out.f32, gate.grad!.f32, up.grad!.f32].map((a) => bits(a.slice()));
    };
    const composed = both((g, u) => mul(f(g), u)), fused = both((g, u) => glu(g, u, act));
    composed.forEach((want, i) => assert.deepEqual(fused[i], want, `${act}: ${['forward', 'gate gradient', 'up gradient'][i]}`));
  }
  assert.throws(() => glu(randn([2, 3]), randn([3, 2]), 'silu'), /swiglu/);
});

test('the fused rotation keeps only the projection; the fused GLU no activation of the gate', () => {
  const rng = new Rng(1), B = 2, T = 6, D = 8, H = 4, W = H * D;
  const cos = randn([B, 1, T, D], { rng }), sin = randn([B, 1, T, D], { rng });
  const x = randn([B, T, W], { rng }).requireGrad();
  const p = mul(x, 2); // an intermediate standing for the projection's output
  const projBytes = p.f32.byteLength;
  const composed = composedRope(stridedView(p, [B, H, T, D], [T * W, D, W, 1]), cos, sin);
  const fused = rotary(p, cos, sin, projectionHeads(p, H, D));
  // The composed graph holds the heads' copy, two slices, a negation, the concatenation, two
  // products and the output: seven more tensors of the projection's size or half of it.
  assert.equal(tapeBytes(fused), 2 * projBytes, 'the output and the projection');
  assert.equal(tapeBytes(composed), projBytes * (1 + 1 + 0.5 + 0.5 + 0.5 + 1 + 1 + 1 + 1));
  const gate = mul(x, 3), up = mul(x, 4);
  assert.equal(tapeBytes(glu(gate, up, 'silu')), 3 * projBytes);
  assert.equal(tapeBytes(mul(silu(gate), up)), 4 * projBytes);
});
