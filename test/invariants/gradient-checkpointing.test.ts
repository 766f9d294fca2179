// Activation checkpointing (issue 18) changes what a training step keeps, never what it computes:
// the gradients of every trained tensor (weights, embeddings, LoRA adapters) with each decoder
// layer checkpointed equal, bit for bit, those of the plain graph — dropout and LoRA dropout on,
// a GPT-2 and a Llama-layout model (grouped-query attention, a frozen bfloat16 base under LoRA).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, Tensor, backward, narrowExact, sum } from '../../src/index.js';
import { Transformer, defaultLoraTargets, freezeForLora } from '../../src/model/index.js';
import { randomIds, tinyConfig } from '../../src/model/test-util.test.js';

/** Frozen matrices as bfloat16 tensors (their float32 values cut to bfloat16 first), as a 16-bit LoRA base is loaded. */
function halfBase(m: Transformer): void {
  for (const [name, t] of m.params) {
    if (t.requiresGrad || t.rank !== 2) continue;
    const u = new Uint32Array(t.f32.buffer, t.f32.byteOffset, t.size);
    for (let i = 0; i < u.length; i++) u[i] = u[i]! & 0xffff0000;
    const h = new Tensor(narrowExact(t.f32, 'bfloat16')!, t.shape, false, 'bfloat16');
    h.name = t.name;
    m.params.set(name, h);
  }
}

function makeModel(kind: 'gpt2' | 'llama-lora'): Transformer {
  if (kind === 'gpt2') return new Transformer(tinyConfig('gpt2', { dropout: 0.1 }), undefined, 3);
  const m = new Transformer(tinyConfig('llama', { dropout: 0.1, nLayer: 3 }), undefined, 3);
  freezeForLora(m, { rank: 4, alpha: 8, dropout: 0.2, targets: defaultLoraTargets.llama }, null, new Rng(4));
  // B starts at zero (PEFT's init), which would leave every A's gradient zero: nothing to compare.
  const r = new Rng(5);
  for (const a of m.lora.values()) for (let i = 0; i < a.B.size; i++) a.B.f32[i] = 0.3 * r.normal();
  halfBase(m);
  return m;
}

/** Nodes of an op on the graph below `root`. */
function countOps(root: Tensor, op: string): number {
  const seen = new Set<Tensor>([root]), stack = [root];
  let n = 0;
  while (stack.length) {
    const t = stack.pop()!;
    if (t.node?.op === op) n++;
    for (const x of t.node?.inputs ?? []) if (!seen.has(x)) { seen.add(x); stack.push(x); }
  }
  return n;
}

function step(kind: 'gpt2' | 'llama-lora', checkpoint: boolean) {
  const m = makeModel(kind), rng = new Rng(9), V = m.config.vocabSize;
  const ids = randomIds(new Rng(1), 2, 12, V), targets = randomIds(new Rng(2), 2, 12, V);
  const loss = sum(m.tokenLosses(m.hidden(ids, { training: true, rng, checkpoint }), targets));
  const checkpoints = countOps(loss, 'checkpoint');
  backward(loss);
  const trained = m.namedParameters().filter(([, t]) => t.requiresGrad);
  return { m, loss: loss.item(), rng: rng.state(), checkpoints, grads: new Map(trained.map(([k, t]) => [k, t.grad!.f32.slice()])) };
}

for (const kind of ['gpt2', 'llama-lora'] as const) {
  test(`${kind}: every trained tensor's gradient with each layer checkpointed equals the plain step's, bit for bit`, () => {
    const plain = step(kind, false), ck = step(kind, true);
    assert.equal(plain.checkpoints, 0);
    assert.equal(ck.checkpoints, ck.m.config.nLayer, 'one checkpoint per decoder layer');
    assert.equal(ck.loss, plain.loss);
    assert.deepEqual(ck.rng, plain.rng, 'the generator ends where the plain forward leaves it');
    assert.ok(plain.grads.size > 0);
    for (const [k, g] of plain.grads) {
      assert.ok(g.some((v) => v !== 0), `${k}: a zero gradient compares nothing`);
      assert.deepEqual(ck.grads.get(k), g, k);
    }
    if (kind === 'gpt2') assert.ok(plain.grads.has('transformer.wte.weight'), 'the input embedding trains');
    else assert.ok([...ck.m.params.values()].some((t) => t.dtype === 'bfloat16'), 'a 16-bit frozen base');
  });
}

test('the model switch turns it on for every forward that records, never for one under a cache or without recording', () => {
  const m = makeModel('gpt2');
  m.gradientCheckpointing = true;
  const ids = randomIds(new Rng(1), 1, 6, m.config.vocabSize);
  assert.equal(countOps(sum(m.hidden(ids, { training: true })), 'checkpoint'), m.config.nLayer);
  assert.equal(countOps(sum(m.hidden(ids, { checkpoint: false })), 'checkpoint'), 0, 'the forward option overrides the switch');
  assert.equal(m.clone().gradientCheckpointing, true, 'a clone keeps it');
});
