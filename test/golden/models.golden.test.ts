// Golden tests: whole transformers against PyTorch. The fixture models.json is made by
// make_models.py (run it with /usr/bin/python3, which has python3-torch): one tiny GPT-2 and one
// tiny Llama (grouped-query) written as torch modules after Hugging Face's GPT2LMHeadModel and
// LlamaForCausalLM, with every parameter stored under alignkit's (= Hugging Face's) names.
// Each case holds the weights, ids, targets, the logits, the mean cross-entropy and the gradient of
// that loss with respect to every parameter, computed in float64.
// Tolerance: |got − want| ≤ 1e-4·max(|want|, floor) with floor = 1e-2·max|want| over the tensor.
// The op suite's absolute floor of 1 suits values of order 1 (logits) but would excuse anything in
// gradients of order 1e-3, so the floor scales with the tensor: elements far below the tensor's own
// scale are held to an absolute error of 1e-6 of that scale (float32 sums of its larger terms).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { crossEntropy, tensor, type Tensor } from '../../src/index.js';
import { Transformer, expectedShapes, validateConfig, type ModelConfig, type Params } from '../../src/model/index.js';

const FIXTURE = 'test/golden/models.json';
const TOL = 1e-4;
const FLOOR = 1e-2;

interface Arr { shape: number[]; data: number[] }
interface Param extends Arr { name: string; grad: number[] }
interface Case {
  name: string;
  config: ModelConfig;
  ids: Arr;
  targets: Arr;
  logits: Arr;
  loss: number;
  params: Param[];
}
interface Fixture { generator: string; torch: string; cases: Case[] }

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
  let scale = 0;
  for (const w of want.data) scale = Math.max(scale, Math.abs(w));
  const floor = FLOOR * scale;
  let worst = -1, worstRatio = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want.data[i]!;
    const ratio = Math.abs(g - w) / (TOL * Math.max(Math.abs(w), floor));
    if (!(ratio <= worstRatio)) { // NaN lands here too
      worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
      worst = i;
    }
  }
  if (worstRatio > 1) {
    const g = got[worst]!, w = want.data[worst]!;
    assert.fail(`${c.name}: ${what} differs from torch at ${unravel(worst, want.shape)} (flat ${worst}): ` +
      `got ${g}, want ${w}, |diff| = ${Math.abs(g - w).toExponential(3)} > ${TOL}·max(|want|, ${floor.toExponential(2)}) ` +
      `(${worstRatio.toFixed(1)}× the tolerance)`);
  }
}

const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;

function build(c: Case): { model: Transformer; params: Params } {
  const params: Params = new Map();
  for (const p of c.params) {
    const t = tensor(Float32Array.from(p.data), p.shape, { requiresGrad: true });
    t.name = p.name;
    params.set(p.name, t);
  }
  return { model: new Transformer(validateConfig({ ...c.config }), params), params };
}

test(`fixture ${FIXTURE} is from ${fixture.generator} and holds both families`, () => {
  assert.deepEqual(fixture.cases.map((c) => c.config.family).sort(), ['gpt2', 'llama']);
});

for (const c of fixture.cases) {
  test(`golden model ${c.name}: parameter names and shapes are alignkit's`, () => {
    const want = expectedShapes(c.config);
    const got = new Map(c.params.map((p) => [p.name, p.shape]));
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'torch module parameter names');
    for (const [name, shape] of want) assert.deepEqual(got.get(name), shape, `shape of ${name}`);
  });

  test(`golden model ${c.name}: logits, loss and every parameter gradient`, () => {
    const { model, params } = build(c);
    const ids = tensor(Int32Array.from(c.ids.data), c.ids.shape);
    const targets = tensor(Int32Array.from(c.targets.data), c.targets.shape);
    const logits = model.logits(ids); // (B, T, V)
    expectClose(c, 'logits', logits.f32, logits.shape, c.logits);
    const loss = crossEntropy(logits, targets);
    expectClose(c, 'loss', loss.f32, [], { shape: [], data: [c.loss] });
    loss.backward();
    for (const p of c.params) {
      const t: Tensor = params.get(p.name)!;
      assert.ok(t.grad, `${c.name}: ${p.name} received no gradient`);
      expectClose(c, `grad of ${p.name}`, t.grad.f32, t.shape, { shape: p.shape, data: p.grad });
    }
  });
}
