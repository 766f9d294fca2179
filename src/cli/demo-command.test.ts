import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { tempDir } from '../io/temp-dir.test.js';

const main = fileURLToPath(new URL('./main.js', import.meta.url));

test('alignkit demo --tiny --json prints every iteration and the baseline as fractions', () => {
  const out = join(tempDir('demo-'), 'run');
  const r = spawnSync(process.execPath, [main, 'demo', '--tiny', '--json', '--quiet', '--iterations', '2', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { iterations: { iteration: number; test_pass1: number; pass_at_k: number; maj_at_k: number }[]; baseline_test_pass1: number; seconds: number };
  assert.deepEqual(res.iterations.map((x) => x.iteration), [0, 1, 2]);
  for (const x of res.iterations) for (const v of [x.test_pass1, x.pass_at_k, x.maj_at_k]) assert.ok(v >= 0 && v <= 1, `${v} is not a fraction`);
  assert.ok(res.baseline_test_pass1 >= 0 && res.baseline_test_pass1 <= 1);
  assert.ok(res.seconds > 0);
  // A second run on the same directory without --resume refuses to overwrite it.
  const again = spawnSync(process.execPath, [main, 'demo', '--tiny', '--quiet', '--out', out], { encoding: 'utf8' });
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already holds a run.*--resume/);
});
