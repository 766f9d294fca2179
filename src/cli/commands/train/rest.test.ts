import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { g2pTask } from '../../../data/tasks/builtin/g2p.js';
import { ByteTokenizer, CharTokenizer } from '../../../tokenizer/index.js';
import { Transformer, defaultConfig, saveModelDir } from '../../../model/index.js';
import { parseTaskOpts } from '../../../data/tasks/task-input.js';
import { tempDir } from '../../../io/temp-dir.test.js';
import type { Option } from '../../../config/index.js';
import { improveConfig, restConfig } from '../../../align/rest/config.js';
import { restEmConfig } from '../../../align/rest-em/config.js';
import { sftConfig } from '../../../align/sft/config.js';
import type { DeclaredCommand } from '../../command.js';
import { restCommand } from './rest.js';
import { restEmCommand } from './rest-em.js';

const main = fileURLToPath(new URL('../../main.js', import.meta.url));
const tmp = () => tempDir('rest-cli-');
const fraction = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;

test('task options parse as numbers, booleans and strings', () => {
  assert.deepEqual(parseTaskOpts('trainSize=30, stress=true,vocabulary=cmudict'), { trainSize: 30, stress: true, vocabulary: 'cmudict' });
  assert.deepEqual(parseTaskOpts(undefined), {});
  assert.throws(() => parseTaskOpts('trainSize'), /not key=value/);
});

test('alignkit rest grows, filters and improves a g2p policy, and says what each threshold kept', () => {
  const dir = tmp(), model = join(dir, 'policy'), out = join(dir, 'run');
  const task = g2pTask({ trainSize: 30, testSize: 6 });
  const tok = CharTokenizer.fromCorpus([...task.train, ...task.test].map((p) => `${p.prompt}${p.reference}\n`).join(''));
  saveModelDir(model, new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 32 }), undefined, 1), { tokenizer: tok });
  const args = ['rest', '--task', 'g2p', '--task-opts', 'trainSize=30,testSize=6', '--model', model, '--out', out, '--reward', '0.5*chrf+0.5*per',
    '--monitor', 'per', '--schedule', 'percentile:0,50', '--loss', 'gold', '--grow-steps', '1', '--improve-steps', '2', '--samples', '2',
    '--max-new-tokens', '8', '--validation', '4', '--improve-max-steps', '2', '--eval-every', '1', '--batch-size', '4', '--original', '6',
    '--best-of-n', '2', '--json', '--quiet'];
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { rows } = JSON.parse(r.stdout) as { rows: Record<string, unknown>[] };
  assert.deepEqual(rows.map((x) => [x['grow'], x['improve']]), [[0, 0], [1, 1], [1, 2]]);
  for (const x of rows) for (const k of ['validationReward', 'testReward', 'testExact', 'testMonitor', 'bestOfNReward']) assert.ok(fraction(x[k]), `${k} = ${x[k]}`);
  const recs = readFileSync(join(out, 'samples', 'grow1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { source: string; kept: Record<string, boolean> });
  assert.equal(recs.filter((x) => x.source === 'policy').length, 20 * 2, '30 words less 6 original and 4 for validation: 20 Grow prompts × 2 samples');
  assert.equal(recs.filter((x) => x.source === 'data').length, 6);
  assert.ok(recs.every((x) => Object.keys(x.kept).join() === 'improve1,improve2'));
  // A bad flag names itself.
  const bad = spawnSync(process.execPath, [main, 'rest', '--model', model, '--loss', 'ppo', '--out', join(dir, 'x'), '--task-opts', 'trainSize=30,testSize=6'], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--loss ppo: expected one of bc, gold, bvmpo, oac/);
});

