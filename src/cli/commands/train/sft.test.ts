// `alignkit sft` end to end on tiny models: the run layout (<out>/model, checkpoints/, metrics),
// a resume with more steps, --epochs, a YAML --config, the errors met before anything is written,
// and the model it leaves read back by `train-tokenizer`'s sibling commands `generate` and `eval`.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { splitDataset } from '../../../data/split-dataset.js';
import { tempDir } from '../../../io/temp-dir.test.js';
import { defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../../model/index.js';
import { ByteTokenizer } from '../../../tokenizer/index.js';
import { evalCommand } from '../tools/eval.js';
import { generateCommand } from '../tools/generate.js';
import { sftCommand } from './sft.js';
import { runSftJob } from '../../../align/sft/job.js';
import { trainTokenizerCommand } from '../tools/train-tokenizer.js';

const root = tempDir('alignkit-sft-cli-');
const lm = join(root, 'lm'), texts = join(root, 'text.jsonl'), pairs = join(root, 'pairs.jsonl');
const WORDS = ['the whale', 'a ship', 'the sea', 'old man', 'white sail', 'long voyage'];
const quietConsole = { log: console.log, error: console.error };
let printed: string[] = [];

before(() => {
  const tok = new ByteTokenizer();
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 48 }), undefined, 1), { tokenizer: tok });
  writeFileSync(texts, Array.from({ length: 20 }, (_, i) => JSON.stringify({ text: `${WORDS[i % 6]} and ${WORDS[(i * 5) % 6]} went by ${i} times.` })).join('\n') + '\n');
  writeFileSync(pairs, Array.from({ length: 20 }, (_, i) => JSON.stringify({ prompt: `Q${i % 5}:`, completion: ` ${WORDS[i % 6]}` })).join('\n') + '\n');
  console.log = (...a: unknown[]) => { printed.push(a.join(' ')); };
  console.error = () => {};
});
after(() => { Object.assign(console, quietConsole); });

const fresh = ['--d-model', '16', '--layers', '1', '--heads', '2', '--seq-len', '16', '--batch-size', '4', '--quiet'];
const metricSteps = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
const runConfig = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;

test('alignkit sft: a fresh model in <out>/model, checkpoints beside it, and a resume that continues with more steps', async () => {
  const out = join(root, 'pretrain');
  assert.equal(await sftCommand.run(['--data', texts, '--out', out, '--steps', '4', '--save-every', '2', ...fresh]), 0);
  const { model, tokenizer } = loadModelDir(join(out, 'model'));
  assert.equal(tokenizer?.kind, 'byte');
  assert.deepEqual([model.config.dModel, model.config.nLayer, model.config.nHead], [16, 1, 2]);
  assert.ok(existsSync(join(out, 'checkpoints', 'step-2')) && existsSync(join(out, 'checkpoints', 'step-4')));
  assert.deepEqual(metricSteps(out), [1, 2, 3, 4]);
  assert.match(printed.at(-1)!, /^sft: done, step 4, train loss \d+\.\d{4}, held-out loss \d+\.\d{4}; model in .*model$/);
  await assert.rejects(sftCommand.run(['--data', texts, '--out', out, '--steps', '6', ...fresh]), /already holds a run.*--resume/);
  assert.equal(await sftCommand.run(['--data', texts, '--out', out, '--steps', '6', '--save-every', '2', ...fresh, '--resume']), 0);
  assert.deepEqual(metricSteps(out), [1, 2, 3, 4, 5, 6], 'every step logged once');
  assert.equal(runConfig(out)['steps'], 6);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).completed.map((c: { stage: string }) => c.stage),
    ['train/step-2', 'train/step-4', 'final/step-4', 'train/step-6', 'final/step-6']);
  await assert.rejects(sftCommand.run(['--data', texts, '--out', out, '--steps', '6', '--save-every', '2', ...fresh, '--lr', '0.01', '--resume']), /differs from the run's in .*lr/);
});

test('alignkit sft --epochs fine-tunes --model for as many steps as the pairs need', async () => {
  const out = join(root, 'epochs');
  assert.equal(await sftCommand.run(['--data', pairs, '--model', lm, '--epochs', '2', '--batch-size', '4', '--seq-len', '16', '--out', out, '--quiet']), 0);
  const trainPairs = splitDataset(Array.from({ length: 20 }, (_, i) => i), { evalFraction: 0.05, seed: 0 }).train.length;
  const steps = Math.ceil((2 * trainPairs) / 4);
  assert.equal(steps, 10);
  assert.deepEqual(metricSteps(out), Array.from({ length: steps }, (_, i) => i + 1));
  assert.deepEqual(runConfig(out)['start'], { model: lm });
  assert.ok(existsSync(join(out, 'model', 'model.safetensors')));
});

test('alignkit sft --config reads YAML under the flags; --steps and --epochs are refused together', async () => {
  const file = join(root, 'sft.yaml');
  writeFileSync(file, 'corpus: moby-dick\nsteps: 3\nbatch-size: 2\nlearning_rate: 0.01\nseq_len: 32\nwarmup: 0\n');
  const r = sftCommand.resolve(['--config', file, '--steps', '5', '--grad-accum', '2'])!;
  assert.deepEqual([r.values.corpus, r.values.steps, r.values.batchSize, r.values.lr, r.values.seqLen, r.values.warmupSteps, r.values.gradAccum], ['moby-dick', 5, 2, 0.01, 32, 0, 2]);
  assert.equal(r.values.dModel, 128, 'the declared default');
  assert.throws(() => sftCommand.resolve(['--corpus', 'moby-dick', '--steps', '5', '--epochs', '1']), /give --epochs or --steps, not both/);
  assert.throws(() => sftCommand.resolve(['--config', file, '--num_train_epochs', '2']), /give --epochs or --steps, not both/);
});

