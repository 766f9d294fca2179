// Golden tests: every differentiable op against PyTorch. The fixture ops.json is made by
// make_ops.py (run it with /usr/bin/python3, which has python3-torch); each case holds inputs, the
// output, a weight w and the gradients of sum(out·w), which here is out.backward(w).
// Tolerance: |got − want| ≤ tol·max(|want|, 1), tol per case (1e-5, or 1e-4 for long reductions and
// the composite), so the check is relative for large values and absolute below 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  Tensor, add, attention, concat, crossEntropy, dropout, div, embedding, exp, gelu, layerNorm, log, logSoftmax,
  matmul, max, maskedFill, mean, mul, neg, permute, pow, relu, reshape, rmsNorm, silu, slice, softmax, sqrt, sub, sum,
  tanh, tensor, transpose, where, Rng,
} from '../../src/index.js';

const FIXTURE = 'test/golden/ops.json';

interface Arr { shape: number[]; dtype: 'float32' | 'int32'; data: number[] }
interface Input extends Arr { name: string; grad: boolean }
type Params = Record<string, unknown>;
interface Case {
  name: string;
  op: string;
  params: Params;
  tol: number;
  inputs: Input[];
  w: Arr;
  out: Arr;
  grads: Record<string, Arr>;
}
interface Fixture { generator: string; torch: string; cases: Case[] }

type Inputs = Record<string, Tensor>;
type Run = (t: Inputs, p: Params) => Tensor;

function num(p: Params, k: string): number {
  const v = p[k];
  if (typeof v !== 'number') throw new TypeError(`fixture: param ${k} = ${JSON.stringify(v)}, expected a number`);
  return v;
}

function opt<T>(p: Params, k: string): T | undefined {
  return p[k] as T | undefined;
}

function input(t: Inputs, k: string): Tensor {
  const v = t[k];
  if (!v) throw new Error(`fixture: input ${k} is missing`);
  return v;
}

/** A binary operand: the input tensor of that name, or the number in params. */
function operand(t: Inputs, p: Params, k: string): Tensor | number {
  return t[k] ?? num(p, k);
}

type Axes = number | number[] | undefined;

const ops: Record<string, Run> = {
  add: (t, p) => add(operand(t, p, 'a'), operand(t, p, 'b')),
  sub: (t, p) => sub(operand(t, p, 'a'), operand(t, p, 'b')),
  mul: (t, p) => mul(operand(t, p, 'a'), operand(t, p, 'b')),
  div: (t, p) => div(operand(t, p, 'a'), operand(t, p, 'b')),
  mulSelf: (t) => mul(input(t, 'x'), input(t, 'x')),
  neg: (t) => neg(input(t, 'x')),
  exp: (t) => exp(input(t, 'x')),
  log: (t) => log(input(t, 'x')),
  sqrt: (t) => sqrt(input(t, 'x')),
  tanh: (t) => tanh(input(t, 'x')),
  relu: (t) => relu(input(t, 'x')),
  gelu: (t) => gelu(input(t, 'x')),
  silu: (t) => silu(input(t, 'x')),
  pow: (t, p) => pow(input(t, 'x'), num(p, 'p')),
  sum: (t, p) => sum(input(t, 'x'), opt<Axes>(p, 'axes'), opt<boolean>(p, 'keepdim') ?? false),
  mean: (t, p) => mean(input(t, 'x'), opt<Axes>(p, 'axes'), opt<boolean>(p, 'keepdim') ?? false),
  max: (t, p) => max(input(t, 'x'), opt<Axes>(p, 'axes'), opt<boolean>(p, 'keepdim') ?? false),
  softmax: (t) => softmax(input(t, 'x')),
  logSoftmax: (t) => logSoftmax(input(t, 'x')),
  layerNorm: (t, p) => layerNorm(input(t, 'x'), input(t, 'w'), t.b ?? null, opt<number>(p, 'eps')),
  rmsNorm: (t, p) => rmsNorm(input(t, 'x'), input(t, 'w'), opt<number>(p, 'eps')),
  embedding: (t) => embedding(input(t, 'table'), input(t, 'ids')),
  crossEntropy: (t, p) => crossEntropy(input(t, 'logits'), input(t, 'targets'), {
    ignoreIndex: opt<number>(p, 'ignoreIndex'),
    reduction: opt<'mean' | 'sum' | 'none'>(p, 'reduction'),
  }),
  reshape: (t, p) => reshape(input(t, 'x'), p.shape as number[]),
  permute: (t, p) => permute(input(t, 'x'), p.perm as number[]),
  transpose: (t, p) => transpose(input(t, 'x'), opt<number>(p, 'a'), opt<number>(p, 'b')),
  slice: (t, p) => slice(input(t, 'x'), num(p, 'axis'), num(p, 'start'), opt<number>(p, 'end')),
  concat: (t, p) => concat(Object.keys(t).filter((k) => /^x\d+$/.test(k)).sort().map((k) => input(t, k)), num(p, 'axis')),
  where: (t, p) => where(input(t, 'cond'), operand(t, p, 'a'), operand(t, p, 'b')),
  maskedFill: (t, p) => maskedFill(input(t, 'x'), input(t, 'mask'), num(p, 'value')),
  matmul: (t, p) => matmul(input(t, 'a'), input(t, 'b'), { transA: opt<boolean>(p, 'transA'), transB: opt<boolean>(p, 'transB') }),
  attention: (t, p) => attention(input(t, 'q'), input(t, 'k'), input(t, 'v'), {
    causal: opt<boolean>(p, 'causal'),
    mask: t.mask ?? null,
    scale: opt<number>(p, 'scale'),
  }),
  dropout: (t, p) => dropout(input(t, 'x'), num(p, 'p'), opt<boolean>(p, 'training') ?? false),
  mlp: (t) => {
    const x = input(t, 'x'); // (B, T, C)
    let h = add(matmul(x, input(t, 'w1'), { transB: true }), input(t, 'b1')); // (B, T, Hd)
    h = gelu(layerNorm(h, input(t, 'g'), input(t, 'beta')));
    const logits = add(matmul(h, input(t, 'w2'), { transB: true }), input(t, 'b2')); // (B, T, V)
    return crossEntropy(logits, input(t, 'targets'));
  },
};

