import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { tempDir } from '../../../io/temp-dir.test.js';

const main = fileURLToPath(new URL('../../main.js', import.meta.url));

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

test('alignkit demo ser rejects a --prompts that is not an integer of at least 8, and a bad --retrain, naming the flag', () => {
  for (const [flag, value, want] of [['--prompts', '2.5', /--prompts 2\.5: expected an integer ≥ 8/], ['--prompts', '4', /--prompts 4: expected an integer ≥ 8/], ['--retrain', 'never', /--retrain never: expected seed or continue/]] as const) {
    const r = spawnSync(process.execPath, [main, 'demo', 'ser', flag, value, '--quiet'], { encoding: 'utf8' });
    assert.equal(r.status, 1, `${flag} ${value}: ${r.stderr}`);
    assert.match(r.stderr, want);
  }
});
