// README's "Use it from TypeScript" examples are examples/*.ts, compiled with the project and run
// here as a user would run them: they import the package by its name ('alignkit/align', …), as
// does this test. README must show each file exactly, so the two cannot drift apart.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadModelDir } from 'alignkit/model';
import { tempDir } from '../../src/io/temp-dir.test.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const compiled = (name: string) => join(root, 'dist', 'examples', `${name}.js`);
const source = (name: string) => readFileSync(join(root, 'examples', `${name}.ts`), 'utf8');

function runExample(name: string): { stdout: string; dir: string } {
  const dir = join(tempDir('example-'), name);
  const r = spawnSync(process.execPath, [compiled(name), dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  return { stdout: r.stdout, dir };
}

test('README shows every example file exactly, in a ts block', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  for (const name of readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3))) {
    assert.ok(readme.includes('```ts\n' + source(name)), `README.md does not show examples/${name}.ts as it is`);
  }
});

test('the DPO example trains the policy until it prefers the chosen completions, and saves it', () => {
  const { stdout, dir } = runExample('dpo');
  const m = /held-out accuracy ([\d.]+), margin (-?[\d.]+)/.exec(stdout);
  assert.ok(m, stdout);
  assert.ok(Number(m[1]) >= 0.75 && Number(m[2]) > 0, stdout);
  const { model, tokenizer } = loadModelDir(join(dir, 'model'));
  assert.ok(tokenizer, 'the saved policy carries its tokenizer');
  assert.equal(model.config.nLayer, 2);
  assert.ok(existsSync(join(dir, 'checkpoints', 'step-40')), 'the run store kept its resume points');
});

test('the ReST-EM example runs two iterations on a user task and keeps only verified samples', () => {
  const { stdout, dir } = runExample('rest-em');
  assert.deepEqual([...stdout.matchAll(/^iteration (\d+):/gm)].map((x) => Number(x[1])), [0, 1, 2]);
  const samples = readFileSync(join(dir, 'run', 'samples', 'iter1__e-step.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {
    promptId: string; kept: boolean; reward: number; verifier: { correct: boolean };
  });
  const kept = samples.filter((s) => s.kept);
  assert.ok(kept.length > 0, 'the seed policy solves some problems');
  for (const s of kept) assert.equal(s.verifier.correct, true);
  const perProblem = new Map<string, number>();
  for (const s of kept) perProblem.set(s.promptId, (perProblem.get(s.promptId) ?? 0) + 1);
  assert.ok(Math.max(...perProblem.values()) <= 10, 'at most 10 kept per problem (the paper\'s cap)');
  assert.match(stdout, new RegExp(`kept ${kept.length}, solved ${perProblem.size}`));
});
