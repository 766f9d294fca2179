// `alignkit demo ser --tiny`: the report's shape, and a resume of a finished demo that repeats nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatSerReport, runSerDemo, tinySerDemo } from './ser-demo.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-ser-demo-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('demo ser (tiny): seed, loops and 100% RM accuracies, precision per loop, three DPO policies; resume repeats nothing', async () => {
  const out = join(root, 'd');
  const opts = { resume: false, quiet: true, log: () => {} };
  const r = await runSerDemo(tinySerDemo(0), out, opts);
  assert.ok(r.setup.labelled > 0 && r.setup.unlabelled > r.setup.labelled);
  assert.ok(r.loops.length >= 1);
  for (const l of r.loops) if (l.status !== null) assert.ok(l.precision !== null && l.poolAccuracy !== null);
  assert.deepEqual(r.policies.map((p) => p.method), ['reference', 'dpo-seed-rm', 'dpo-ser-rm', 'dpo-full-rm']);
  assert.match(formatSerReport(r), /SER loop 1/);
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
  const again = await runSerDemo(tinySerDemo(0), out, { ...opts, resume: true });
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), metrics);
  assert.deepEqual(again.loops, r.loops);
  assert.deepEqual(again.policies, r.policies);
});
