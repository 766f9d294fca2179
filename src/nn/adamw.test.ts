// AdamW's bookkeeping; the update's numbers against torch.optim.AdamW are in
// test/golden/adamw.golden.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../tensor/index.js';
import { AdamW } from './adamw.js';

test('decays: matrices yes; norms, ln_, biases and vectors no', () => {
  const m = tensor(new Float32Array(6), [2, 3]), v = tensor(new Float32Array(3), [3]);
  assert.equal(AdamW.decays('transformer.h.0.attn.c_attn.weight', m), true);
  assert.equal(AdamW.decays('model.layers.0.mlp.up_proj.lora_A.weight', m), true);
  assert.equal(AdamW.decays('transformer.h.0.attn.c_attn.bias', v), false);
  assert.equal(AdamW.decays('transformer.h.0.ln_1.weight', v), false);
  assert.equal(AdamW.decays('model.norm.weight', m), false);
  assert.equal(AdamW.decays('score.weight', v), false);
});

test('frozen parameters are left out; a parameter without a gradient is not moved', () => {
  const a = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
  const frozen = tensor([5, 6], [2]);
  const idle = tensor([7, 8], [2], { requiresGrad: true });
  const opt = new AdamW([['a.weight', a], ['frozen', frozen], ['idle.bias', idle]], { lr: 0.1 });
  assert.deepEqual(Object.keys(opt.state().m).sort(), ['a.weight', 'idle.bias']);
  a.grad = tensor([1, -1, 1, -1], [2, 2]);
  opt.update();
  assert.deepEqual(idle.toArray(), [7, 8]);
  assert.deepEqual(frozen.toArray(), [5, 6]);
  // First step: m̂/√v̂ = sign(g), so w ← w(1 − lr·wd) − lr·sign(g).
  const want = [1, 2, 3, 4].map((w, i) => w * (1 - 0.1 * 0.1) - 0.1 * (i % 2 === 0 ? 1 : -1));
  a.toArray().forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `a[${i}] = ${v}, expected ${want[i]}`));
  opt.zeroGrad();
  assert.equal(a.grad, null);
});

test('state and loadState resume exactly; a wrong size is named', () => {
  const mk = () => tensor([0.5, -0.25, 1, 2], [2, 2], { requiresGrad: true });
  const p1 = mk(), p2 = mk();
  const o1 = new AdamW([['w', p1]]), o2 = new AdamW([['w', p2]]);
  const grads = [[0.1, 0.2, -0.3, 0.4], [-0.2, 0.1, 0.5, 0.3], [0.3, -0.1, 0.2, -0.4]];
  p1.grad = tensor(grads[0]!, [2, 2]);
  o1.update();
  p2.f32.set(p1.f32);
  o2.loadState(structuredClone(o1.state()));
  for (const g of grads.slice(1)) {
    p1.grad = tensor(g, [2, 2]); p2.grad = tensor(g, [2, 2]);
    o1.update(); o2.update();
  }
  assert.deepEqual(p2.f32, p1.f32);
  assert.equal(o2.step, 3);
  assert.throws(() => o2.loadState({ step: 1, m: { w: new Float32Array(3) }, v: { w: new Float32Array(4) } }), /parameter "w" is missing or has the wrong size \(expected 4\)/);
});

test('bias correction counts each parameter\'s own updates (a parameter first updated at step 2 moves like step 1)', () => {
  const Opt = AdamW, mk = tensor;
  const a = mk([1], undefined, { requiresGrad: true }), b = mk([1], undefined, { requiresGrad: true });
  const opt = new Opt([['a', a], ['b', b]], { lr: 0.1, weightDecay: 0 });
  a.grad = mk([1]);
  opt.update();
  opt.zeroGrad();
  b.grad = mk([1]);
  opt.update();
  // First Adam step with bias correction moves by lr·sign(g) (up to eps), whenever it happens.
  assert.ok(Math.abs(b.data[0]! - 0.9) < 1e-6, `b moved to ${b.data[0]}`);
  const snap = opt.state();
  a.grad = mk([1]);
  opt.update();
  assert.notEqual(snap.m['a']![0], opt.state().m['a']![0], 'state() must return a snapshot, not live buffers');
  // moments() is the checkpoint writer's view: the live buffers, equal to a snapshot taken now.
  const live = opt.moments();
  assert.deepEqual(live.m['a'], opt.state().m['a']);
  a.grad = mk([1]);
  opt.update();
  assert.deepEqual(live.v['a'], opt.state().v['a'], 'moments() must follow later updates (no copy)');
});

test('AdamW allocates a parameter\'s moments at its first update, not before (torch does the same)', () => {
  const Opt = AdamW, mk = tensor;
  const a = mk([1, 2, 3, 4], undefined, { requiresGrad: true }), b = mk([1, 2, 3], undefined, { requiresGrad: true });
  const opt = new Opt([['a', a], ['b', b]], { lr: 0.1 });
  const before = opt.moments();
  // Not yet updated: every moment reads as zeros from one shared buffer, nothing of its own.
  assert.equal(before.m['a']!.buffer, before.v['b']!.buffer);
  assert.deepEqual([...before.m['a']!, ...before.v['b']!], new Array(7).fill(0));
  a.grad = mk([1, -1, 2, 0.5]);
  opt.update();
  const after = opt.moments();
  assert.notEqual(after.m['a']!.buffer, after.m['b']!.buffer, 'the updated parameter has moments of its own');
  assert.ok(after.m['a']!.some((x) => x !== 0));
  assert.deepEqual(opt.state().m['b'], new Float32Array(3), 'a parameter never updated is saved as zeros');
});
