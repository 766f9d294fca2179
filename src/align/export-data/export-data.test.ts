// export-data on real runs: a rest-em run's and a rest run's kept Grow samples (trl-sft), online
// DPO's pairs and judge-ordered conversational pairs (trl-dpo), as JSONL and Parquet. The files are
// read back here (JSON, hyparquet) and, when a Python with datasets, pyarrow and trl is found
// (ALIGNKIT_PYTHON, else python3), by datasets.load_dataset and TRL's dataset checks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parquetReadObjects } from 'hyparquet';
import { startFakeServer, type FakeServer } from '../../../test/fixtures/fake-openai-server.js';
import { runFixture } from '../../../test/fixtures/rest-em-run.js';
import { referencePython } from '../../../test/fixtures/reference-python.js';
import { tempDir } from '../../io/temp-dir.test.js';
import { readJsonl } from '../../io/jsonl.js';
import { defaultConfig, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { runDpoJob } from '../dpo/job.js';
import { runOnlineDpoJob } from '../online-dpo/job.js';
import { runExportDataJob } from './job.js';

const root = tempDir('export-data-');
const lm = join(root, 'lm');
let srv: FakeServer;

before(async () => {
  const tok = new ByteTokenizer();
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 64 }), undefined, 1), { tokenizer: tok });
  srv = await startFakeServer({ answer: (c) => (c.indexOf('very') > c.indexOf('B:') ? 'B' : 'A') });
});
after(async () => { await srv.close(); });

const readJsonlRows = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const readParquetRows = async (f: string) => {
  const b = readFileSync(f);
  return parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) }) as Promise<Record<string, unknown>[]>;
};

/** A Python with datasets, pyarrow and trl, or null. */
const python = (): string | null => referencePython(['datasets', 'pyarrow', 'trl']);

/** What datasets and TRL make of each file: rows, columns, and whether TRL calls it conversational. */
const CHECK = `
import json, sys, datasets
from trl.data_utils import is_conversational
out = []
for f in json.loads(sys.stdin.read()):
    ds = datasets.load_dataset('parquet' if f.endswith('.parquet') else 'json', data_files=f, split='train')
    out.append({'file': f, 'rows': len(ds), 'columns': sorted(ds.column_names), 'conversational': is_conversational(ds[0]), 'first': ds[0]})
print(json.dumps(out))
`;

test("trl-sft: a rest-em run's kept E-step samples, JSONL and Parquet alike; --stage picks one", async () => {
  const run = join(root, 'rest-em');
  await runFixture(run, false);
  const kept = ['iter1/e-step', 'iter2/e-step'].flatMap((s) => readJsonl(join(run, 'samples', `${s.replace('/', '__')}.jsonl`)).map((r) => r.value as Record<string, unknown>)).filter((r) => r['kept'] === true);
  assert.ok(kept.length > 0);
  const a = await runExportDataJob({ run, format: 'trl-sft', out: join(root, 'sft.jsonl') });
  const b = await runExportDataJob({ run, format: 'trl-sft', out: join(root, 'sft.parquet') });
  assert.equal(a.rows, kept.length);
  const rows = readJsonlRows(join(root, 'sft.jsonl'));
  assert.deepEqual(rows, kept.map((r) => ({ prompt: r['prompt'], completion: r['sample'] })));
  assert.deepEqual(await readParquetRows(join(root, 'sft.parquet')), rows);
  assert.equal(b.rows, a.rows);
  const one = await runExportDataJob({ run, format: 'trl-sft', stage: 'iter1/e-step', out: join(root, 'sft1.jsonl') });
  assert.ok(one.rows < a.rows);
  await assert.rejects(runExportDataJob({ run, format: 'trl-sft', stage: 'grow9', out: join(root, 'x.jsonl') }), /--stage grow9: no such stage of Grow samples; expected one of iter\d\/e-step, iter\d\/e-step/);
  await assert.rejects(runExportDataJob({ run, format: 'trl-dpo', out: join(root, 'x.jsonl') }), /holds no preference pairs/);
  await assert.rejects(runExportDataJob({ run, format: 'trl-sft', out: join(root, 'x.csv') }), /--out .*x\.csv: expected a \.jsonl or \.parquet/);
  await assert.rejects(runExportDataJob({ run: root, format: 'trl-sft', out: join(root, 'x.jsonl') }), /no config\.json; expected a run directory/);
  assert.equal(existsSync(join(root, 'x.jsonl')), false);
});

