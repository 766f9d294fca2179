import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCorpus, holdOutEveryKth } from '../../data/corpora.js';
import { completionExample, packDocuments, streamWindows, type TokenExample } from '../../data/lm-examples.js';
import { defaultConfig, generate, Transformer } from '../../model/index.js';
import { ByteTokenizer, CharTokenizer } from '../../tokenizer/index.js';
import { RunStore } from '../../runs/run-store.js';
import { evaluateLoss, trainSft, type SftLog } from './sft.js';
import { tempDir } from '../../io/temp-dir.test.js';

const tiny = (vocab: number, seed = 0) =>
  new Transformer(defaultConfig('gpt2', { vocabSize: vocab, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 32 }), undefined, seed);

const tok = new ByteTokenizer();
const pairs: TokenExample[] = Array.from({ length: 12 }, (_, i) =>
  completionExample(`Q${i % 4}:`, ` answer ${'abcd'[i % 4]!.repeat(1 + (i % 3))}`, tok, 24));

const snapshot = (m: Transformer) => new Map([...m.params].map(([k, v]) => [k, v.f32.slice()]));

test('sft changes every trained parameter and lowers the loss on the completions', async () => {
  const model = tiny(tok.vocabSize);
  const before = snapshot(model);
  const l0 = evaluateLoss(model, pairs, 4, tok.pad!);
  await trainSft({ model, tokenizer: tok, train: pairs, config: { steps: 40, batchSize: 4, lr: 1e-2, warmupSteps: 2, minLr: 1e-3 }, quiet: true });
  const l1 = evaluateLoss(model, pairs, 4, tok.pad!);
  assert.ok(l1 < l0 - 1, `loss ${l0} → ${l1}`);
  for (const [k, v] of model.params) assert.notDeepEqual(v.f32, before.get(k), `${k} did not change`);
});

test('completion-only loss: prompt tokens carry no label', async () => {
  const e = completionExample('abc', 'de', tok, 32);
  // inputs a b c d e → targets b c d e <eos>; only d, e and <eos> (predicted from c, d, e) count.
  assert.deepEqual(e.ids, [...'abcde'].map((ch) => ch.charCodeAt(0)));
  assert.deepEqual(e.labels, [-100, -100, 'd'.charCodeAt(0), 'e'.charCodeAt(0), tok.eos]);
});

test('batch 1 × accumulation 8 updates the weights exactly as batch 8 × accumulation 1', async () => {
  const a = tiny(tok.vocabSize, 3), b = tiny(tok.vocabSize, 3);
  const cfg = { steps: 2, lr: 5e-3, warmupSteps: 0, minLr: 5e-3, seed: 4 };
  await trainSft({ model: a, tokenizer: tok, train: pairs, config: { ...cfg, batchSize: 1, gradAccum: 8 }, quiet: true });
  await trainSft({ model: b, tokenizer: tok, train: pairs, config: { ...cfg, batchSize: 8, gradAccum: 1 }, quiet: true });
  for (const [k, v] of a.params) {
    const w = b.params.get(k)!.f32;
    v.f32.forEach((x, i) => assert.ok(Math.abs(x - w[i]!) < 1e-5, `${k}[${i}]: ${x} vs ${w[i]}`));
  }
});

for (const dropout of [0, 0.1]) {
  test(`resume after an interruption continues exactly: the same loss curve and weights (dropout ${dropout})`, async () => {
    const model = (seed: number) => new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 32, dropout }), undefined, seed);
    const cfg = { steps: 6, batchSize: 4, saveEvery: 3, lr: 5e-3, warmupSteps: 1, seed: 2 };
    const whole = model(5);
    const full: SftLog[] = (await trainSft({ model: whole, tokenizer: tok, train: pairs, config: cfg, quiet: true })).logs;
    const out = tempDir('sft-resume-');
    const crashed = RunStore.open(out, cfg, { resume: false });
    await assert.rejects(trainSft({
      model: model(5), tokenizer: tok, train: pairs, config: cfg, store: crashed, quiet: true,
      onLog: (l) => { if (l.step === 5) throw new Error('simulated crash'); },
    }), /simulated crash/);
    crashed.close();
    assert.deepEqual(crashed.completedStages(), ['train/step-3']);
    assert.ok(crashed.hasCheckpoint('step-3'));
    // A different initial model: everything must come from the checkpoint.
    const store = RunStore.open(out, cfg, { resume: true });
    const resumedModel = model(99);
    const resumed = (await trainSft({ model: resumedModel, tokenizer: tok, train: pairs, config: cfg, store, quiet: true })).logs;
    store.close();
    assert.deepEqual(resumed.map((l) => l.step), [4, 5, 6]);
    resumed.forEach((l, i) => assert.ok(Math.abs(l.loss - full[3 + i]!.loss) < 1e-6, `step ${l.step}: ${l.loss} vs ${full[3 + i]!.loss}`));
    resumed.forEach((l, i) => assert.equal(l.loss, full[3 + i]!.loss, `step ${l.step}: the loss is not bit-identical`));
    for (const [k, v] of resumedModel.params) assert.deepEqual(v.f32, whole.params.get(k)!.f32, `${k} differs from the uninterrupted run`);
    const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((s) => (JSON.parse(s) as SftLog).step);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6], 'metrics.jsonl has every step once');
  });
}

