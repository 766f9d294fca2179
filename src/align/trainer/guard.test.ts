// A NaN or infinite loss or gradient stops training with the step and the parameter named, and
// the run keeps its last good checkpoint (issue 16): the guard alone, then each of the loops the
// trainers share (sft's, trainInBlocks as DPO runs it, runBlocks as PPO runs it, ReST's Improve
// step), driven to divergence by a learning rate of 1e30. Checkpoints holding non-finite optimizer
// moments are refused at load, as weights are (model/hf/checkpoint-malformed.test.ts).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { AdamW, NonFiniteGradientError } from '../../nn/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { runDpoJob } from '../dpo/job.js';
import { runPpoJob } from '../ppo/job.js';
import { runRestJob } from '../rest/job.js';
import { runSftJob } from '../sft/job.js';
import { readTrainerCheckpoint, writeTrainerCheckpoint } from './checkpoint.js';
import { guardedStep, lossesOf, TrainingDivergedError } from './guard.js';

const root = tempDir('alignkit-guard-');
const tok = new ByteTokenizer();
const lm = join(root, 'lm');
saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 64 }), undefined, 1), { tokenizer: tok });
const guard = { who: 'test', step: 7, lastGood: 'runs/x/checkpoints/step-6' };

test('the guard names the step and the parameter of a non-finite gradient, and the loss that is not finite', async () => {
  await assert.rejects(guardedStep(guard, () => { throw new NonFiniteGradientError('w.q', NaN, 'holds NaN at index 3'); }, lossesOf),
    (e: unknown) => e instanceof TrainingDivergedError && e.step === 7
      && e.message === 'test: training diverged at step 7: the gradient of parameter "w.q" holds NaN at index 3. The run stops here and the last good checkpoint, runs/x/checkpoints/step-6, is kept; a lower --lr, or a look at the data, may avoid it');
  await assert.rejects(guardedStep({ ...guard, lastGood: null }, async () => ({ step: 7, policyLoss: 0.5, valueLoss: Infinity }), lossesOf),
    /training diverged at step 7: valueLoss is Infinity\. The run stops here and no checkpoint of this run was written yet/);
  await assert.rejects(guardedStep(guard, () => { throw new RangeError('something else'); }, lossesOf), /^RangeError: something else$/);
  assert.deepEqual(await guardedStep(guard, () => ({ step: 7, loss: 0.25, score: NaN }), lossesOf), { step: 7, loss: 0.25, score: NaN }, 'only losses are checked');
  assert.deepEqual(lossesOf({ loss: 1, evalLoss: 2, policyLoss: 3, lossy: 4, gloss: 5, step: 6 }), { loss: 1, evalLoss: 2, policyLoss: 3 });
});

/** The run stopped at `step` naming a parameter, kept `checkpoint` (its model in `modelIn`) loadable, and wrote no final model. */
async function assertStopped(run: Promise<unknown>, out: string, who: RegExp, step: number, checkpoint: string | null, modelIn = ''): Promise<void> {
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof TrainingDivergedError, String(e));
    assert.match(e.message, who);
    assert.match(e.message, new RegExp(`at step ${step}: the gradient of parameter "[\\w.]+" holds (NaN|-?Infinity)`));
    if (checkpoint) assert.ok(e.message.includes(`the last good checkpoint, ${join(out, 'checkpoints', checkpoint)}, is kept`), e.message);
    return true;
  });
  assert.equal(existsSync(join(out, 'model')), false, 'no final model from a diverged run');
  if (checkpoint) loadModelDir(join(out, 'checkpoints', checkpoint, modelIn));
}

test('sft stops at the first NaN gradient and keeps the checkpoint before it', async () => {
  const out = join(root, 'sft'), data = join(root, 'text.jsonl');
  writeFileSync(data, Array.from({ length: 30 }, (_, i) => JSON.stringify({ text: `line ${i} of a small text to train on` })).join('\n') + '\n');
  await assertStopped(runSftJob({ model: lm, data, seqLen: 16, batchSize: 4, steps: 5, saveEvery: 1, lr: 1e30, out, quiet: true }), out, /^sft:/, 2, 'step-1');
  const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  assert.deepEqual(steps, [1], 'the diverged step is not logged');
});

test('DPO (trainInBlocks) stops likewise', async () => {
  const out = join(root, 'dpo'), data = join(root, 'prefs.jsonl');
  writeFileSync(data, Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `q${i}:`, chosen: ' good', rejected: ' bad' })).join('\n') + '\n');
  await assertStopped(runDpoJob({ model: lm, data, batchSize: 4, steps: 5, saveEvery: 1, lr: 1e30, warmupSteps: 0, out, quiet: true }), out, /^trainDpo:/, 2, 'step-1');
});

test('PPO (runBlocks) stops within its first step and keeps step-0', async () => {
  const out = join(root, 'ppo');
  await assertStopped(runPpoJob({ model: lm, task: 'arithmetic', taskOpts: 'digits=1,trainSize=8,testSize=2', steps: 3, promptsPerStep: 2, maxNewTokens: 3, saveEvery: 1, lr: 1e30, out, quiet: true }),
    out, /^ppo:/, 1, 'step-0', 'policy');
});

test("ReST's Improve step stops likewise", async () => {
  const out = join(root, 'rest');
  await assertStopped(runRestJob({
    model: lm, task: 'g2p', taskOpts: 'trainSize=30,testSize=6', original: 6, improveMaxSteps: 3, batchSize: 2, evalEvery: 10, lr: 1e30,
    growSteps: 1, improveSteps: 1, samplesPerPrompt: 1, maxNewTokens: 4, validationProblems: 4, out, quiet: true,
  }), out, /^rest improve \(bc\):/, 2, null);
});

test('a checkpoint whose optimizer moments hold NaN is refused at load, naming the moment', () => {
  const dir = join(root, 'opt-nan');
  const model = loadModelDir(lm).model;
  const opt = new AdamW(model.namedParameters());
  const s = opt.state();
  s.m['transformer.h.0.mlp.c_fc.weight']![2] = NaN;
  opt.loadState(s);
  writeTrainerCheckpoint(dir, model, tok, opt, { step: 1, position: 4 });
  assert.throws(() => readTrainerCheckpoint(dir, model, new AdamW(model.namedParameters())), /optimizer\.safetensors: tensor "m\.transformer\.h\.0\.mlp\.c_fc\.weight" holds NaN at index 2/);
});
