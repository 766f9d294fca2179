// `alignkit demo ser --setup arithmetic --tiny`: the report's shape (every loop's figures, the
// control, five policies scored by pass@1), a resume of a finished demo that repeats nothing, and
// the command line that reaches it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../io/temp-dir.test.js';
import { formatSerArithmeticReport, runSerArithmeticDemo, tinySerArithmeticDemo } from './arithmetic.js';
import { gapClosed } from './compare.js';

const root = tempDir('alignkit-ser-arith-');
const main = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

test('demo ser --setup arithmetic (tiny): seed, loops, control and 100% RM, precision per loop, five policies by pass@1; resume repeats nothing', async () => {
  const out = join(root, 'd');
  const opts = { resume: false, quiet: true, log: () => {} };
  const r = await runSerArithmeticDemo(tinySerArithmeticDemo(0), out, opts);
  assert.equal(r.setup.base, 'all-references');
  assert.ok(r.setup.labelled > 0 && r.setup.unlabelled > r.setup.labelled);
  assert.equal(r.setup.labelled + r.setup.unlabelled, r.setup.train_pairs);
  assert.ok(r.setup.decisive_test_pairs > 0 && r.setup.decisive_test_pairs <= r.setup.test_pairs);
  assert.ok(r.loops.length >= 1);
  for (const l of r.loops) if (l.status !== null) assert.ok(l.precision !== null && l.poolAccuracy !== null && l.testAccuracy !== null);
  const selected = r.loops.reduce((n, l) => n + l.selected, 0);
  assert.ok(selected > 0);
  assert.equal(r.control_rm?.pairs, r.setup.labelled + selected);
  assert.deepEqual(r.policies.map((p) => p.method), ['base', 'dpo-seed-rm', 'dpo-ser-rm', 'dpo-full-rm', 'dpo-true-labels']);
  for (const p of r.policies) assert.ok(p.test_pass1 >= 0 && p.test_pass1 <= 1 && Number.isFinite(p.hidden_score));
  assert.equal(r.policies[0]!.test_pass1, r.setup.base_test_pass1, 'the base row is the base, scored as the setup scored it');
  const report = formatSerArithmeticReport(r);
  for (const want of [/SER loop 1/, new RegExp(`control \\(${r.setup.labelled + selected} true labels\\)`), /dpo-true-labels/, /greedy pass@1/]) assert.match(report, want);

  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
  const again = await runSerArithmeticDemo(tinySerArithmeticDemo(0), out, { ...opts, resume: true });
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), metrics);
  for (const k of ['setup', 'loops', 'control_rm', 'correctness_accuracy', 'policies', 'seed_rm_accuracy', 'full_rm_accuracy', 'policy_gap_closed'] as const) assert.deepEqual(again[k], r[k], k);
});

test('gapClosed: the share of the seed-to-100% gap reached; null when the 100% figure is not above the seed one', () => {
  assert.equal(gapClosed(0.5, 0.7, 0.6), 0.5);
  assert.ok(Math.abs(gapClosed(0.5, 0.7, 0.45)! + 0.25) < 1e-12);
  assert.equal(gapClosed(0.6, 0.6, 0.7), null);
  assert.equal(gapClosed(0.6, 0.5, 0.7), null);
});

test('alignkit demo ser --setup arithmetic --tiny --json prints the arithmetic report; a bad --setup or --base names the flag', () => {
  const out = join(root, 'cli');
  const r = spawnSync(process.execPath, [main, 'demo', 'ser', '--setup', 'arithmetic', '--tiny', '--json', '--quiet', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.equal(res.setup_kind, 'arithmetic');
  assert.equal(res.policies.length, 5);
  assert.ok(res.setup.base_test_pass1 >= 0 && res.setup.base_test_pass1 <= 1);
  for (const [flag, value] of [['--setup', 'maths'], ['--base', 'gpt']]) {
    const bad = spawnSync(process.execPath, [main, 'demo', 'ser', flag, value, '--quiet'], { encoding: 'utf8' });
    assert.equal(bad.status, 1, `${flag} ${value}: ${bad.stderr}`);
    assert.match(bad.stderr, new RegExp(`${flag}.*${value}`));
  }
});
