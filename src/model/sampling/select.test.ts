// Top-k by selection and top-p from a bound (select.ts) against the full sort they replace: the
// same candidates, in the same order, with the same probabilities, on random rows with ties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../tensor/index.js';
import { drawFrom, logSoftmaxT, truncate, type Candidates } from './filters.js';
import { nucleusIds, topKIds } from './select.js';

/** The filters before select.ts: sort every id (value desc, id asc), cut at k, then at p. */
function reference(logp: Float64Array, topK: number, topP: number): Candidates {
  const V = logp.length;
  const ids = Array.from({ length: V }, (_, i) => i).sort((a, b) => logp[b]! - logp[a]! || a - b);
  const kept = ids.slice(0, topK > 0 ? Math.min(topK, V) : V);
  const probs = kept.map((i) => Math.exp(logp[i]!));
  let mass = probs.reduce((a, b) => a + b, 0), keep = kept.length;
  if (topP < 1) {
    let c = 0;
    for (keep = 0; keep < kept.length;) { c += probs[keep++]!; if (c >= topP * mass) break; }
    mass = c;
  }
  return { ids: Int32Array.from(kept.slice(0, keep)), probs: Float64Array.from(probs.slice(0, keep), (p) => p / mass) };
}

/** A row of logits: normal, peaked, or quantised to a few levels (many ties). */
function row(rng: Rng, V: number, kind: number): Float64Array {
  const z = Array.from({ length: V }, () => rng.normal());
  const logits = kind === 0 ? z : kind === 1 ? z.map((v) => 4 * v) : z.map((v) => Math.round(v * 2) / 2);
  return logSoftmaxT(logits);
}

test('top-k by quickselect and top-p from a histogram bound equal the full sort: ids, order, probabilities', () => {
  const rng = new Rng(7);
  let cases = 0;
  for (const V of [1, 2, 5, 64, 1000, 20000]) {
    for (let kind = 0; kind < 3; kind++) {
      const logp = row(rng, V, kind);
      for (const topK of [0, 1, 2, 7, 50, V - 1, V, V + 3]) {
        for (const topP of [1, 0.999, 0.9, 0.5, 0.1, 1e-9]) {
          const got = truncate(logp, topK, topP), want = reference(logp, topK, topP);
          const what = `V ${V} kind ${kind} topK ${topK} topP ${topP}`;
          assert.deepEqual(Array.from(got.ids), Array.from(want.ids), `${what}: ids`);
          got.probs.forEach((p, i) => assert.ok(Math.abs(p - want.probs[i]!) <= 1e-12, `${what}: prob ${i} is ${p}, expected ${want.probs[i]}`));
          cases++;
        }
      }
    }
  }
  assert.ok(cases > 500);
});

test('the same seed draws the same tokens as the full sort would', () => {
  const logp = row(new Rng(8), 5000, 0);
  for (const [topK, topP] of [[40, 1], [0, 0.9], [100, 0.8]] as const) {
    const a = new Rng(9), b = new Rng(9);
    for (let i = 0; i < 50; i++) {
      assert.equal(drawFrom(truncate(logp, topK, topP), a.uniform()), drawFrom(reference(logp, topK, topP), b.uniform()), `topK ${topK} topP ${topP} draw ${i}`);
    }
  }
});

test('topKIds: the k best of a row with every value tied, lowest ids first; bad k named', () => {
  const flat = new Float64Array(100).fill(-Math.log(100));
  assert.deepEqual(Array.from(topKIds(flat, 5)), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(topKIds(Float64Array.of(1, 3, 3, 2), 2)), [1, 2]);
  assert.throws(() => topKIds(flat, 0), /k is 0; expected an integer in \[1, 100\]/);
});

test('nucleusIds sorts only the candidates above the bound, not the whole vocabulary', () => {
  // A peaked row over 100k ids: top-p 0.9 needs a handful; the bound keeps a few buckets of them.
  const V = 100000, logits = new Float64Array(V);
  const rng = new Rng(10);
  for (let i = 0; i < V; i++) logits[i] = rng.normal();
  for (let i = 0; i < 20; i++) logits[rng.int(V)] = 14 + rng.normal();
  const n = nucleusIds(logSoftmaxT(logits), 0.9);
  assert.ok(n.ids.length < 200, `${n.ids.length} candidates sorted`);
  assert.ok(n.restMass < 0.1 && n.restMass > 0, `mass left out ${n.restMass}`);
});
