// Row-wise kernels on both backends: reductions over (outer, R, inner), softmax and log-softmax,
// layer norm and RMS norm, embedding and cross-entropy, with odd sizes, rows long enough to
// split over threads, −∞ entries, the ignore index and null gradients.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../../src/backend/index.js';
import { conform, f, fn, Gen, i, skipNative } from './harness.js';

// (rows, columns): single elements, odd sizes, a long row, and many rows for the thread split.
const SHAPES: [number, number][] = [[1, 1], [7, 33], [33, 7], [3, 1000], [1000, 65]];

describe('conformance: rows', { skip: skipNative }, () => {
  test('sum and max over the middle axis, forward and backward', () => {
    const g = new Gen(21);
    for (const [outer, R, inner] of [[1, 1, 1], [7, 33, 1], [1, 1000, 1], [3, 7, 33], [1000, 3, 5], [2, 1000, 17]]) {
      const n = outer * R * inner, m = outer * inner, tol = R >= 1000 ? 1e-4 : 1e-5;
      const inp = g.normal(n);
      if (n > 10) { inp[3] = inp[4] = 5; inp[9] = NaN; }  // a tie (the first wins) and a NaN (it wins)
      conform(`sumForward ${outer}×${R}×${inner}`, { out: g.normal(m), inp: inp.map((v) => (Number.isNaN(v) ? 0 : v)) },
        (be, x) => be.sumForward(f(x, 'out'), f(x, 'inp'), outer, R, inner), tol);
      conform(`sumBackward ${outer}×${R}×${inner}`, { dinp: g.normal(n), dout: g.normal(m) },
        (be, x) => be.sumBackward(f(x, 'dinp'), f(x, 'dout'), outer, R, inner));
      conform(`maxForward ${outer}×${R}×${inner}`, { out: g.normal(m), argmax: new Int32Array(m), inp },
        (be, x) => be.maxForward(f(x, 'out'), i(x, 'argmax'), f(x, 'inp'), outer, R, inner));
      const argmax = g.ids(m, R);
      conform(`maxBackward ${outer}×${R}×${inner}`, { dinp: g.normal(n), dout: g.normal(m), argmax },
        (be, x) => be.maxBackward(f(x, 'dinp'), f(x, 'dout'), i(x, 'argmax'), outer, R, inner));
    }
  });

  test('sum and max over an empty axis (R = 0): zeros, and −∞ with argmax 0', () => {
    conform('sumForward 2×0×3', { out: new Float32Array(6).fill(7), inp: new Float32Array(0) },
      (be, x) => be.sumForward(f(x, 'out'), f(x, 'inp'), 2, 0, 3));
    conform('maxForward 2×0×3', { out: new Float32Array(6), argmax: new Int32Array(6).fill(5), inp: new Float32Array(0) },
      (be, x) => be.maxForward(f(x, 'out'), i(x, 'argmax'), f(x, 'inp'), 2, 0, 3));
  });

  test('softmax and log-softmax, forward and backward, with −∞ entries', () => {
    const g = new Gen(22);
    for (const [N, C] of SHAPES) {
      const inp = g.normal(N * C, 3);
      for (let k = 1; k < inp.length; k += 5) inp[k] = -Infinity;
      const tol = C >= 1000 ? 1e-4 : 1e-5;
      for (const log of [false, true]) {
        const name = log ? 'logSoftmax' : 'softmax';
        conform(`${name}Forward ${N}×${C}`, { out: new Float32Array(N * C), inp: inp.map((v, k) => (log && k % 5 === 1 ? 0 : v)) },
          (be, x) => (log ? be.logSoftmaxForward : be.softmaxForward)(f(x, 'out'), f(x, 'inp'), N, C), tol);
        const out = new Float32Array(N * C);
        const finite = inp.map((v) => (Number.isFinite(v) ? v : 0));
        (log ? getBackend('js').logSoftmaxForward : getBackend('js').softmaxForward)(out, finite, N, C);
        conform(`${name}Backward ${N}×${C}`, { dinp: g.normal(N * C), dout: g.normal(N * C), out },
          (be, x) => (log ? be.logSoftmaxBackward : be.softmaxBackward)(f(x, 'dinp'), f(x, 'dout'), f(x, 'out'), N, C), tol);
      }
    }
  });

  test('layer norm with and without bias, backward with every gradient subset', () => {
    const g = new Gen(23);
    for (const [N, C] of SHAPES) {
      const tol = N >= 1000 || C >= 1000 ? 1e-4 : 1e-5;
      for (const withBias of [true, false]) {
        const inp = g.normal(N * C, 2), weight = g.normal(C), bias = withBias ? g.normal(C) : null;
        conform(`layerNormForward ${N}×${C} bias=${withBias}`,
          { out: new Float32Array(N * C), mean: new Float32Array(N), rstd: new Float32Array(N), inp, weight, bias },
          (be, x) => be.layerNormForward(f(x, 'out'), f(x, 'mean'), f(x, 'rstd'), f(x, 'inp'), f(x, 'weight'), fn(x, 'bias'), N, C, 1e-5), tol);
      }
      const inp = g.normal(N * C, 2), weight = g.normal(C), mean = new Float32Array(N), rstd = new Float32Array(N);
      getBackend('js').layerNormForward(new Float32Array(N * C), mean, rstd, inp, weight, null, N, C, 1e-5);
      for (const mask of [7, 1, 2, 4, 6]) {
        const bufs = {
          dinp: mask & 1 ? g.normal(N * C) : null, dweight: mask & 2 ? g.normal(C) : null, dbias: mask & 4 ? g.normal(C) : null,
          dout: g.normal(N * C), inp, weight, mean, rstd,
        };
        conform(`layerNormBackward ${N}×${C} grads=${mask}`, bufs, (be, x) => be.layerNormBackward(fn(x, 'dinp'), fn(x, 'dweight'),
          fn(x, 'dbias'), f(x, 'dout'), f(x, 'inp'), f(x, 'weight'), f(x, 'mean'), f(x, 'rstd'), N, C), tol);
      }
    }
  });

  test('RMS norm, forward and backward with every gradient subset', () => {
    const g = new Gen(24);
    for (const [N, C] of SHAPES) {
      const tol = N >= 1000 || C >= 1000 ? 1e-4 : 1e-5;
      const inp = g.normal(N * C, 2), weight = g.normal(C);
      conform(`rmsNormForward ${N}×${C}`, { out: new Float32Array(N * C), rstd: new Float32Array(N), inp, weight },
        (be, x) => be.rmsNormForward(f(x, 'out'), f(x, 'rstd'), f(x, 'inp'), f(x, 'weight'), N, C, 1e-6), tol);
      const rstd = new Float32Array(N);
      getBackend('js').rmsNormForward(new Float32Array(N * C), rstd, inp, weight, N, C, 1e-6);
      for (const mask of [3, 1, 2]) {
        const bufs = { dinp: mask & 1 ? g.normal(N * C) : null, dweight: mask & 2 ? g.normal(C) : null, dout: g.normal(N * C), inp, weight, rstd };
        conform(`rmsNormBackward ${N}×${C} grads=${mask}`, bufs, (be, x) => be.rmsNormBackward(fn(x, 'dinp'), fn(x, 'dweight'),
          f(x, 'dout'), f(x, 'inp'), f(x, 'weight'), f(x, 'rstd'), N, C), tol);
      }
    }
  });

  test('embedding lookup and its scatter-add backward, with repeated ids', () => {
    const g = new Gen(25);
    for (const [N, C, V] of [[1, 1, 1], [7, 33, 5], [1000, 40, 13], [300, 1000, 50]]) {
      const ids = g.ids(N, V);
      conform(`embeddingForward N=${N} C=${C} V=${V}`, { out: g.normal(N * C), ids, table: g.normal(V * C) },
        (be, x) => be.embeddingForward(f(x, 'out'), i(x, 'ids'), f(x, 'table'), N, C));
      conform(`embeddingBackward N=${N} C=${C} V=${V}`, { dtable: g.normal(V * C), dout: g.normal(N * C), ids },
        (be, x) => be.embeddingBackward(f(x, 'dtable'), f(x, 'dout'), i(x, 'ids'), N, C), N >= 1000 ? 1e-4 : 1e-5);
    }
  });

  test('cross-entropy, forward and backward, with ignored rows', () => {
    const g = new Gen(26);
    for (const [N, V] of [[1, 1], [7, 33], [33, 7], [5, 1000], [1000, 65]]) {
      const targets = g.ids(N, V);
      for (let k = 0; k < N; k += 3) targets[k] = -100;
      const logits = g.normal(N * V, 4), tol = V >= 1000 ? 1e-4 : 1e-5;
      conform(`crossEntropyForward N=${N} V=${V}`, { losses: g.normal(N), lse: g.normal(N), logits, targets },
        (be, x) => be.crossEntropyForward(f(x, 'losses'), f(x, 'lse'), f(x, 'logits'), i(x, 'targets'), N, V, -100), tol);
      const lse = new Float32Array(N);
      getBackend('js').crossEntropyForward(new Float32Array(N), lse, logits, targets, N, V, -100);
      conform(`crossEntropyBackward N=${N} V=${V}`, { dlogits: g.normal(N * V), dlosses: g.normal(N), logits, lse, targets },
        (be, x) => be.crossEntropyBackward(f(x, 'dlogits'), f(x, 'dlosses'), f(x, 'logits'), f(x, 'lse'), i(x, 'targets'), N, V, -100, true), tol);
    }
  });

  test('crossEntropyFused: JS and native agree on losses, lse and the gradient written over the logits', () => {
    const g = new Gen(28);
    for (const [N, V, scale] of [[1, 1, 1], [7, 33, 1], [5, 1000, 0.5], [9, 2049, Math.fround(1 / 0.7)]] as const) {
      const targets = g.ids(N, V);
      for (let k = 0; k < N; k += 3) targets[k] = -100;
      conform(`crossEntropyFused N=${N} V=${V} scale=${scale}`, { losses: g.normal(N), lse: g.normal(N), logits: g.normal(N * V, 4), targets },
        (be, x) => be.crossEntropyFused(f(x, 'losses'), f(x, 'lse'), f(x, 'logits'), i(x, 'targets'), N, V, -100, scale), V >= 1000 ? 1e-4 : 1e-5);
    }
  });

  test('crossEntropyFused: bit for bit crossEntropyForward, crossEntropyBackward for unit gradients, then × scale, on each backend', () => {
    const g = new Gen(29), [N, V] = [11, 3001];
    const targets = g.ids(N, V), logits = g.normal(N * V, 5);
    for (let k = 0; k < N; k += 4) targets[k] = -100;
    targets[1] = V - 1;
    for (const name of (skipNative ? ['js'] : ['js', 'native']) as ('js' | 'native')[]) {
      const be = getBackend(name);
      for (const scale of [1, Math.fround(1 / 0.7)]) {
        const losses = new Float32Array(N), lse = new Float32Array(N), d = new Float32Array(N * V);
        be.crossEntropyForward(losses, lse, logits, targets, N, V, -100);
        be.crossEntropyBackward(d, new Float32Array(N).fill(1), logits, lse, targets, N, V, -100, false);
        for (let k = 0; k < d.length; k++) d[k] = d[k]! * scale;
        const fl = g.normal(N), fs = g.normal(N), over = logits.slice();
        be.crossEntropyFused(fl, fs, over, targets, N, V, -100, scale);
        assert.deepEqual(Array.from(fl), Array.from(losses), `${name} scale ${scale}: losses`);
        assert.deepEqual(Array.from(fs), Array.from(lse), `${name} scale ${scale}: lse`);
        assert.deepEqual(Array.from(over), Array.from(d), `${name} scale ${scale}: the gradient over the logits`);
        assert.ok(over.subarray(0, V).every((v) => v === 0), `${name}: an ignored row becomes 0`);
      }
    }
  });

  test('cross-entropy backward without accumulate: over any contents, what accumulating onto zeros gives, bit for bit', () => {
    const g = new Gen(27), [N, V] = [9, 300];
    const targets = g.ids(N, V), logits = g.normal(N * V, 4), dlosses = g.normal(N), lse = new Float32Array(N);
    for (let k = 0; k < N; k += 4) targets[k] = -100;
    getBackend('js').crossEntropyForward(new Float32Array(N), lse, logits, targets, N, V, -100);
    for (const name of (skipNative ? ['js'] : ['js', 'native']) as ('js' | 'native')[]) {
      const be = getBackend(name);
      const zeroed = new Float32Array(N * V), over = g.normal(N * V, 3);
      be.crossEntropyBackward(zeroed, dlosses, logits, lse, targets, N, V, -100, true);
      be.crossEntropyBackward(over, dlosses, logits, lse, targets, N, V, -100, false);
      assert.deepEqual(Array.from(over), Array.from(zeroed), `${name}: the rows written over`);
      assert.ok(zeroed.subarray(0, V).every((v) => v === 0) && zeroed.subarray(V, 2 * V).some((v) => v !== 0), `${name}: an ignored row stays 0`);
    }
  });
});