test('epochs set the steps from the data: ceil(epochs · examples / (batchSize · gradAccum))', async () => {
  const res = await trainSft({ model: tiny(tok.vocabSize), tokenizer: tok, train: pairs, config: { epochs: 2, batchSize: 2, gradAccum: 2, evalEvery: 0 }, quiet: true });
  assert.equal(res.step, Math.ceil((2 * pairs.length) / 4));
  assert.deepEqual(res.logs.map((l) => l.step), [1, 2, 3, 4, 5, 6]);
});

test("afterStep's 'stop' ends a stored run early, and a resume trains no further", async () => {
  const out = tempDir('sft-stop-');
  const cfg = { steps: 8, batchSize: 4, saveEvery: 4, evalEvery: 0 };
  const first = RunStore.open(out, cfg, { resume: false });
  const res = await trainSft({ model: tiny(tok.vocabSize), tokenizer: tok, train: pairs, config: cfg, store: first, quiet: true, afterStep: (s) => (s === 6 ? 'stop' : undefined) });
  first.close();
  assert.equal(res.step, 6);
  const again = RunStore.open(out, cfg, { resume: true });
  const more = await trainSft({ model: tiny(tok.vocabSize), tokenizer: tok, train: pairs, config: cfg, store: again, quiet: true });
  again.close();
  assert.deepEqual([more.step, more.logs.length], [6, 0]);
  assert.equal(more.finalLoss, res.finalLoss);
});

test('pretraining on Moby-Dick beats the unigram baseline and samples English words', async () => {
  const corpus = loadCorpus('moby-dick');
  const split = holdOutEveryKth(corpus.documents, 10);
  const trainText = split.train.join('\n');
  const ctok = CharTokenizer.fromCorpus(trainText);
  const T = 64;
  const train = streamWindows(packDocuments(split.train, ctok), T);
  const evalSet = streamWindows(packDocuments(split.eval, ctok), T).slice(0, 64);
  // Unigram baseline: cross-entropy of held-out characters under training character frequencies.
  const counts = new Map<number, number>();
  let total = 0;
  for (const e of train) for (const id of e.labels) { counts.set(id, (counts.get(id) ?? 0) + 1); total++; }
  let uni = 0, n = 0;
  for (const e of evalSet) for (const id of e.labels) { uni -= Math.log(((counts.get(id) ?? 0) + 1) / (total + ctok.vocabSize)); n++; }
  uni /= n;
  const model = new Transformer(defaultConfig('gpt2', { vocabSize: ctok.vocabSize, dModel: 64, nHead: 4, nLayer: 2, maxSeqLen: 128 }), undefined, 1);
  const res = await trainSft({ model, tokenizer: ctok, train, eval: evalSet, config: { steps: 800, batchSize: 16, lr: 4e-3, minLr: 1e-4, warmupSteps: 10, seqLen: T, evalEvery: 0 }, quiet: true });
  assert.ok(res.finalEvalLoss! < uni - 0.7, `held-out loss ${res.finalEvalLoss} vs unigram ${uni}`);
  // "Looks like English": most words of three samples occur in the training text.
  const words = new Set(trainText.toLowerCase().match(/[a-z]+/g));
  const samples = generate(model, [ctok.encode('The whale ')], { maxNewTokens: 150, temperature: 0.5, n: 3, seed: 1, tokenizer: ctok });
  const sampled = samples.flatMap((s) => ctok.decode(s.tokens).toLowerCase().match(/[a-z]+/g) ?? []);
  const known = sampled.filter((w) => words.has(w)).length / Math.max(sampled.length, 1);
  assert.ok(sampled.length >= 30 && known > 0.6, `only ${(known * 100).toFixed(0)}% of sampled words are English: ${sampled.join(' ')}`);
});
