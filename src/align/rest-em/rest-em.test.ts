import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadModelDir } from '../../model/index.js';
import type { SampleRecord } from '../../runs/run-store.js';
import { readJsonl } from '../../io/jsonl.js';
import { fixtureModels, runFixture } from '../../../test/fixtures/rest-em-run.js';
import { tempDir } from '../../io/temp-dir.test.js';

const tmp = () => tempDir('rest-em-');

test('E-step: only verified samples are kept, at most `cap` per problem; the M-step trains on exactly those', async () => {
  const dir = tmp();
  const rows = await runFixture(dir, false);
  assert.deepEqual(rows.map((r) => r.iteration), [0, 1, 2]);
  for (const it of [1, 2]) {
    const samples = readJsonl(join(dir, 'samples', `iter${it}__e-step.jsonl`)).map((r) => r.value as SampleRecord);
    assert.equal(samples.length, 8 * 4, 'N samples for each of the 8 E-step problems (2 held out for validation)');
    const perProblem = new Map<string, number>();
    for (const s of samples) {
      const correct = (s.verifier as { correct: boolean }).correct;
      if (s.kept) {
        assert.ok(correct, `a rejected sample was kept: ${JSON.stringify(s)}`);
        perProblem.set(s.promptId, (perProblem.get(s.promptId) ?? 0) + 1);
      }
    }
    for (const [id, n] of perProblem) assert.ok(n <= 2, `${id} kept ${n} > cap 2`);
    const kept = samples.filter((s) => s.kept).length;
    assert.equal(rows[it]!.kept, kept, 'the table reports what the M-step trained on');
    assert.ok(kept > 0, 'the toy verifier accepts some samples');
  }
});

test('the M-step starts from the base weights, not from the previous policy', async () => {
  const dir = tmp();
  // With a zero learning rate the M-step leaves its starting weights untouched, so they can be compared.
  await runFixture(dir, false, 0, { iterations: 1, mStep: { batchSize: 4, lr: 0, minLr: 0 } });
  const { base, policy0 } = fixtureModels();
  const iter1 = loadModelDir(join(dir, 'checkpoints', 'iter1'), { tokenizer: false }).model;
  for (const [name, w] of iter1.params) {
    assert.deepEqual(w.f32, base.params.get(name)!.f32, `${name} differs from the base model`);
  }
  assert.notDeepEqual(iter1.params.get('transformer.wte.weight')!.f32, policy0.params.get('transformer.wte.weight')!.f32);
});

test('a run killed in the middle of an E-step resumes to the same complete result, with no duplicated or partial records', async () => {
  const dir = tmp();
  const script = fileURLToPath(new URL('../../../test/fixtures/rest-em-run.js', import.meta.url));
  const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let seen = 0;
    child.stdout.on('data', (d: Buffer) => {
      // The second "E-STEP" marker never comes (one per process); kill at the first, mid-E-step.
      if (d.toString().includes('E-STEP') && ++seen === 1) setTimeout(() => child.kill('SIGKILL'), 300);
    });
    child.on('exit', () => resolve());
    child.on('error', reject);
  });
  assert.ok(existsSync(join(dir, 'state.json')) || existsSync(join(dir, 'config.json')), 'the killed run left its run directory');
  const rows = await runFixture(dir, true);
  assert.deepEqual(rows.map((r) => r.iteration), [0, 1, 2]);
  const samplesDir = join(dir, 'samples');
  const files = readdirSync(samplesDir);
  assert.ok(files.every((f) => !f.endsWith('.tmp')), `leftover temporary files: ${files.join(', ')}`);
  for (const f of files) {
    const lines = readFileSync(join(samplesDir, f), 'utf8').trim().split('\n');
    assert.equal(lines.length, 32, `${f} has ${lines.length} records, expected 32`);
    const perProblem = new Map<string, number>();
    for (const l of lines) { const id = (JSON.parse(l) as { promptId: string }).promptId; perProblem.set(id, (perProblem.get(id) ?? 0) + 1); }
    assert.deepEqual([...perProblem.values()], new Array(8).fill(4), `${f}: each problem's 4 samples exactly once`);
  }
  const stages = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { stage: string }).stage);
  for (const s of ['iter0/eval', 'iter1/eval', 'iter2/eval']) assert.equal(stages.filter((x) => x === s).length, 1, `${s} logged once`);
});
