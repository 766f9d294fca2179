// `alignkit demo ser --tiny`: the report's shape, and a resume of a finished demo that repeats nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { serSplit } from '../align/ser/ser.js';
import { formatSerReport, runSerDemo, tinySerDemo, trueLabelSample } from './ser.js';

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
  // The control trains on the seed labels plus as many true-labelled pool pairs as SER selected.
  const selected = r.loops.reduce((n, l) => n + l.selected, 0);
  assert.ok(selected > 0);
  assert.equal(r.control_rm?.pairs, r.setup.labelled + selected);
  assert.ok(r.control_rm.accuracy >= 0 && r.control_rm.accuracy <= 1);
  assert.match(formatSerReport(r), /SER loop 1/);
  assert.match(formatSerReport(r), new RegExp(`control \\(${r.setup.labelled + selected} true labels\\)`));
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
  const again = await runSerDemo(tinySerDemo(0), out, { ...opts, resume: true });
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8'), metrics);
  assert.deepEqual(again.loops, r.loops);
  assert.deepEqual(again.policies, r.policies);
  assert.deepEqual(again.control_rm, r.control_rm);
});

test('trueLabelSample: distinct pool pairs oriented by their hidden labels, seeded; too many asked is an error', () => {
  const pairs = Array.from({ length: 40 }, (_, i) => ({ prompt: `p${i}`, chosen: `good ${i}`, rejected: `bad ${i}` }));
  const { unlabelled } = serSplit(pairs, 0.25, 3);
  const got = trueLabelSample(unlabelled, 12, 5);
  assert.equal(got.length, 12);
  assert.equal(new Set(got.map((p) => p.prompt)).size, 12);
  for (const p of got) assert.match(p.chosen, /^good /);
  assert.deepEqual(trueLabelSample(unlabelled, 12, 5), got);
  assert.notDeepEqual(trueLabelSample(unlabelled, 12, 6), got);
  assert.throws(() => trueLabelSample(unlabelled, unlabelled.length + 1, 5), /pairs asked, the pool has 30/);
});
