// --report-to tensorboard on real runs through the store: every figure of metrics.jsonl is in the
// event file, read back by the reader of read-events.test.ts, and a resume rewrites the file from
// the JSONL. The bytes are matched against the real tensorboard package in test/golden.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { readMetrics, seriesOf } from '../metrics-file.js';
import { RunStore } from '../run-store.js';
import { readEvents } from './read-events.test.js';

const eventFiles = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('events.out.tfevents.'));

function scalars(dir: string): Map<string, [number, number][]> {
  const [file, ...more] = eventFiles(dir);
  assert.ok(file && more.length === 0, `one event file, got ${eventFiles(dir).join(', ')}`);
  const events = readEvents(readFileSync(join(dir, file)));
  assert.equal(events[0]!.fileVersion, 'brain.Event:2');
  const out = new Map<string, [number, number][]>();
  for (const e of events.slice(1)) for (const v of e.values) out.set(v.tag, [...(out.get(v.tag) ?? []), [e.step, v.value]]);
  return out;
}

test('every numeric figure of metrics.jsonl becomes a scalar <series>/<figure>, stepped per series; a resume rewrites the file from the JSONL', async () => {
  const dir = join(tempDir('tb-'), 'run');
  const run = RunStore.open(dir, { command: 'rest' }, { resume: false, reportTo: 'tensorboard' });
  await run.stage('policy0/eval', (s) => { s.log({ testReward: 0.25, note: 'text is left out' }); return null; });
  for (const g of [1, 2]) {
    await run.stage(`grow${g}/improve1`, (s) => {
      for (let step = 1; step <= 3; step++) s.log({ step, loss: 3 - step / 10 + g, lr: 1e-4 * step });
      return null;
    });
    await run.stage(`grow${g}/improve1/eval`, (s) => { s.log({ testReward: 0.25 + g / 10, diverged: NaN }); return null; });
  }
  await assert.rejects(run.stage('grow3/improve1', (s) => { s.log({ step: 1, loss: 99 }); throw new Error('killed'); }));
  const live = scalars(dir);
  assert.deepEqual(live.get('eval/testReward'), [[1, 0.25], [2, Math.fround(0.35)], [3, Math.fround(0.45)]]);
  assert.equal(live.get('improve/loss')!.length, 7, 'six steps, then the one of the stage that failed');
  assert.ok(Number.isNaN(live.get('eval/diverged')![0]![1]), 'NaN stays NaN');
  assert.equal(live.has('eval/note'), false);
  assert.equal(live.has('improve/step'), false, 'the step is the event step, not a scalar');
  run.close();

  // The oracle: metrics.jsonl itself, figure by figure.
  const resumed = RunStore.open(dir, { command: 'rest' }, { resume: true, reportTo: 'tensorboard' });
  const after = scalars(dir);
  const want = new Map<string, [number, number][]>(), count = new Map<string, number>();
  for (const m of readMetrics(dir)) {
    const series = seriesOf(m.stage), step = (count.get(series) ?? 0) + 1;
    count.set(series, step);
    for (const [k, v] of Object.entries(m)) {
      if (k === 'stage' || k === 'time' || k === 'step' || (typeof v !== 'number' && v !== 'NaN')) continue;
      want.set(`${series}/${k}`, [...(want.get(`${series}/${k}`) ?? []), [step, Math.fround(v === 'NaN' ? NaN : (v as number))]]);
    }
  }
  assert.deepEqual(after, want);
  assert.equal(after.get('improve/loss')!.length, 6, 'the failed stage\'s figure went with its metrics line');
  await resumed.stage('grow3/improve1', (s) => { s.log({ step: 1, loss: 1.5 }); return null; });
  assert.deepEqual(scalars(dir).get('improve/loss')!.at(-1), [7, 1.5]);
  resumed.close();
});

test('without --report-to no event file is written', async () => {
  const dir = join(tempDir('tb-'), 'run');
  const run = RunStore.open(dir, { command: 'rest' }, { resume: false });
  await run.stage('a', (s) => { s.log({ loss: 1 }); return null; });
  run.close();
  assert.deepEqual(eventFiles(dir), []);
});

test('--report-to tensorboard on every training command; a real rest-em run writes the figures of its metrics.jsonl', async () => {
  const { commands } = await import('../../cli/commands.js');
  const training = ['sft', 'reward', 'dpo', 'kto', 'orpo', 'cpo', 'simpo', 'online-dpo', 'ppo', 'grpo', 'rloo', 'reinforce-pp', 'rest-em', 'rest', 'ser'];
  for (const name of training) {
    const c = commands.find((x) => x.name === name) as { options?: { options: Record<string, { default?: unknown }> } } | undefined;
    assert.equal(c?.options?.options['reportTo']?.default, 'none', `${name} --report-to`);
  }
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const { writeFileSync } = await import('node:fs');
  const { ByteTokenizer } = await import('../../tokenizer/index.js');
  const { Transformer, defaultConfig, saveModelDir } = await import('../../model/index.js');
  const dir = tempDir('tb-cli-'), lm = join(dir, 'lm'), qa = join(dir, 'qa.jsonl'), out = join(dir, 'run');
  const tok = new ByteTokenizer();
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 8, nHead: 2, nLayer: 1, maxSeqLen: 32 }), undefined, 1), { tokenizer: tok });
  writeFileSync(qa, Array.from({ length: 10 }, (_, i) => JSON.stringify({ prompt: `q${i}:`, answer: '.' })).join('\n') + '\n');
  const main = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
  const r = spawnSync(process.execPath, [main, 'rest-em', '--task', qa, '--matcher', 'regex', '--model', lm, '--out', out, '--iterations', '2', '--samples', '2',
    '--max-new-tokens', '3', '--m-steps', '2', '--k', '1', '--validation-problems', '2', '--train-eval-problems', '2', '--quiet', '--report_to', 'tensorboard'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = scalars(out);
  const evals = readMetrics(out).filter((m) => seriesOf(m.stage) === 'eval');
  assert.deepEqual(got.get('eval/pass_at_k'), evals.map((m, i) => [i + 1, Math.fround(m['pass_at_k'] as number)]));
});