test('alignkit sft names the flag that is wrong and writes nothing', async () => {
  const out = join(root, 'never');
  const bad: [string[], RegExp][] = [
    [['--data', pairs, '--model', lm, '--seq-len', '64'], /--seq-len 64: expected at most 48/],
    [['--data', texts, '--heads', '3'], /--heads 3 must divide --d-model 128/],
    [['--data', texts, '--kv-heads', '2'], /--family gpt2 has no grouped-query attention, so --kv-heads 2 must equal --heads 4/],
    [['--data', texts, '--tokenizer', 'words'], /--tokenizer words: expected byte, char, bpe:<vocab size> or a directory/],
    [['--data', texts, '--seq-len', '0'], /--seq-len 0: expected a positive integer/],
    [['--data', texts, '--corpus', 'moby-dick'], /give --data or --corpus, not both/],
    [['--corpus', 'shakespeare'], /--corpus shakespeare: expected moby-dick or sotu/],
    [['--steps', '3'], /--corpus or --data is required/],
    [['--data', join(root, 'missing.jsonl')], /missing\.jsonl/],
  ];
  for (const [args, want] of bad) {
    await assert.rejects(sftCommand.run([...args, '--out', out, '--quiet']), want, args.join(' '));
    assert.equal(existsSync(out), false, `${args.join(' ')} left ${out} behind`);
  }
});

test('train-tokenizer, then sft with its tokenizer; generate and eval read the model from <out>/model', async () => {
  const tok = join(root, 'tok'), out = join(root, 'bpe-run');
  assert.equal(await trainTokenizerCommand.run(['--data', texts, '--kind', 'bpe', '--vocab-size', '300', '--out', tok]), 0);
  assert.match(printed.at(-1)!, /^train-tokenizer: bpe, vocabulary 300, /);
  await assert.rejects(trainTokenizerCommand.run(['--data', texts, '--vocab-size', '100']), /--vocab-size 100: expected an integer ≥ 259/);
  assert.equal(await sftCommand.run(['--data', texts, '--tokenizer', tok, '--out', out, '--steps', '2', ...fresh]), 0);
  const model = join(out, 'model');
  assert.equal(loadModelDir(model).tokenizer?.vocabSize, 300);
  const sample = async (...extra: string[]) => {
    printed = [];
    assert.equal(await generateCommand.run(['--model', model, '--prompt', 'the|||a ship', '--max-new-tokens', '4', '--json', ...extra]), 0);
    return printed.map((l) => JSON.parse(l) as { prompt: string; completion: string; tokens: number; finishReason: string });
  };
  const a = await sample('--n', '2', '--seed', '3');
  assert.deepEqual(a.map((s) => s.prompt), ['the', 'the', 'a ship', 'a ship']);
  assert.ok(a.every((s) => s.tokens <= 4 && (s.finishReason === 'length' || s.finishReason === 'stop')));
  assert.deepEqual(await sample('--n', '2', '--seed', '3'), a, 'the same seed gives the same samples');
  await assert.rejects(generateCommand.run(['--model', model, '--top-p', '0']), /--top-p 0: expected a number in \(0, 1\]/);
  printed = [];
  assert.equal(await evalCommand.run(['--model', model, '--data', texts, '--seq-len', '8', '--json']), 0);
  const held = JSON.parse(printed[0]!) as { sequences: number; loss: number; perplexity: number };
  assert.ok(held.sequences > 0 && Math.abs(held.perplexity - Math.exp(held.loss)) < 1e-9 * held.perplexity);
  printed = [];
  assert.equal(await evalCommand.run(['--model', model, '--data', texts, '--seq-len', '8', '--all', '--json']), 0);
  assert.ok((JSON.parse(printed[0]!) as { sequences: number }).sequences > held.sequences, '--all scores the training split too');
  await assert.rejects(evalCommand.run(['--data', texts]), /--model is required/);
});

test('alignkit sft: the held-out share is an option (--eval-fraction), or a file of its own (--eval-data)', async () => {
  const none = join(root, 'no-holdout');
  assert.equal(await sftCommand.run(['--data', pairs, '--out', none, '--steps', '2', '--eval-fraction', '0', ...fresh]), 0);
  const r0 = await runSftJob({ data: pairs, out: join(root, 'none2'), steps: 1, evalFraction: 0, dModel: 16, layers: 1, heads: 2, seqLen: 16, batchSize: 4, quiet: true });
  assert.equal(r0.evalExamples, 0);
  assert.equal(r0.trainExamples, 20);
  const r1 = await runSftJob({ data: pairs, out: join(root, 'tenth'), steps: 1, evalFraction: 0.5, dModel: 16, layers: 1, heads: 2, seqLen: 16, batchSize: 4, quiet: true });
  assert.deepEqual([r1.trainExamples, r1.evalExamples], [10, 10]);
  const held = join(root, 'held.jsonl');
  writeFileSync(held, JSON.stringify({ prompt: 'Q9:', completion: ' the sea' }) + '\n');
  const r2 = await runSftJob({ data: pairs, evalData: held, out: join(root, 'own'), steps: 1, dModel: 16, layers: 1, heads: 2, seqLen: 16, batchSize: 4, quiet: true });
  assert.deepEqual([r2.trainExamples, r2.evalExamples], [20, 1]);
  await assert.rejects(sftCommand.run(['--data', pairs, '--eval-data', texts, '--out', join(root, 'mixed'), ...fresh]), /--eval-data .*text records, but --data .* holds prompt\/completion records/);
});