test("trl-dpo: online DPO's pairs (chosen first) and judge-ordered message pairs, conversational", async () => {
  const prompts = join(root, 'prompts.jsonl'), judgeMod = join(root, 'judge.mjs');
  writeFileSync(prompts, ['{"prompt":"hello"}', '{"prompt":"good day"}'].join('\n') + '\n');
  writeFileSync(judgeMod, 'export function judge(prompt, a, b) { return b.length > a.length ? 1 : 0; }\n');
  const odpo = join(root, 'odpo');
  await runOnlineDpoJob({ model: lm, prompts, judge: judgeMod, out: odpo, steps: 2, promptsPerStep: 2, maxNewTokens: 4, saveEvery: 1, quiet: true });
  const r = await runExportDataJob({ run: odpo, format: 'trl-dpo', out: join(root, 'odpo.parquet') });
  assert.equal(r.rows, 4, 'two steps of two pairs');
  for (const x of await readParquetRows(join(root, 'odpo.parquet'))) assert.ok((x['chosen'] as string).length >= (x['rejected'] as string).length, 'the judge preferred the longer');
  assert.equal((await runExportDataJob({ run: odpo, format: 'trl-dpo', stage: 'step-2', out: join(root, 'odpo2.jsonl') })).rows, 2);

  const chats = join(root, 'chats.jsonl');
  const m = (role: string, content: string) => ({ role, content });
  writeFileSync(chats, ['tea', 'cake', 'rain'].map((w) => JSON.stringify({ prompt: [m('user', `about ${w}?`)], completion_a: [m('assistant', `${w}.`)], completion_b: [m('assistant', `a very fine ${w}.`)] })).join('\n') + '\n');
  const dpo = join(root, 'dpo-judged');
  await runDpoJob({ model: lm, data: chats, out: dpo, steps: 1, evalFraction: 0, quiet: true, judge: srv.url, judgeTemplate: writeTemplate(), judgeMode: 'pair' });
  for (const f of ['pairs.jsonl', 'pairs.parquet']) {
    assert.equal((await runExportDataJob({ run: dpo, format: 'trl-dpo', stage: 'judge', out: join(root, f) })).rows, 3);
  }
  const rows = readJsonlRows(join(root, 'pairs.jsonl'));
  assert.deepEqual(rows[0], { prompt: [m('user', 'about tea?')], chosen: [m('assistant', 'a very fine tea.')], rejected: [m('assistant', 'tea.')] });
  assert.deepEqual(await readParquetRows(join(root, 'pairs.parquet')), rows);
});

function writeTemplate(): string {
  const f = join(root, 'pair.txt');
  writeFileSync(f, 'Q: {prompt}\nA: {completion_a}\nB: {completion_b}\nBetter?');
  return f;
}

test('datasets and TRL read the exported files (skipped without a Python that has them)', (t) => {
  const py = python();
  if (!py) { t.skip('no Python with datasets, pyarrow and trl (set ALIGNKIT_PYTHON): the files are checked by JSON and hyparquet only'); return; }
  const files = ['sft.jsonl', 'sft.parquet', 'odpo.parquet', 'pairs.jsonl', 'pairs.parquet'].map((f) => join(root, f));
  const r = spawnSync(py, ['-c', CHECK], { input: JSON.stringify(files), encoding: 'utf8', env: { ...process.env, HF_DATASETS_OFFLINE: '1', HF_HUB_OFFLINE: '1', HF_DATASETS_CACHE: join(root, 'hf-cache') } });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { file: string; rows: number; columns: string[]; conversational: boolean; first: Record<string, unknown> }[];
  const by = (f: string) => got.find((g) => g.file.endsWith(f))!;
  assert.deepEqual(by('sft.parquet').columns, ['completion', 'prompt']);
  assert.equal(by('sft.parquet').rows, by('sft.jsonl').rows);
  assert.deepEqual(by('odpo.parquet').columns, ['chosen', 'prompt', 'rejected']);
  assert.equal(by('odpo.parquet').conversational, false);
  for (const f of ['pairs.jsonl', 'pairs.parquet']) {
    assert.equal(by(f).conversational, true, f);
    assert.deepEqual(by(f).first['chosen'], [{ role: 'assistant', content: 'a very fine tea.' }], f);
  }
});
