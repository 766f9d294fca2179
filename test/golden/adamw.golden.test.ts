// Golden test: alignkit's AdamW against torch.optim.AdamW. The fixture adamw.json is made by
// make_models.py (run it with /usr/bin/python3): three steps, each with its own learning rate and
// fixed gradients, on tensors of rank 1 to 3 whose names put them on either side of AdamW.decays
// (torch gets the same split as two parameter groups, one with weight_decay 0). One tensor has
// gradients of 1e-8, where √v̂ is comparable to eps.
// Tolerance: |got − want| ≤ 1e-6·max(|want|, floor) with floor = 0.1·max|want| over the tensor:
// relative, except for elements an order below the tensor's scale. The state is stored in float32,
// so a first moment that passes near zero (β₁·m + (1 − β₁)·g cancelling) keeps the rounding of
// its O(scale) terms, about 6e-8·scale (measured: 7e-6 relative on an element of 7.6e-4, 4e-8 of
// the tensor's scale); parameters and second moments meet 1e-6 relative outright (worst 1e-7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tensor, type Tensor } from '../../src/index.js';
import { AdamW, type AdamWConfig } from '../../src/nn/index.js';

const FIXTURE = 'test/golden/adamw.json';
const TOL = 1e-6;
const FLOOR = 0.1;

interface Param { name: string; shape: number[]; decays: boolean; data: number[] }
interface Step {
  lr: number;
  grads: Record<string, number[]>;
  after: Record<string, number[]>;
  m: Record<string, number[]>;
  v: Record<string, number[]>;
}
interface Fixture { generator: string; config: Omit<AdamWConfig, 'lr'>; params: Param[]; steps: Step[] }

const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;

function expectClose(what: string, got: ArrayLike<number>, want: number[]): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} elements, torch has ${want.length}`);
  let scale = 0;
  for (const w of want) scale = Math.max(scale, Math.abs(w));
  let worst = -1, worstRatio = 0;
  for (let i = 0; i < want.length; i++) {
    const ratio = Math.abs(got[i]! - want[i]!) / (TOL * Math.max(Math.abs(want[i]!), FLOOR * scale));
    if (!(ratio <= worstRatio)) {
      worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
      worst = i;
    }
  }
  if (worstRatio > 1) {
    assert.fail(`${what} differs from torch at [${worst}]: got ${got[worst]}, want ${want[worst]} (${worstRatio.toFixed(1)}× the tolerance)`);
  }
}

test('AdamW.decays splits the fixture tensors as make_models.py did for torch', () => {
  for (const p of fixture.params) {
    const t = tensor(Float32Array.from(p.data), p.shape, { requiresGrad: true });
    assert.equal(AdamW.decays(p.name, t), p.decays, p.name);
  }
});

test(`golden AdamW: ${fixture.steps.length} steps of torch.optim.AdamW, parameters and moments`, () => {
  const params = new Map<string, Tensor>();
  for (const p of fixture.params) params.set(p.name, tensor(Float32Array.from(p.data), p.shape, { requiresGrad: true }));
  const opt = new AdamW(params, { ...fixture.config, lr: fixture.steps[0]!.lr });
  fixture.steps.forEach((s, k) => {
    for (const [name, p] of params) p.grad = tensor(Float32Array.from(s.grads[name]!), p.shape);
    opt.update(s.lr);
    const st = opt.state();
    assert.equal(st.step, k + 1);
    for (const [name, p] of params) {
      expectClose(`step ${k + 1} ${name}`, p.f32, s.after[name]!);
      expectClose(`step ${k + 1} exp_avg of ${name}`, st.m[name]!, s.m[name]!);
      expectClose(`step ${k + 1} exp_avg_sq of ${name}`, st.v[name]!, s.v[name]!);
    }
    opt.zeroGrad();
  });
});
