import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { addScalarHead, defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { resolveRewardModelConfig } from './config.js';
import { tokenizePairs, type PreferencePair } from '../trainer/preference-data.js';
import { normalizeRewards, scoreTexts, sequenceRewards, trainRewardModel, type RewardModelLog } from './reward-model.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-reward-model-'));
after(() => rmSync(root, { recursive: true, force: true }));

const tok = new ByteTokenizer();
const tiny = (seed = 0) => new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 40 }), undefined, seed);

// Separable toy preferences: a positive adjective beats a negative one, whatever the subject.
const POS = ['good', 'great', 'nice', 'kind', 'fine'], NEG = ['bad', 'awful', 'poor', 'sad', 'vile'];
const SUBJECTS = ['film', 'meal', 'day', 'book', 'song', 'trip', 'town', 'game'];
const pairs: PreferencePair[] = SUBJECTS.flatMap((s, i) => POS.map((p, j) => ({
  prompt: `${s}:`, chosen: ` a ${p} ${s}`, rejected: ` a ${NEG[(i + j) % NEG.length]} ${s}`,
})));
// Held out: the last two subjects, so accuracy is measured on prompts never trained on.
const train = pairs.filter((p) => !p.prompt.startsWith('town') && !p.prompt.startsWith('game'));
const heldOut = pairs.filter((p) => p.prompt.startsWith('town') || p.prompt.startsWith('game'));

const snapshot = (m: Transformer) => new Map([...m.params].map(([k, v]) => [k, v.f32.slice()]));
const cfg = { steps: 60, batchSize: 8, lr: 1e-2, warmupSteps: 0, evalEvery: 20, seed: 1 };

test('reward model: loss starts at ln 2, every parameter changes, held-out accuracy rises above 0.9', async () => {
  const model = tiny(1);
  const before = snapshot(model);
  const res = await trainRewardModel({ model, tokenizer: tok, train, eval: heldOut, config: cfg, quiet: true });
  assert.ok(Math.abs(res.logs[0]!.loss - Math.LN2) < 1e-7, `first-step loss ${res.logs[0]!.loss}, expected ln 2 (zero head: every reward 0)`);
  assert.equal(res.logs[0]!.rewardChosen, 0);
  const firstEval = res.logs.find((l) => l.evalAccuracy !== undefined)!;
  assert.ok(res.evalAccuracy! > 0.9, `held-out accuracy ${res.evalAccuracy} (at step ${firstEval.step}: ${firstEval.evalAccuracy})`);
  const tail = res.logs.slice(-10).reduce((a, l) => a + l.loss, 0) / 10;
  assert.ok(tail < 0.3, `mean loss over the last 10 steps ${tail}, expected well below ln 2`);
  for (const [k, v] of model.params) {
    const b = before.get(k);
    if (b) assert.notDeepEqual(v.f32, b, `${k} did not change`);
  }
  assert.ok(model.params.has('score.weight') && model.params.has('score.bias'));
  // The chosen completion now scores above the rejected one on the held-out prompts.
  const r = scoreTexts(model, tok, heldOut.flatMap((p) => [p.prompt, p.prompt]), heldOut.flatMap((p) => [p.chosen, p.rejected]));
  const wins = heldOut.filter((_, i) => r[2 * i]! > r[2 * i + 1]!).length / heldOut.length;
  assert.ok(Math.abs(wins - res.evalAccuracy!) < 1e-12, `scoreTexts agrees with the trainer's evaluation (${wins} vs ${res.evalAccuracy})`);
});

