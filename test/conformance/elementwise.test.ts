// Elementwise kernels on both backends: the unary table, GELU, SiLU, AdamW, the clip's scale and Σx², at odd
// lengths and at one length long enough to be split across threads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getBackend, type UnaryOp } from '../../src/backend/index.js';
import { conform, f, Gen, skipNative } from './harness.js';
import { bf16Bits } from '../../src/tensor/index.js';

const LENGTHS = [1, 7, 33, 1000, 100_003];

// Inputs inside each op's domain: log, sqrt and pow of positives; the rest around 0 and in the
// tails, where exp over/underflows and GELU's negative side is tiny.
function input(g: Gen, op: UnaryOp | 'act', n: number): Float32Array {
  if (op === 'log' || op === 'sqrt' || op === 'pow') return g.uniform(n, 0.05, 6);
  const x = g.normal(n, 3);
  if (n >= 7) x.set([0, -0, 12, -12, 80, -90, 0.5]);
  return x;
}

describe('conformance: elementwise', { skip: skipNative }, () => {
  test('unary forward and backward, every op', () => {
    const g = new Gen(11);
    const ops: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'tanh', 'relu', 'pow'];
    for (const op of ops)
      for (const n of LENGTHS) {
        const p = op === 'pow' ? 2.5 : 0;
        const inp = input(g, op, n);
        conform(`unaryForward ${op} n=${n}`, { out: g.normal(n), inp },
          (be, x) => be.unaryForward(op, f(x, 'out'), f(x, 'inp'), n, p));
        // The backward reads f(inp) as `out`: the reference's.
        const out = new Float32Array(n);
        getBackend('js').unaryForward(op, out, inp, n, p);
        conform(`unaryBackward ${op} n=${n}`, { dinp: g.normal(n), dout: g.normal(n), inp, out },
          (be, x) => be.unaryBackward(op, f(x, 'dinp'), f(x, 'dout'), f(x, 'inp'), f(x, 'out'), n, p));
      }
  });

  test('GELU and SiLU, forward and backward, including both tails', () => {
    const g = new Gen(12);
    for (const n of LENGTHS) {
      const inp = input(g, 'act', n);
      conform(`geluForward n=${n}`, { out: new Float32Array(n), inp }, (be, x) => be.geluForward(f(x, 'out'), f(x, 'inp'), n));
      conform(`geluBackward n=${n}`, { dinp: g.normal(n), inp, dout: g.normal(n) },
        (be, x) => be.geluBackward(f(x, 'dinp'), f(x, 'inp'), f(x, 'dout'), n));
      conform(`siluForward n=${n}`, { out: new Float32Array(n), inp }, (be, x) => be.siluForward(f(x, 'out'), f(x, 'inp'), n));
      conform(`siluBackward n=${n}`, { dinp: g.normal(n), inp, dout: g.normal(n) },
        (be, x) => be.siluBackward(f(x, 'dinp'), f(x, 'inp'), f(x, 'dout'), n));
      for (const gelu of [false, true]) {
        conform(`gluForward n=${n} ${gelu ? 'gelu' : 'silu'}`, { out: g.normal(n), gate: inp, up: g.normal(n) },
          (be, x) => be.gluForward(f(x, 'out'), f(x, 'gate'), f(x, 'up'), n, gelu));
        for (const upFresh of [false, true])
          conform(`gluBackward n=${n} ${gelu ? 'gelu' : 'silu'} upFresh=${upFresh}`,
            { dgate: g.normal(n), dup: g.normal(n), g: g.normal(n), gate: inp, up: g.normal(n) },
            (be, x) => be.gluBackward(f(x, 'dgate'), f(x, 'dup'), f(x, 'g'), f(x, 'gate'), f(x, 'up'), n, gelu, upFresh));
      }
    }
  });

  test('roundRowsBf16: nearest bfloat16, ties to even, NaN kept quiet, subnormals rounded, at an offset and stride', () => {
    const g = new Gen(14), rows = 37, width = 70, offset = 5, stride = 81;
    const src = g.normal(rows * width, 10), u = new Uint32Array(src.buffer);
    // Ties (low half 0x8000) both ways, subnormals, NaNs with payloads, infinities, the largest finite.
    const special = [0x3f808000, 0x3f818000, 0x00008000, 0x00018000, 0x807fffff, 0x7fc00001, 0xff800123, 0x7f800000, 0xff800000, 0x7f7fffff, 0x00000001];
    special.forEach((b, i) => { u[i * 13] = b; });
    const want = new Uint16Array(offset + (rows - 1) * stride + width).fill(0xabcd);
    for (let r = 0; r < rows; r++) for (let i = 0; i < width; i++) want[offset + r * stride + i] = bf16Bits(u[r * width + i]!);
    for (const name of (skipNative ? ['js'] : ['js', 'native']) as ('js' | 'native')[]) {
      const got = new Uint16Array(want.length).fill(0xabcd);
      getBackend(name).roundRowsBf16(got, src, rows, width, offset, stride);
      assert.deepEqual(Array.from(got), Array.from(want), name);
    }
    assert.equal(bf16Bits(0x3f808000), 0x3f80, 'a tie to the even side');
    assert.equal(bf16Bits(0x3f818000), 0x3f82, 'a tie up to even');
    assert.equal(bf16Bits(0x7f800001) & 0x40, 0x40, 'a signalling NaN comes out quiet');
  });

  test('gluForward is the activation then the product, bit for bit, on each backend', () => {
    const g = new Gen(13), n = 4099, gate = g.normal(n, 3), up = g.normal(n);
    for (const name of (skipNative ? ['js'] : ['js', 'native']) as ('js' | 'native')[]) {
      const be = getBackend(name);
      for (const gelu of [false, true]) {
        const want = new Float32Array(n), got = new Float32Array(n);
        if (gelu) be.geluForward(want, gate, n);
        else be.siluForward(want, gate, n);
        be.binaryForward('mul', want, want, [1], up, [1], [n]);
        be.gluForward(got, gate, up, n, gelu);
        assert.deepEqual(Array.from(got), Array.from(want), `${name} ${gelu ? 'gelu' : 'silu'}`);
      }
    }
  });

  test('gluBackward is the activation, two products and the activation\'s backward, bit for bit, on each backend', () => {
    const g = new Gen(17), n = 4099, gate = g.normal(n, 3), up = g.normal(n), dout = g.normal(n);
    const dgate0 = g.normal(n), dup0 = g.normal(n);
    for (const name of (skipNative ? ['js'] : ['js', 'native']) as ('js' | 'native')[]) {
      const be = getBackend(name);
      for (const gelu of [false, true])
        for (const [wantGate, wantUp, upFresh] of [[true, true, true], [true, true, false], [true, false, false], [false, true, true], [false, true, false]] as const) {
          const what = `${name} ${gelu ? 'gelu' : 'silu'} dgate ${wantGate} dup ${wantUp} fresh ${upFresh}`;
          // The separate passes glu.ts made before: act, g·up, g·act (written or added), act′.
          const act = new Float32Array(n), dAct = new Float32Array(n);
          const wantDgate = dgate0.slice(), wantDup = upFresh ? new Float32Array(n).fill(NaN) : dup0.slice();
          if (gelu) be.geluForward(act, gate, n);
          else be.siluForward(act, gate, n);
          if (upFresh) be.binaryForward('mul', wantDup, dout, [1], act, [1], [n]);
          else be.binaryBackward('mul', null, wantDup, dout, act, [1], dout, [1], [n]);
          be.binaryForward('mul', dAct, dout, [1], up, [1], [n]);
          if (gelu) be.geluBackward(wantDgate, gate, dAct, n);
          else be.siluBackward(wantDgate, gate, dAct, n);
          const gotDgate = dgate0.slice(), gotDup = upFresh ? new Float32Array(n).fill(NaN) : dup0.slice();
          be.gluBackward(wantGate ? gotDgate : null, wantUp ? gotDup : null, dout, gate, up, n, gelu, upFresh);
          assert.deepEqual(Array.from(gotDgate), Array.from(wantGate ? wantDgate : dgate0), `${what}: dgate`);
          assert.deepEqual(Array.from(gotDup), Array.from(wantUp ? wantDup : upFresh ? new Float32Array(n).fill(NaN) : dup0), `${what}: dup`);
        }
    }
  });

  test('AdamW: first steps (small bias corrections), later steps, with and without decay', () => {
    const g = new Gen(13);
    for (const n of LENGTHS)
      for (const [step, wd] of [[1, 0], [2, 0.1], [1000, 0.01]] as const) {
        const bufs = { param: g.normal(n), grad: g.normal(n, 0.1), m: g.normal(n, 0.01), v: g.uniform(n, 0, 1e-3) };
        conform(`adamwUpdate n=${n} step=${step} wd=${wd}`, bufs,
          (be, x) => be.adamwUpdate(f(x, 'param'), f(x, 'grad'), f(x, 'm'), f(x, 'v'), n, 1e-3, 0.9, 0.999, 1e-8, wd, step));
      }
  });

  test('scaleInPlace: the rescale of clipGradNorm, bit for bit the JavaScript store of x·s', () => {
    const g = new Gen(15);
    // s as clipGradNorm makes it (maxNorm / (norm + 1e-6), a float64 that no float32 holds), and
    // values whose float64 products round differently from float32 products of fround(s).
    for (const n of [0, ...LENGTHS, 1_000_001])
      for (const s of [1 / (Math.PI + 1e-6), 0.999_999_9, 3e-5]) {
        const x = g.normal(n, 10);
        if (n >= 7) x.set([0, -0, 1e-40, -3.4e38, 1, 16_777_215, 0.1]);
        conform(`scaleInPlace n=${n} s=${s}`, { x }, (be, b) => be.scaleInPlace(f(b, 'x'), n, s),
          Number.MIN_VALUE); // any difference at all fails
      }
    // The rounding is the float64 product's: somewhere a float32-only product differs.
    const x = g.normal(100_000), viaF32 = x.map((v) => Math.fround(v * Math.fround(1 / (Math.PI + 1e-6))));
    const want = x.slice();
    getBackend('native').scaleInPlace(want, want.length, 1 / (Math.PI + 1e-6));
    assert.ok(want.some((v, i) => v !== viaF32[i]), 'a float32-precision scale would pass this test too');
  });

  test('sumSquares, the float64 gradient norm', () => {
    const g = new Gen(14);
    for (const n of [0, ...LENGTHS, 1_000_001]) {
      conform(`sumSquares n=${n}`, { inp: g.normal(n) }, (be, x) => be.sumSquares(f(x, 'inp'), n), 1e-9);
    }
  });
});
