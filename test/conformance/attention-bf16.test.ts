// Attention's bf16 permission (kernels.ts attentionForward `bf16`; issue 20): where the CPU has AMX
// tiles the native products take bfloat16-rounded operands. Checked here: the forward and all three
// gradients within a bfloat16-sized error of the exact (JavaScript, float64-summed) reference over
// block-crossing lengths, head sizes that are not multiples of 32, grouped heads split across
// threads, masks, soft-caps and windows; a single key, where the answer is exactly the rounded
// values; a left-padded row's numbers bit for bit those it gets alone (the batched prefill's
// property); and, with AMX switched off, the float32 path's numbers bit for bit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contiguousLayout, getBackend, nativeStatus, type Backend } from '../../src/backend/index.js';
import { attention, backward, mul, sum, Tensor, roundToBf16 } from '../../src/index.js';
import { Gen } from './harness.js';

const st = nativeStatus();
const noTiles: string | false = !st.ok ? `native addon not built: ${st.reason}`
  : !st.native.config().amx ? 'this CPU (or Linux) gives no AMX tiles: the bf16 permission changes nothing here' : false;

interface Case { B: number; H: number; Hkv: number; Tq: number; Tk: number; D: number; causal: boolean; mask?: boolean; softcap?: number; window?: number }

const CASES: Case[] = [
  { B: 1, H: 9, Hkv: 3, Tq: 130, Tk: 130, D: 64, causal: true },
  { B: 2, H: 4, Hkv: 2, Tq: 100, Tk: 100, D: 48, causal: true, mask: true },
  { B: 1, H: 2, Hkv: 1, Tq: 70, Tk: 130, D: 16, causal: true },
  { B: 1, H: 2, Hkv: 2, Tq: 33, Tk: 70, D: 80, causal: false },
  { B: 1, H: 3, Hkv: 1, Tq: 150, Tk: 150, D: 32, causal: true, softcap: 20, window: 40 },
  { B: 1, H: 1, Hkv: 1, Tq: 9, Tk: 4, D: 8, causal: true },
];

interface Result { out: Float32Array; lse: Float32Array; dq: Float32Array; dk: Float32Array; dv: Float32Array }

function run(be: Backend, c: Case, seed: number, bf16: boolean): Result {
  const g = new Gen(seed), { B, H, Hkv, Tq, Tk, D, causal } = c;
  const q = g.normal(B * H * Tq * D), k = g.normal(B * Hkv * Tk * D), v = g.normal(B * Hkv * Tk * D), dout = g.normal(B * H * Tq * D);
  // A key mask with −∞ on a few keys of each row, as padding gives.
  const mask = c.mask ? Float32Array.from({ length: B * Tk }, (_, j) => (j % Tk) % 13 === 5 ? -Infinity : 0) : null;
  const ms = c.mask ? [Tk, 0, 0, 1] : [0, 0, 0, 0], layout = contiguousLayout(H, Hkv, Tq, Tk, D);
  const r: Result = {
    out: new Float32Array(q.length), lse: new Float32Array(B * H * Tq),
    dq: new Float32Array(q.length), dk: new Float32Array(k.length), dv: new Float32Array(v.length),
  };
  const args = [B, H, Hkv, Tq, Tk, D, 1 / Math.sqrt(D), causal, layout, c.softcap ?? 0, c.window ?? 0, bf16] as const;
  be.attentionForward(r.out, r.lse, q, k, v, mask, ms, ...args);
  be.attentionBackward(r.dq, r.dk, r.dv, dout, r.out, r.lse, q, k, v, mask, ms, ...args);
  return r;
}

/** ‖got − want‖ / ‖want‖ */
function normwise(got: Float32Array, want: Float32Array): number {
  let n = 0, d = 0;
  for (let i = 0; i < want.length; i++) { n += (got[i]! - want[i]!) ** 2; d += want[i]! ** 2; }
  return Math.sqrt(n / Math.max(d, 1e-30));
}

const what = (c: Case): string => `B ${c.B}, ${c.H} heads on ${c.Hkv}, Tq ${c.Tq}, Tk ${c.Tk}, D ${c.D}${c.causal ? ', causal' : ''}` +
  `${c.mask ? ', key mask' : ''}${c.softcap ? `, soft-cap ${c.softcap}` : ''}${c.window ? `, window ${c.window}` : ''}`;