test('a margin shifts the first loss to softplus(m); per-pair margins add to it', async () => {
  const first = async (margin: number, data: PreferencePair[]) => {
    const logs: RewardModelLog[] = [];
    await trainRewardModel({ model: tiny(2), tokenizer: tok, train: data, config: { ...cfg, steps: 1, margin }, quiet: true, onLog: (l) => logs.push(l) });
    return logs[0]!.loss;
  };
  const softplus = (m: number) => Math.log1p(Math.exp(m));
  assert.ok(Math.abs((await first(1.5, train)) - softplus(1.5)) < 1e-6);
  assert.ok(Math.abs((await first(0.5, train.map((p) => ({ ...p, margin: 1 })))) - softplus(1.5)) < 1e-6);
});

test('normalizeRewards: the given samples score mean 0, std 1, and the saved model scores the same', async () => {
  const model = tiny(3);
  await trainRewardModel({ model, tokenizer: tok, train, config: { ...cfg, steps: 20 }, quiet: true });
  const samples = pairs.flatMap((p) => [{ prompt: p.prompt, completion: p.chosen }, { prompt: p.prompt, completion: p.rejected }]);
  const raw = scoreTexts(model, tok, samples.map((s) => s.prompt), samples.map((s) => s.completion));
  const stats = normalizeRewards(model, tok, samples);
  const r = scoreTexts(model, tok, samples.map((s) => s.prompt), samples.map((s) => s.completion));
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length);
  assert.ok(Math.abs(mean) < 1e-5, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 1e-5, `std ${std}`);
  assert.ok(stats.std > 0 && stats.samples === samples.length);
  r.forEach((v, i) => assert.ok(Math.abs(v - (raw[i]! - stats.mean) / stats.std) < 1e-4, `sample ${i}: an affine map of the raw score`));
  // The head travels with the weights as score.*; loadModelDir reads it back.
  const dir = join(root, 'normalized');
  saveModelDir(dir, model, { tokenizer: tok });
  const loaded = loadModelDir(dir);
  const again = scoreTexts(loaded.model, loaded.tokenizer!, samples.map((s) => s.prompt), samples.map((s) => s.completion));
  again.forEach((v, i) => assert.equal(v, r[i]));
  assert.throws(() => normalizeRewards(tiny(4), tok, samples), /no "score" head/);
  assert.throws(() => normalizeRewards(model, tok, samples.slice(0, 1)), /1 samples, expected at least 2/);
});

test('resume after a crash continues exactly: same losses and weights, every step logged once', async () => {
  const c = { ...cfg, steps: 8, saveEvery: 3, evalEvery: 4 };
  const ref = tiny(5);
  const full = (await trainRewardModel({ model: ref, tokenizer: tok, train, eval: heldOut, config: c, quiet: true })).logs;
  const dir = join(root, 'resume');
  const first = RunStore.open(dir, { c }, { resume: false });
  await assert.rejects(trainRewardModel({
    model: tiny(5), tokenizer: tok, train, eval: heldOut, config: c, store: first, quiet: true,
    onLog: (l) => { if (l.step === 5) throw new Error('simulated crash'); },
  }), /simulated crash/);
  first.close();
  const store = RunStore.open(dir, { c }, { resume: true });
  assert.deepEqual(store.completedStages(), ['train/step-3']);
  // A differently initialised model: the weights must come from checkpoint step-3.
  const model = tiny(99);
  const res = await trainRewardModel({ model, tokenizer: tok, train, eval: heldOut, config: c, store, quiet: true });
  assert.deepEqual(res.logs.map((l) => l.step), [4, 5, 6, 7, 8]);
  res.logs.forEach((l, i) => assert.equal(l.loss, full[3 + i]!.loss, `step ${l.step}`));
  for (const [k, v] of model.params) assert.deepEqual(v.f32, ref.params.get(k)!.f32, `${k} differs from the uninterrupted run`);
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((s) => JSON.parse(s) as { stage: string; step: number });
  assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3, 4, 5, 6, 7, 8], 'every step once, in order');
  assert.deepEqual(store.completedStages(), ['train/step-3', 'train/step-6', 'train/step-8']);
  // A second resume of a finished run trains nothing and reports the held-out accuracy.
  const done = await trainRewardModel({ model: tiny(7), tokenizer: tok, train, eval: heldOut, config: c, store, quiet: true });
  assert.equal(done.logs.length, 0);
  assert.equal(done.step, 8);
  assert.equal(done.evalAccuracy, res.evalAccuracy);
  store.close();
});

