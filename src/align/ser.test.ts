import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultConfig, Transformer } from '../model/index.js';
import { RunStore } from '../runs/run-store.js';
import { ByteTokenizer } from '../tokenizer/index.js';
import type { PreferencePair } from './reward-model-data.js';
import { runSer, serSplit, type SerConfig, type SerLoopRecord } from './ser.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-ser-'));
after(() => rmSync(root, { recursive: true, force: true }));

const tok = new ByteTokenizer();
const tiny = () => new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 40 }), undefined, 3);
const POS = ['good', 'great', 'nice', 'kind', 'fine'], NEG = ['bad', 'awful', 'poor', 'sad', 'vile'];
const SUBJECTS = ['film', 'meal', 'day', 'book', 'song', 'trip', 'town', 'game'];
const pairs: PreferencePair[] = SUBJECTS.flatMap((s, i) => POS.map((p, j) => ({ prompt: `${s}:`, chosen: ` a ${p} ${s}`, rejected: ` a ${NEG[(i + j) % NEG.length]} ${s}` })));
const test_ = pairs.filter((p) => p.prompt.startsWith('game'));
const data = serSplit(pairs.filter((p) => !p.prompt.startsWith('game')), 0.3, 1);

const config: Partial<SerConfig> = {
  maxLoops: 2, minPairs: 2, maxPerLoop: 6, retrain: 'continue', policyStep: 'none',
  rm: { steps: 12, batchSize: 8, lr: 1e-2, warmupSteps: 0, seed: 1 },
};

test('serSplit: a seed fraction keeps labels; the pool hides them in a random order', () => {
  const s = serSplit(pairs, 0.15, 0);
  assert.equal(s.labelled.length, Math.round(pairs.length * 0.15));
  assert.equal(s.labelled.length + s.unlabelled.length, pairs.length);
  const sides = new Set(s.unlabelled.map((p) => p.preferred));
  assert.deepEqual([...sides].sort(), ['a', 'b']);
  for (const p of s.unlabelled) assert.ok(POS.some((w) => (p.preferred === 'a' ? p.a : p.b).includes(w)));
});

test('runSer: two loops; selected pairs leave the pool, none twice, chosen is the higher-scored; metrics per loop', async () => {
  const lines: string[] = [];
  const res = await runSer({ model: tiny(), tokenizer: tok, ...data, test: test_, config, log: (l) => lines.push(l) });
  assert.ok(res.loops.length >= 1);
  const selected = res.loops.reduce((a, l) => a + l.selected, 0);
  assert.equal(res.pseudoLabelled.length, selected);
  assert.equal(res.remaining.length + selected, data.unlabelled.length);
  for (const l of res.loops) {
    if (l.status === null) continue;
    assert.ok(l.selected <= 6 && l.selected >= 2);
    assert.ok(l.precision !== null && l.poolAccuracy !== null && l.testAccuracy !== null);
  }
  const keys = res.pseudoLabelled.map((p) => `${p.prompt}|${[p.chosen, p.rejected].sort().join('|')}`);
  assert.equal(new Set(keys).size, keys.length, 'a pair was labelled twice');
  assert.ok(lines.some((l) => /seed RM/.test(l)));
  assert.ok(lines.some((l) => /loop 1:/.test(l)));
});

test('runSer resumes after a kill between loops without duplicating loop records', async () => {
  const dir = join(root, 'resume');
  const runCfg = { command: 'ser-test' };
  let store = RunStore.open(dir, runCfg, { resume: false });
  await assert.rejects(runSer({
    model: tiny(), tokenizer: tok, ...data, test: test_, config, store,
    onLoop: (r) => { if (r.loop === 1) throw new Error('simulated kill'); },
  }), /simulated kill/);
  store.close();
  const done1 = RunStore.open(dir, runCfg, { resume: true });
  assert.deepEqual(done1.completedStages(), ['ser/seed-rm', 'ser/loop1/select', 'ser/loop1/rm']);
  const seen: SerLoopRecord[] = [];
  const res = await runSer({ model: tiny(), tokenizer: tok, ...data, test: test_, config, store: done1, onLoop: (r) => seen.push(r) });
  done1.close();
  assert.equal(res.loops.length, 2);
  assert.deepEqual(seen.map((r) => r.loop), [1, 2]);
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stage: string });
  for (const s of ['ser/seed-rm', 'ser/loop1/select', 'ser/loop1/rm', 'ser/loop2/select']) {
    assert.equal(metrics.filter((m) => m.stage === s).length, 1, `metrics of ${s}`);
  }
  // The same selection as an uninterrupted run with the same seeds.
  const whole = await runSer({ model: tiny(), tokenizer: tok, ...data, test: test_, config });
  assert.deepEqual(res.loops.map((l) => [l.selected, l.precision]), whole.loops.map((l) => [l.selected, l.precision]));
  const indices = new Set<string>();
  for (const p of res.pseudoLabelled) indices.add(JSON.stringify(p));
  assert.equal(indices.size, res.pseudoLabelled.length);
});

test('runSer with DPO trains a policy on the pairs the evolved RM labels', async () => {
  const res = await runSer({
    model: tiny(), tokenizer: tok, ...data, test: test_,
    config: { ...config, maxLoops: 1, policyStep: 'dpo', dpo: { steps: 3, batchSize: 4, warmupSteps: 0 } },
  });
  assert.ok(res.policy);
  assert.ok(res.policyPairs > data.labelled.length);
  assert.ok(res.dpoEval && Number.isFinite(res.dpoEval.loss));
});