describe('attention with the bf16 permission on AMX tiles', { skip: noTiles }, () => {
  const native = (): Backend => getBackend('native');

  for (const c of CASES)
    test(`within bfloat16's error of the exact reference: ${what(c)}`, () => {
      const want = run(getBackend('js'), c, 7, false), exact = run(native(), c, 7, false), got = run(native(), c, 7, true);
      for (const name of ['out', 'dq', 'dk', 'dv'] as const) {
        // Rounding q, k, v, dout, P and dS to 8-bit significands (unit roundoff 2^-9 ≈ 2e-3)
        // leaves a few 1e-3 of normwise error; a wrong layout or transpose leaves O(1).
        const err = normwise(got[name], want[name]);
        assert.ok(err < 1.5e-2, `${name}: normwise error ${err.toExponential(2)} against the exact reference`);
        // The float32 path is two orders closer: the tiles did run, on rounded operands.
        assert.ok(normwise(exact[name], want[name]) < err / 10, `${name}: the bf16 result equals the float32 one`);
      }
      // Where no key is visible (Tq > Tk, causal), the row's lse is −∞ and its output zeros.
      for (let i = 0; i < want.lse.length; i++) if (want.lse[i] === -Infinity) assert.equal(got.lse[i], -Infinity, `lse[${i}]`);
    });

  test('one key: the output is the rounded value row, dv the rounded output gradient, exactly', () => {
    const g = new Gen(3), D = 40, H = 2, layout = contiguousLayout(H, 1, 1, 1, D);
    const q = g.normal(H * D), k = g.normal(D), v = g.normal(D), dout = g.normal(H * D);
    const out = new Float32Array(H * D), lse = new Float32Array(H), dq = new Float32Array(H * D), dk = new Float32Array(D), dv = new Float32Array(D);
    const be = native();
    be.attentionForward(out, lse, q, k, v, null, [0, 0, 0, 0], 1, H, 1, 1, 1, D, 0.3, true, layout, 0, 0, true);
    const rv = roundToBf16(v);
    assert.deepEqual(out, Float32Array.from({ length: H * D }, (_, i) => rv[i % D]!));
    assert.notDeepEqual(out.subarray(0, D), v, 'v is not a bfloat16 row: its rounding must show');
    be.attentionBackward(dq, dk, dv, dout, out, lse, q, k, v, null, [0, 0, 0, 0], 1, H, 1, 1, 1, D, 0.3, true, layout, 0, 0, true);
    // P = 1 for both heads: dv = bf16(dout₀) + bf16(dout₁), a float32 sum.
    const rd = roundToBf16(dout);
    assert.deepEqual(dv, Float32Array.from({ length: D }, (_, d) => rd[d]! + rd[D + d]!));
  });

  test('a left-padded row equals the row alone bit for bit', () => {
    const g = new Gen(21), be = native(), H = 4, Hkv = 2, D = 64, T = 150;
    const q0 = g.normal(H * T * D), k0 = g.normal(Hkv * T * D), v0 = g.normal(Hkv * T * D);
    const alone = { out: new Float32Array(H * T * D), lse: new Float32Array(H * T) };
    be.attentionForward(alone.out, alone.lse, q0, k0, v0, null, [0, 0, 0, 0], 1, H, Hkv, T, T, D, 0.125, true, contiguousLayout(H, Hkv, T, T, D), 0, 0, true);
    for (const P of [5, 64, 70]) {
      const Tp = T + P, pad = (x: Float32Array, heads: number): Float32Array => {
        const y = g.normal(heads * Tp * D);
        for (let h = 0; h < heads; h++) y.set(x.subarray(h * T * D, (h + 1) * T * D), (h * Tp + P) * D);
        return y;
      };
      const keyMask = new Float32Array(Tp).fill(-Infinity, 0, P);
      const out = new Float32Array(H * Tp * D), lse = new Float32Array(H * Tp);
      be.attentionForward(out, lse, pad(q0, H), pad(k0, Hkv), pad(v0, Hkv), keyMask, [0, 0, 0, 1], 1, H, Hkv, Tp, Tp, D, 0.125, true,
        contiguousLayout(H, Hkv, Tp, Tp, D), 0, 0, true);
      for (let h = 0; h < H; h++) {
        assert.deepEqual(out.subarray((h * Tp + P) * D, (h + 1) * Tp * D), alone.out.subarray(h * T * D, (h + 1) * T * D), `padding ${P}, head ${h}`);
        assert.deepEqual(lse.subarray(h * Tp + P, (h + 1) * Tp), alone.lse.subarray(h * T, (h + 1) * T), `padding ${P}, head ${h}: lse`);
      }
    }
  });

  test('ops attention() hands the permission to the forward and to the backward', () => {
    const g = new Gen(9), B = 1, H = 4, Hkv = 2, T = 70, D = 32;
    const q0 = g.normal(B * H * T * D), k0 = g.normal(B * Hkv * T * D), v0 = g.normal(B * Hkv * T * D), w = g.normal(B * H * T * D);
    const viaOps = (bf16: boolean): Float32Array[] => {
      const [q, k, v] = [new Tensor(q0.slice(), [B, H, T, D]), new Tensor(k0.slice(), [B, Hkv, T, D]), new Tensor(v0.slice(), [B, Hkv, T, D])];
      for (const t of [q, k, v]) t.requiresGrad = true;
      const o = attention(q, k, v, { bf16 });
      backward(sum(mul(o, new Tensor(w, o.shape))));
      return [o.f32, q.grad!.f32, k.grad!.f32, v.grad!.f32];
    };
    // The kernels called directly with bf16 on both passes: what the op must give, bit for bit.
    const be = native(), layout = contiguousLayout(H, Hkv, T, T, D), args = [B, H, Hkv, T, T, D, 1 / Math.sqrt(D), true, layout, 0, 0, true] as const;
    const out = new Float32Array(q0.length), lse = new Float32Array(B * H * T);
    const dq = new Float32Array(q0.length), dk = new Float32Array(k0.length), dv = new Float32Array(v0.length);
    be.attentionForward(out, lse, q0, k0, v0, null, [0, 0, 0, 0], ...args);
    be.attentionBackward(dq, dk, dv, w, out, lse, q0, k0, v0, null, [0, 0, 0, 0], ...args);
    const got = viaOps(true), exact = viaOps(false);
    [out, dq, dk, dv].forEach((want, i) => {
      assert.deepEqual(got[i], want, `${['out', 'dq', 'dk', 'dv'][i]} through attention({ bf16: true })`);
      assert.notDeepEqual(exact[i], want, `${['out', 'dq', 'dk', 'dv'][i]}: bf16 false must give the float32 numbers`);
    });
  });

  test('with AMX switched off the permission changes nothing: the float32 numbers bit for bit', () => {
    if (!st.ok) return;
    const c = CASES[1]!, exact = run(native(), c, 5, false);
    st.native.setAmx(false);
    let off: Result;
    try { off = run(native(), c, 5, true); } finally { st.native.setAmx(true); }
    for (const name of ['out', 'lse', 'dq', 'dk', 'dv'] as const) assert.deepEqual(off[name], exact[name], name);
  });
});