test('epochs > 0 sets the steps from the pairs (TRL num_train_epochs), and the schedule ends with them', async () => {
  // 30 training pairs, 8 per step: 1.5 epochs are ceil(45 / 8) = 6 steps.
  const res = await trainRewardModel({ model: tiny(6), tokenizer: tok, train, config: { ...cfg, steps: 100, epochs: 1.5, warmupSteps: 2 }, quiet: true });
  assert.equal(train.length, 30);
  assert.deepEqual(res.logs.map((l) => l.step), [1, 2, 3, 4, 5, 6]);
  assert.ok(Math.abs(res.logs.at(-1)!.lr - cfg.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 3 / 4)))) < 1e-9, `last lr ${res.logs.at(-1)!.lr}: the cosine runs over 6 steps, not 100`);
});

test('config and data errors name the field, the value and what was expected', async () => {
  assert.throws(() => resolveRewardModelConfig({ steps: 0 }), /reward-model config: steps = 0, expected a positive integer/);
  assert.throws(() => resolveRewardModelConfig({ margin: NaN }), /margin = NaN, expected a finite number/);
  await assert.rejects(trainRewardModel({ model: tiny(), tokenizer: tok, train: [], quiet: true }), /train holds no preference pairs/);
  // Prompts lose their start to fit maxLen; the completions and their EOS stay whole.
  const long = tokenizePairs([{ prompt: 'x'.repeat(50), chosen: 'ab', rejected: 'abcd' }], tok, 10);
  assert.equal(long.truncated, 1);
  assert.deepEqual(long.pairs[0]!.prompt.length + long.pairs[0]!.rejected.length, 10);
  assert.deepEqual(long.pairs[0]!.rejected.at(-1), tok.eos);
  assert.throws(() => tokenizePairs([{ prompt: 'p', chosen: 'c'.repeat(20), rejected: 'r' }], tok, 10), /preference pair 0: a completion of 21 tokens does not fit maxLen 10/);
});

test('scoreTexts reads a chat prompt as training did: the template\'s special tokens as control tokens, the sampled reply as plain text', () => {
  const m = tiny(5);
  addScalarHead(m, 'score');
  const pair: PreferencePair = { prompt: 'user: hi\nassistant: ', chosen: 'hello<|eos|>', rejected: 'bye<|eos|>', chat: true };
  const [t] = tokenizePairs([pair], tok, 40).pairs;
  const trained = sequenceRewards(m, [[...t!.prompt, ...t!.chosen]], tok.pad!).toArray()[0]!;
  assert.equal(scoreTexts(m, tok, [pair.prompt], ['hello'], { chatPrompts: [true] })[0], trained, 'the sampled reply, closed by EOS, is the trained chosen sequence');
  const chatPrompt = { ...pair, prompt: 'user: a<|eos|>\nassistant: ' };
  const [u] = tokenizePairs([chatPrompt], tok, 40).pairs;
  const withEos = sequenceRewards(m, [[...u!.prompt, ...u!.chosen]], tok.pad!).toArray()[0]!;
  assert.equal(scoreTexts(m, tok, [chatPrompt.prompt], ['hello'], { chatPrompts: [true] })[0], withEos);
  assert.notEqual(scoreTexts(m, tok, [chatPrompt.prompt], ['hello'])[0], withEos, 'a plain prompt keeps "<|eos|>" as text');
  assert.notEqual(scoreTexts(m, tok, [chatPrompt.prompt], ['hello<|eos|>'], { chatPrompts: [true] })[0], withEos, 'a reply that spells "<|eos|>" gets no control token');
});
