// `alignkit demo ser --setup arithmetic --tiny`: the report's shape (every loop's figures, the
// control, five policies scored by pass@1), a resume of a finished demo that repeats nothing, and
// the command line that reaches it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../io/temp-dir.test.js';
import { formatSerArithmeticReport, runSerArithmeticDemo, tinySerArithmeticDemo, type SerArithmeticDemoResult } from './arithmetic.js';
import { gapClosed } from './compare.js';

const root = tempDir('alignkit-ser-arith-');
const main = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/** Every file's modification time under the demo's and SER's checkpoint folders. */
function checkpointTimes(out: string): Record<string, number> {
  const t: Record<string, number> = {};
  for (const dir of [join(out, 'checkpoints'), join(out, 'ser', 'checkpoints')]) {
    for (const f of readdirSync(dir, { recursive: true }) as string[]) t[join(dir, f)] = statSync(join(dir, f)).mtimeMs;
  }
  return t;
}

/** Loop k sees the pool loop k − 1 left; each retrained RM trains on the seed labels plus every pair selected so far. */
function assertLoopsConsistent(r: SerArithmeticDemoResult): void {
  let pool = r.setup.unlabelled, taken = 0;
  r.loops.forEach((l, i) => {
    assert.equal(l.loop, i + 1);
    assert.equal(l.poolSize, pool, `loop ${l.loop}: pool size`);
    assert.ok(l.selected <= l.poolSize);
    for (const x of [l.precision, l.poolAccuracy]) assert.ok(x !== null && x >= 0 && x <= 1, `loop ${l.loop}: ${x}`);
    pool -= l.selected;
    taken += l.selected;
    if (l.status === null) {
      assert.equal(i, r.loops.length - 1, 'only the last loop stops');
      assert.equal(r.stop_reason, l.stop);
      assert.equal(l.testAccuracy, null);
    } else assert.equal(l.trainPairs, r.setup.labelled + taken, `loop ${l.loop}: RM training pairs`);
  });
  const withBoth = r.loops.filter((l) => l.status !== null);
  assert.deepEqual(r.precision_above_pool, { loops: withBoth.filter((l) => l.precision! > l.poolAccuracy!).length, of: withBoth.length });
  const last = withBoth.at(-1)?.testAccuracy ?? r.seed_rm_accuracy;
  assert.equal(r.gap_closed, gapClosed(r.seed_rm_accuracy, r.full_rm_accuracy, last));
  assert.equal(r.control_gap_closed, r.control_rm ? gapClosed(r.seed_rm_accuracy, r.full_rm_accuracy, r.control_rm.accuracy) : null);
  assert.equal(r.correctness_accuracy.pairs, r.setup.one_correct_test_pairs);
}

/** The policy gap is the SER RM policy's place between the seed-RM and 100%-RM policies' pass@1; each pass@1 counts whole problems of `problems`. */
function assertPoliciesConsistent(r: SerArithmeticDemoResult, problems: number): void {
  const pass1 = (m: string) => r.policies.find((p) => p.method === m)!.test_pass1;
  assert.equal(r.policy_gap_closed, gapClosed(pass1('dpo-seed-rm'), pass1('dpo-full-rm'), pass1('dpo-ser-rm')));
  for (const p of r.policies) {
    const solved = p.test_pass1 * problems;
    assert.ok(Math.abs(solved - Math.round(solved)) < 1e-9, `${p.method}: pass@1 ${p.test_pass1} is not a count of ${problems} problems`);
  }
}

test('demo ser --setup arithmetic (tiny): seed, loops, control and 100% RM, precision per loop, five policies by pass@1; resume repeats nothing', async () => {
  const out = join(root, 'd');
  const opts = { resume: false, quiet: true, log: () => {} };
  const cfg = tinySerArithmeticDemo(0);
  const r = await runSerArithmeticDemo(cfg, out, opts);
  assertLoopsConsistent(r);
  assertPoliciesConsistent(r, cfg.setup.testProblems);
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

  const files = ['metrics.jsonl', 'ser/metrics.jsonl', 'samples/setup.jsonl'];
  const before = files.map((f) => readFileSync(join(out, f), 'utf8'));
  const checkpoints = checkpointTimes(out);
  const logged: string[] = [];
  const again = await runSerArithmeticDemo(tinySerArithmeticDemo(0), out, { ...opts, resume: true, log: (l) => logged.push(l) });
  files.forEach((f, i) => assert.equal(readFileSync(join(out, f), 'utf8'), before[i], `${f} unchanged by the resume`));
  assert.deepEqual(checkpointTimes(out), checkpoints, 'no checkpoint rewritten');
  // Each of these lines is logged only inside the stage that trains or samples.
  for (const l of logged) assert.doesNotMatch(l, /human-data baseline|^sampling|reward model on all|^control:|^DPO with/, `the resume redid: ${l}`);
  assert.ok(logged.some((l) => /^setup: reloaded the base and \d+ labelled pairs/.test(l)), logged.join('\n'));
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
