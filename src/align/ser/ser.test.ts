import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadModelDir } from '../../model/index.js';
import { defaultConfig, Transformer } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import type { PreferencePair } from '../trainer/preference-data.js';
import { resolveSerConfig, rmSteps, runSer, serSplit, type SerConfigInput, type SerLoopRecord } from './ser.js';
import { runSerFixture } from '../../../test/fixtures/ser-run.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-ser-'));
after(() => rmSync(root, { recursive: true, force: true }));

const tok = new ByteTokenizer();
const tiny = () => new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 40 }), undefined, 3);
const POS = ['good', 'great', 'nice', 'kind', 'fine'], NEG = ['bad', 'awful', 'poor', 'sad', 'vile'];
const SUBJECTS = ['film', 'meal', 'day', 'book', 'song', 'trip', 'town', 'game'];
const pairs: PreferencePair[] = SUBJECTS.flatMap((s, i) => POS.map((p, j) => ({ prompt: `${s}:`, chosen: ` a ${p} ${s}`, rejected: ` a ${NEG[(i + j) % NEG.length]} ${s}` })));
const test_ = pairs.filter((p) => p.prompt.startsWith('game'));
const data = serSplit(pairs.filter((p) => !p.prompt.startsWith('game')), 0.3, 1);

const config: SerConfigInput = {
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

test('a SER run killed with SIGKILL in the middle of a loop resumes to the uninterrupted result, with no duplicated records', async () => {
  const dir = join(root, 'sigkill');
  const script = fileURLToPath(new URL('../../../test/fixtures/ser-run.js', import.meta.url));
  const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let killedAfter = 0;
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      // Loop 1 is recorded; loop 2 is selecting or retraining when the kill lands.
      if (!killedAfter && d.toString().includes('LOOP 1')) { killedAfter = 1; child.kill('SIGKILL'); }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`the fixture ended (code ${code}) before it was killed`))));
  });
  assert.equal(killedAfter, 1);
  const logged = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  assert.ok(logged.includes('"ser/loop1/rm"') && !logged.includes('"ser/loop3/rm"'), `killed mid-run, after: ${logged}`);
  const resumed = await runSerFixture(dir, true);
  const whole = await runSerFixture(null, false);
  assert.equal(resumed.loops.length, whole.loops.length);
  assert.deepEqual(resumed.loops.map((l) => [l.status, l.selected, l.precision, l.testAccuracy]), whole.loops.map((l) => [l.status, l.selected, l.precision, l.testAccuracy]));
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stage: string });
  const stages = metrics.map((m) => m.stage);
  assert.equal(new Set(stages).size, stages.length, `a stage logged twice: ${stages.join(', ')}`);
  for (let k = 1; k <= resumed.loops.length; k++) assert.ok(stages.includes(`ser/loop${k}/select`), `loop ${k} recorded`);
  assert.equal(new Set(resumed.pseudoLabelled.map((p) => JSON.stringify(p))).size, resumed.pseudoLabelled.length, 'nothing labelled twice');
});

test('runSer with PPO normalises the evolved RM on reference samples and trains the policy against it; a resume finds it done', async () => {
  const dir = join(root, 'ppo');
  const cfg: SerConfigInput = {
    ...config, maxLoops: 1, policyStep: 'ppo', normalisationSamples: 8,
    ppo: { steps: 3, promptsPerStep: 4, maxNewTokens: 4, minibatchSize: 4, epochs: 1, lr: 1e-2, saveEvery: 1, seed: 2 },
  };
  await assert.rejects(runSer({ model: tiny(), tokenizer: tok, ...data, test: test_, config: cfg }), /policyStep ppo needs a run store/);
  const model = tiny();
  let store = RunStore.open(dir, { command: 'ser-ppo' }, { resume: false });
  const res = await runSer({ model, tokenizer: tok, ...data, test: test_, config: cfg, store });
  store.close();
  assert.ok(res.policy && res.ppo);
  assert.equal(res.ppo.steps, 3);
  assert.ok(res.ppo.normalisation.std > 0 && res.ppo.normalisation.samples === 7, 'one sample for each of the 7 distinct prompts');
  const name = 'transformer.h.0.attn.c_attn.weight';
  assert.notDeepEqual(res.policy.params.get(name)!.f32, model.params.get(name)!.f32, 'PPO changed the policy');
  assert.ok(existsSync(join(dir, 'ppo', 'metrics.jsonl')), 'PPO wrote its own run under <store>/ppo');
  const saved = loadModelDir(join(dir, 'checkpoints', 'policy'), { tokenizer: false }).model;
  assert.deepEqual(saved.params.get(name)!.f32, res.policy.params.get(name)!.f32);
  store = RunStore.open(dir, { command: 'ser-ppo' }, { resume: true });
  const again = await runSer({ model: tiny(), tokenizer: tok, ...data, test: test_, config: cfg, store });
  store.close();
  assert.deepEqual(again.ppo, res.ppo);
  assert.deepEqual(again.policy!.params.get(name)!.f32, res.policy.params.get(name)!.f32);
});

test('rmEpochs sets each RM training to ceil(epochs · pairs / batch) steps, at least 10; 0 keeps rm.steps', () => {
  assert.deepEqual(rmSteps({ rm: { batchSize: 16 }, rmEpochs: 4 }, 338), { steps: 85 });
  assert.deepEqual(rmSteps({ rm: { batchSize: 16 }, rmEpochs: 4 }, 2250), { steps: 563 });
  assert.deepEqual(rmSteps({ rm: { batchSize: 16 }, rmEpochs: 1 }, 20), { steps: 10 });
  assert.deepEqual(rmSteps({ rm: { steps: 7 }, rmEpochs: 0 }, 2250), {});
  assert.throws(() => resolveSerConfig({ rmEpochs: -1 }), /rmEpochs = -1/);
});