function toTensor(a: Input): Tensor {
  if (a.dtype === 'int32') return tensor(Int32Array.from(a.data), a.shape);
  return tensor(Float32Array.from(a.data), a.shape, { requiresGrad: a.grad });
}

/** Index of a flat offset in a shape, as "[i, j, k]". */
function unravel(i: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]!);
    i = Math.floor(i / shape[d]!);
  }
  return `[${idx.join(', ')}]`;
}

/** Fails with the case, the tensor and its worst element when any element is out of tolerance. */
function expectClose(c: Case, what: string, got: ArrayLike<number>, gotShape: readonly number[], want: Arr): void {
  assert.deepEqual([...gotShape], want.shape, `${c.name}: ${what} has shape [${gotShape.join(', ')}], torch has [${want.shape.join(', ')}]`);
  assert.equal(got.length, want.data.length, `${c.name}: ${what} has ${got.length} elements, torch has ${want.data.length}`);
  let worst = -1, worstRatio = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want.data[i]!;
    const ratio = Math.abs(g - w) / (c.tol * Math.max(Math.abs(w), 1));
    if (!(ratio <= worstRatio)) { // NaN lands here too
      worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
      worst = i;
    }
  }
  if (worstRatio > 1) {
    const g = got[worst]!, w = want.data[worst]!;
    assert.fail(`${c.name}: ${what} differs from torch at ${unravel(worst, want.shape)} (flat ${worst}): ` +
      `got ${g}, want ${w}, |diff| = ${Math.abs(g - w).toExponential(3)} > ${c.tol}·max(|want|, 1) ` +
      `(${worstRatio.toFixed(1)}× the tolerance)`);
  }
}

const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;

test(`fixture ${FIXTURE} is from ${fixture.generator} and holds cases`, () => {
  assert.ok(fixture.cases.length > 0);
  const unknown = fixture.cases.filter((c) => !(c.op in ops)).map((c) => `${c.name} (${c.op})`);
  assert.deepEqual(unknown, [], 'cases whose op the test does not know');
});

for (const c of fixture.cases) {
  test(`golden ${c.name}`, () => {
    const run = ops[c.op];
    assert.ok(run, `${c.name}: unknown op ${c.op}`);
    const t: Inputs = {};
    for (const a of c.inputs) t[a.name] = toTensor(a);
    const out = run(t, c.params);
    expectClose(c, 'output', out.f32, out.shape, c.out);
    out.backward(Float32Array.from(c.w.data));
    for (const [name, want] of Object.entries(c.grads)) {
      const x = input(t, name);
      const got = x.grad ? x.grad.f32 : new Float32Array(x.size); // no gradient reached it: zeros
      expectClose(c, `grad of ${name}`, got, x.shape, want);
    }
  });
}

// Training-mode dropout draws its own mask, which torch cannot reproduce, so it is checked against
// its definition instead (inverted dropout: each element is 0 or x/(1−p), and the gradient follows).
test('dropout in training keeps x/(1−p) or 0, and the gradient follows the mask', () => {
  const p = 0.3, n = 4000;
  const rng = new Rng(7);
  const x = tensor(Float32Array.from({ length: n }, (_, i) => 1 + (i % 7) * 0.25), [n], { requiresGrad: true });
  const w = Float32Array.from({ length: n }, (_, i) => ((i * 37) % 11) - 5);
  const y = dropout(x, p, true, rng);
  y.backward(w);
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    const xi = x.f32[i]!, yi = y.f32[i]!;
    const kept = Math.fround(xi * Math.fround(1 / (1 - p)));
    if (yi === 0) {
      dropped++;
      // ±0: the gradient is written as g·0, whose sign follows g's (as PyTorch's mul backward gives).
      assert.ok(x.grad!.f32[i] === 0, `dropped element ${i} has a gradient ${x.grad!.f32[i]}`);
    } else {
      assert.ok(Math.abs(yi - kept) <= 1e-6 * kept, `element ${i}: ${yi}, expected 0 or ${kept}`);
      assert.ok(Math.abs(x.grad!.f32[i]! - w[i]! / (1 - p)) <= 1e-5 * Math.max(1, Math.abs(w[i]!)), `gradient of kept element ${i}`);
    }
  }
  const rate = dropped / n; // binomial sd ≈ 0.007 at n = 4000
  assert.ok(Math.abs(rate - p) < 0.04, `dropped ${rate.toFixed(3)} of elements, expected about ${p}`);
});
