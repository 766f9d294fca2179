import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { g2pTask } from '../../data/tasks/builtin/g2p.js';
import { CharTokenizer } from '../../tokenizer/index.js';
import { Transformer, defaultConfig, saveModelDir } from '../../model/index.js';
import { parseTaskOpts } from './rest.js';
import { tempDir } from '../../io/temp-dir.test.js';

const main = fileURLToPath(new URL('../main.js', import.meta.url));
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