test('alignkit demo rest --tiny --json prints every (G, I) row, the PPO line and the flawed-reward run', () => {
  const out = join(tmp(), 'run');
  const r = spawnSync(process.execPath, [main, 'demo', 'rest', '--tiny', '--json', '--quiet', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { rest: Record<string, unknown>[]; flawed: Record<string, unknown>[]; ppo: { test?: Record<string, unknown>; samples?: number }; samples: number; seconds: number };
  const grid = [[0, 0], [1, 1], [1, 2], [1, 3], [2, 1], [2, 2], [2, 3]];
  assert.deepEqual(res.rest.map((x) => [x['grow'], x['improve']]), grid);
  assert.deepEqual(res.flawed.map((x) => [x['grow'], x['improve']]), grid);
  for (const x of [...res.rest, ...res.flawed]) for (const k of ['validationReward', 'testReward', 'testExact']) assert.ok(fraction(x[k]), `${k} = ${x[k]}`);
  for (const x of res.rest.slice(1)) assert.ok(fraction(x['keptFraction']));
  assert.ok(res.flawed.every((x) => fraction(x['testMonitor'])), 'the flawed run watches 1 − PER');
  assert.ok(res.ppo.test && fraction(res.ppo.test['exact']), 'online PPO ran');
  assert.equal(res.ppo.samples, res.samples, 'PPO drew as many samples as each ReST run');
  assert.ok(res.seconds > 0);
});

// The rest-em command's tests live here too: cli/commands/ already holds more files than a folder should.
const sameOption = (cmd: DeclaredCommand, key: string, option: Option) => assert.equal(cmd.options.options[key], option, `--${key} is the declared option`);

test('every rest and rest-em flag is the trainer\'s own declared option, so their defaults are the trainer\'s', () => {
  for (const [key, o] of Object.entries(restConfig.options)) {
    if (key === 'improve' || key === 'includeOriginal' || key === 'normalize') continue;
    sameOption(restCommand, key === 'batchSize' ? 'growBatchSize' : key, o as Option);
  }
  for (const [key, o] of Object.entries(improveConfig.options)) sameOption(restCommand, key === 'maxSteps' ? 'improveMaxSteps' : key, o);
  assert.equal(restCommand.options.options['batchSize'], improveConfig.options.batchSize, '--batch-size is the Improve batch, as before');
  // Two flags are the declared option left unset by default, since their value follows from others.
  const normalize = restCommand.options.options['normalize'] as Option;
  assert.deepEqual([normalize.choices, normalize.expected, normalize.default], [restConfig.options.normalize.choices, restConfig.options.normalize.expected, undefined]);
  for (const [key, o] of Object.entries(restEmConfig.options)) {
    if (key === 'mStep' || key === 'evalN') continue;
    sameOption(restEmCommand, key, o as Option);
  }
  sameOption(restEmCommand, 'lr', sftConfig.options.lr);
  const evalN = restEmCommand.options.options['evalN'] as Option;
  assert.deepEqual([evalN.type, evalN.expected, evalN.default], [restEmConfig.options.evalN.type, restEmConfig.options.evalN.expected, undefined]);
});

test('the old flag names still set the same options, and a YAML config file sets them under any of their names', () => {
  const dir = tmp(), yaml = join(dir, 'rest-em.yaml');
  writeFileSync(yaml, 'samples: 3\nm_steps: 5\nlearning_rate: 0.01\ntop-k: 7\nk: 2\n');
  const em = restEmCommand.resolve(['--model', 'm', '--config', yaml, '--samples', '4'])!.values;
  assert.deepEqual([em.samplesPerProblem, em.mStepMaxSteps, em.lr, em.topK, em.evalK, em.evalN], [4, 5, 0.01, 7, 2, undefined], 'flags override the file; evalN stays unset (2k)');
  const rest = restCommand.resolve(['--model', 'm', '--samples', '2', '--validation', '5', '--best-of-n', '3', '--improve-max-steps', '9', '--batch-size', '6',
    '--lr', '0.002', '--epochs', '1', '--eval-every', '4', '--patience', '2', '--loss', 'gold', '--schedule', 'percentile:0,50,75', '--original', '3'])!.values;
  assert.deepEqual([rest.samplesPerPrompt, rest.validationProblems, rest.evalBestOfN, rest.improveMaxSteps, rest.batchSize, rest.lr, rest.epochs, rest.evalEvery, rest.patience, rest.loss, rest.original],
    [2, 5, 3, 9, 6, 0.002, 1, 4, 2, 'gold', 3]);
  assert.deepEqual(rest.schedule, { kind: 'percentile', percentiles: [0, 50, 75] });
  assert.equal(rest.normalize, undefined, 'left to the reward: clip, or sigmoid for rm:');
});

test('cross-field errors name both flags', () => {
  assert.throws(() => restCommand.resolve(['--model', 'm', '--schedule', 'fixed:0.7,0.8']), /--schedule fixed has 2 values \(0\.7, 0\.8\) for --improve-steps = 3; give one per step/);
  assert.throws(() => restEmCommand.resolve(['--model', 'm', '--k', '3', '--eval-n', '2']), /--eval-k = 3 exceeds --eval-n = 2/);
});

test('alignkit rest-em on a task file with --matcher prints its rows as JSON and leaves the last policy in <out>/model', async () => {
  const dir = tmp(), lm = join(dir, 'lm'), qa = join(dir, 'qa.jsonl'), out = join(dir, 'run');
  const tok = new ByteTokenizer();
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 8, nHead: 2, nLayer: 1, maxSeqLen: 32 }), undefined, 1), { tokenizer: tok });
  writeFileSync(qa, Array.from({ length: 10 }, (_, i) => JSON.stringify({ prompt: `q${i}:`, answer: '.' })).join('\n') + '\n');
  const printed: string[] = [], log = console.log;
  console.log = (s: string) => { printed.push(s); };
  try {
    assert.equal(await restEmCommand.run(['--task', qa, '--matcher', 'regex', '--model', lm, '--out', out, '--iterations', '1', '--samples', '2', '--max-new-tokens', '3',
      '--m-steps', '2', '--k', '1', '--validation-problems', '2', '--train-eval-problems', '2', '--json', '--quiet']), 0);
  } finally {
    console.log = log;
  }
  const res = JSON.parse(printed.join('\n')) as { iterations: { iteration: number; kept: number | null }[]; model: string };
  assert.deepEqual(res.iterations.map((x) => x.iteration), [0, 1]);
  assert.ok(res.iterations[1]!.kept! > 0, 'the regex matcher accepted some samples');
  assert.equal(res.model, join(out, 'model'));
  assert.ok(existsSync(join(out, 'model', 'model.safetensors')));
});
