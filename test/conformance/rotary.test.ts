// Rotary position embedding on both backends: heads contiguous and read in place from a
// projection (a channel offset, strides of the (B, T, W) layout), head sizes from 2 to 128, grids
// big enough to split between threads, and the backward accumulating onto a gradient already there.
import { describe, test } from 'node:test';
import { conform, f, Gen, skipNative, withThreads } from './harness.js';

interface Case { B: number; h: number; T: number; D: number; W?: number; channel?: number }

function views(c: Case): { shape: number[]; strides: number[]; offset: number; xSize: number } {
  const { B, h, T, D } = c;
  if (c.W === undefined) return { shape: [B, h, T, D], strides: [h * T * D, T * D, D], offset: 0, xSize: B * h * T * D };
  return { shape: [B, h, T, D], strides: [T * c.W, D, c.W], offset: c.channel ?? 0, xSize: B * T * c.W };
}

const CASES: Case[] = [
  { B: 1, h: 1, T: 1, D: 2 },
  { B: 2, h: 3, T: 5, D: 6 },
  { B: 1, h: 4, T: 17, D: 128 },
  { B: 2, h: 3, T: 7, D: 64, W: 64 * 3 + 64 * 2, channel: 64 },  // k's heads between q's and v's
  { B: 1, h: 9, T: 300, D: 64, W: 576 },                         // C's queries: split between threads
  { B: 3, h: 2, T: 40, D: 16, W: 80, channel: 16 },
];

/** fn for every case on one thread and on two, with the case's view and its buffer sizes. */
function eachCase(seed: number, fn: (g: Gen, what: string, v: ReturnType<typeof views>, n: number, tables: number) => void): void {
  const g = new Gen(seed);
  for (const threads of [1, 2])
    withThreads(threads, () => {
      for (const c of CASES) fn(g, `${JSON.stringify(c)} threads=${threads}`, views(c), c.B * c.h * c.T * c.D, c.B * c.T * c.D);
    });
}

describe('conformance: rotary', { skip: skipNative }, () => {
  test('forward: each product rounded, then the sum, bit for bit', () => {
    eachCase(41, (g, what, v, n, tables) => conform(`rotaryForward ${what}`,
      { out: g.normal(n), x: g.normal(v.xSize), cos: g.normal(tables), sin: g.normal(tables) },
      (be, b) => be.rotaryForward(f(b, 'out'), f(b, 'x'), f(b, 'cos'), f(b, 'sin'), v.shape, v.strides, v.offset), 1e-12));
  });

  test('backward accumulates into x\'s view and leaves the rest of it alone', () => {
    // The reference rounds the fused step twice (float64, then float32); an FMA once: they may
    // differ by an ulp at an exact tie, hence 2e-7 rather than exact.
    eachCase(42, (g, what, v, n, tables) => conform(`rotaryBackward ${what}`,
      { dx: g.normal(v.xSize), g: g.normal(n), cos: g.normal(tables), sin: g.normal(tables) },
      (be, b) => be.rotaryBackward(f(b, 'dx'), f(b, 'g'), f(b, 'cos'), f(b, 'sin'), v.shape, v.strides, v.offset), 2e-7));
  });
});
