// The ops under gradient check, each with shapes that include broadcasting and size-1 axes.
import * as ak from '../../src/index.js';
import type { GradCase } from './harness.js';
import { bcastIndex, elementwise, matmulRef, reduceAxes, rows, softmaxRow, stridesOf, unravel } from './ref.js';

const GELU_S = Math.sqrt(2 / Math.PI);
const unaryCases: [string, (x: ak.Tensor) => ak.Tensor, (v: number) => number, 'float' | 'pos'][] = [
  ['neg', ak.neg, (v) => -v, 'float'],
  ['exp', ak.exp, Math.exp, 'float'],
  ['log', ak.log, Math.log, 'pos'],
  ['sqrt', ak.sqrt, Math.sqrt, 'pos'],
  ['tanh', ak.tanh, Math.tanh, 'float'],
  ['relu', ak.relu, (v) => Math.max(v, 0), 'float'],
  ['gelu', ak.gelu, (v) => 0.5 * v * (1 + Math.tanh(GELU_S * (v + 0.044715 * v ** 3))), 'float'],
  ['silu', ak.silu, (v) => v / (1 + Math.exp(-v)), 'float'],
  ['pow 3', (x) => ak.pow(x, 3), (v) => v ** 3, 'float'],
  ['pow -1.5', (x) => ak.pow(x, -1.5), (v) => v ** -1.5, 'pos'],
];

const binaryFns = { add: (a: number, b: number) => a + b, sub: (a: number, b: number) => a - b, mul: (a: number, b: number) => a * b, div: (a: number, b: number) => a / b };
const binaryShapes: [number[], number[]][] = [[[3, 4], [3, 4]], [[2, 3, 4], [4]], [[2, 1, 4], [3, 1]], [[1], [2, 3]], [[2, 3], []]];

function binaryCases(): GradCase[] {
  const out: GradCase[] = [];
  for (const [op, f] of Object.entries(binaryFns)) {
    for (const [sa, sb] of binaryShapes) {
      out.push({
        name: `${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
        inputs: [{ shape: sa }, { shape: sb, kind: op === 'div' ? 'pos' : 'float' }],
        run: ([a, b]) => (ak as unknown as Record<string, (a: ak.Tensor, b: ak.Tensor) => ak.Tensor>)[op]!(a!, b!),
        ref: ([a, b]) => elementwise([sa, sb], [a!, b!], f),
      });
    }
  }
  return out;
}

function matmulCases(): GradCase[] {
  const cfgs: [number[], number[], boolean, boolean][] = [
    [[3, 4], [4, 5], false, false], [[4, 3], [4, 5], true, false], [[3, 4], [5, 4], false, true], [[4, 3], [5, 4], true, true],
    [[2, 3, 4], [2, 4, 2], false, false], [[2, 3, 4], [4, 5], false, false], [[2, 1, 3, 4], [3, 5, 4], false, true], [[1, 1], [1, 1], false, false],
  ];
  const plain: GradCase[] = cfgs.map(([sa, sb, tA, tB]) => ({
    name: `matmul ${JSON.stringify(sa)}${tA ? 'ᵀ' : ''} · ${JSON.stringify(sb)}${tB ? 'ᵀ' : ''}`,
    inputs: [{ shape: sa }, { shape: sb }],
    run: ([a, b]) => ak.matmul(a!, b!, { transA: tA, transB: tB }),
    ref: ([a, b]) => matmulRef(a!, sa, b!, sb, tA, tB),
  }));
  // The fused bias of a linear layer: (…, K)·W(ᵀ) + bias, with the leading axes folded.
  const biased: [number[], number[], boolean][] = [[[2, 3, 4], [5, 4], true], [[3, 4], [4, 5], false]];
  return plain.concat(biased.map(([sa, sb, tB]): GradCase => ({
    name: `matmul ${JSON.stringify(sa)} · ${JSON.stringify(sb)}${tB ? 'ᵀ' : ''} + bias`,
    inputs: [{ shape: sa }, { shape: sb }, { shape: [tB ? sb[0]! : sb[1]!] }],
    run: ([a, b, c]) => ak.matmul(a!, b!, { transB: tB, bias: c! }),
    ref: ([a, b, c]) => matmulRef(a!, sa, b!, sb, false, tB).map((v, i) => v + c![i % c!.length]!),
  })));
}

function reduceCases(): GradCase[] {
  const shape = [2, 3, 4];
  const cfgs: [string, number[] | undefined, boolean][] = [['all', undefined, false], ['axis 1', [1], false], ['axes 0,2 keepdim', [0, 2], true], ['axis -1', [-1], true]];
  const out: GradCase[] = [];
  for (const [label, axes, keep] of cfgs) {
    const ax = axes ? axes.map((a) => (a < 0 ? a + 3 : a)) : [0, 1, 2];
    out.push({ name: `sum ${label}`, inputs: [{ shape }], run: ([x]) => ak.sum(x!, axes, keep), ref: ([x]) => reduceAxes(x!, shape, ax, (v) => v.reduce((a, b) => a + b, 0)) });
    out.push({ name: `mean ${label}`, inputs: [{ shape }], run: ([x]) => ak.mean(x!, axes, keep), ref: ([x]) => reduceAxes(x!, shape, ax, (v) => v.reduce((a, b) => a + b, 0) / v.length) });
    out.push({ name: `max ${label}`, inputs: [{ shape }], run: ([x]) => ak.max(x!, axes, keep), ref: ([x]) => reduceAxes(x!, shape, ax, (v) => Math.max(...v)) });
  }
  out.push({ name: 'sum over a size-1 axis', inputs: [{ shape: [3, 1, 2] }], run: ([x]) => ak.sum(x!, 1), ref: ([x]) => x!.slice() });
  return out;
}

function softmaxCases(): GradCase[] {
  return [[5], [2, 3, 7], [4, 1]].flatMap((shape) => [
    { name: `softmax ${JSON.stringify(shape)}`, inputs: [{ shape }], run: ([x]: ak.Tensor[]) => ak.softmax(x!), ref: ([x]: Float64Array[]) => rows(x!, shape.at(-1)!, softmaxRow) },
    { name: `logSoftmax ${JSON.stringify(shape)}`, inputs: [{ shape }], run: ([x]: ak.Tensor[]) => ak.logSoftmax(x!), ref: ([x]: Float64Array[]) => rows(x!, shape.at(-1)!, (r) => softmaxRow(r).map(Math.log)) },
  ]);
}

function layerNormRef(x: Float64Array, w: Float64Array, b: Float64Array | null, C: number, eps: number): Float64Array {
  return rows(x, C, (r) => {
    const m = r.reduce((a, v) => a + v, 0) / C;
    const v = r.reduce((a, q) => a + (q - m) ** 2, 0) / C;
    return r.map((q, c) => ((q - m) / Math.sqrt(v + eps)) * w[c]! + (b ? b[c]! : 0));
  });
}

function normCases(): GradCase[] {
  return [
    { name: 'layerNorm with bias', inputs: [{ shape: [2, 3, 5] }, { shape: [5] }, { shape: [5] }], run: ([x, w, b]) => ak.layerNorm(x!, w!, b!), ref: ([x, w, b]) => layerNormRef(x!, w!, b!, 5, 1e-5) },
    { name: 'layerNorm without bias', inputs: [{ shape: [4, 6] }, { shape: [6] }], run: ([x, w]) => ak.layerNorm(x!, w!, null), ref: ([x, w]) => layerNormRef(x!, w!, null, 6, 1e-5) },
    { name: 'layerNorm C=1', inputs: [{ shape: [3, 1] }, { shape: [1] }, { shape: [1] }], run: ([x, w, b]) => ak.layerNorm(x!, w!, b!, 1e-3), ref: ([x, w, b]) => layerNormRef(x!, w!, b!, 1, 1e-3) },
    {
      name: 'rmsNorm', inputs: [{ shape: [2, 3, 5] }, { shape: [5] }], run: ([x, w]) => ak.rmsNorm(x!, w!),
      ref: ([x, w]) => rows(x!, 5, (r) => { const s = 1 / Math.sqrt(r.reduce((a, v) => a + v * v, 0) / 5 + 1e-6); return r.map((v, c) => v * s * w![c]!); }),
    },
  ];
}

function indexCases(): GradCase[] {
  const ceRef = (lg: Float64Array, t: Float64Array, V: number, ignore: number, red: 'none' | 'mean' | 'sum'): Float64Array => {
    const losses = Array.from(t, (tv, n) => {
      if (tv === ignore) return 0;
      const r = Array.from(lg.subarray(n * V, n * V + V));
      const m = Math.max(...r);
      return m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0)) - r[tv]!;
    });
    const count = Array.from(t).filter((v) => v !== ignore).length;
    const total = losses.reduce((a, b) => a + b, 0);
    return red === 'none' ? Float64Array.from(losses) : Float64Array.of(red === 'sum' ? total : total / count);
  };
  const ceCase = (red: 'none' | 'mean' | 'sum'): GradCase => ({
    name: `crossEntropy reduction=${red} with ignored targets`,
    inputs: [{ shape: [2, 3, 5] }, { shape: [2, 3], kind: 'ids', max: 6 }],
    // id 5 stands for "ignore" so that ignored positions are exercised.
    run: ([lg, t]) => ak.crossEntropy(lg!, ak.tensor(t!.i32.map((v) => (v === 5 ? -100 : v)), t!.shape), { reduction: red }),
    ref: ([lg, t]) => ceRef(lg!, t!.map((v) => (v === 5 ? -100 : v)), 5, -100, red),
  });
  return [
    {
      name: 'embedding with repeated ids', inputs: [{ shape: [6, 3] }, { shape: [2, 4], kind: 'ids', max: 6 }],
      run: ([tb, ids]) => ak.embedding(tb!, ids!),
      ref: ([tb, ids]) => Float64Array.from(Array.from(ids!).flatMap((id) => Array.from(tb!.subarray(id * 3, id * 3 + 3)))),
    },
    ceCase('none'), ceCase('mean'), ceCase('sum'),
    // The chunked LM head + cross-entropy: 2-row chunks over 6 rows, τ = 0.7, ignored targets.
    {
      name: 'lmHeadCrossEntropy in chunks of 2 rows, temperature 0.7',
      inputs: [{ shape: [2, 3, 4] }, { shape: [5, 4] }, { shape: [2, 3], kind: 'ids', max: 6 }],
      run: ([h, w, t]) => ak.lmHeadCrossEntropy(h!, w!, ak.tensor(t!.i32.map((v) => (v === 5 ? -100 : v)), t!.shape), { temperature: 0.7, chunkRows: 2 }),
      ref: ([h, w, t]) => ceRef(matmulRef(h!, [6, 4], w!, [5, 4], false, true).map((v) => v / 0.7), t!.map((v) => (v === 5 ? -100 : v)), 5, -100, 'none'),
    },
  ];
}

function permuteRef(x: Float64Array, shape: number[], perm: number[]): Float64Array {
  const out = perm.map((p) => shape[p]!);
  const st = stridesOf(shape);
  return Float64Array.from({ length: x.length }, (_, i) => {
    const idx = unravel(i, out);
    return x[idx.reduce((a, v, k) => a + v * st[perm[k]!]!, 0)]!;
  });
}

function shapeCases(): GradCase[] {
  return [
    { name: 'reshape with -1', inputs: [{ shape: [2, 6] }], run: ([x]) => ak.reshape(x!, [3, -1, 2]), ref: ([x]) => x!.slice() },
    { name: 'transpose last two', inputs: [{ shape: [2, 3, 4] }], run: ([x]) => ak.transpose(x!), ref: ([x]) => permuteRef(x!, [2, 3, 4], [0, 2, 1]) },
    { name: 'permute [2,0,1]', inputs: [{ shape: [2, 3, 4] }], run: ([x]) => ak.permute(x!, [2, 0, 1]), ref: ([x]) => permuteRef(x!, [2, 3, 4], [2, 0, 1]) },
    {
      name: 'slice axis 1 [1,3)', inputs: [{ shape: [2, 4, 3] }], run: ([x]) => ak.slice(x!, 1, 1, 3),
      ref: ([x]) => Float64Array.from({ length: 12 }, (_, i) => { const [a, b, c] = unravel(i, [2, 2, 3]); return x![a! * 12 + (b! + 1) * 3 + c!]!; }),
    },
    {
      // Heads of a fused (B=2, T=3, 3C=6) projection with H=2, D=1: k, from channel 2.
      name: 'stridedView: heads (B, H, T, D) out of (B, T, 3C)', inputs: [{ shape: [2, 3, 6] }],
      run: ([x]) => ak.stridedView(x!, [2, 2, 3, 1], [18, 1, 6, 1], 2),
      ref: ([x]) => Float64Array.from({ length: 12 }, (_, i) => { const [b, h, t] = unravel(i, [2, 2, 3, 1]); return x![b! * 18 + t! * 6 + 2 + h!]!; }),
    },
    {
      name: 'concat axis 1', inputs: [{ shape: [2, 1, 3] }, { shape: [2, 2, 3] }], run: ([a, b]) => ak.concat([a!, b!], 1),
      ref: ([a, b]) => Float64Array.from({ length: 18 }, (_, i) => { const [p, q, r] = unravel(i, [2, 3, 3]); return q === 0 ? a![p! * 3 + r!]! : b![p! * 6 + (q! - 1) * 3 + r!]!; }),
    },
    {
      name: 'where with broadcast cond', inputs: [{ shape: [3, 1], kind: 'mask', noGrad: true }, { shape: [3, 4] }, { shape: [4] }],
      run: ([c, a, b]) => ak.where(c!, a!, b!), ref: ([c, a, b]) => elementwise([[3, 1], [3, 4], [4]], [c!, a!, b!], (cv, av, bv) => (cv !== 0 ? av : bv)),
    },
    {
      name: 'maskedFill', inputs: [{ shape: [2, 3] }, { shape: [2, 3], kind: 'mask', noGrad: true }],
      run: ([x, m]) => ak.maskedFill(x!, m!, -7), ref: ([x, m]) => x!.map((v, i) => (m![i] !== 0 ? -7 : v)),
    },
    {
      name: 'dropout p=0.3 (training)', inputs: [{ shape: [4, 5] }],
      run: ([x]) => ak.dropout(x!, 0.3, true, new ak.Rng(99)),
      ref: ([x]) => { const r = new ak.Rng(99); return x!.map((v) => (r.uniform() < 0.3 ? 0 : v / 0.7)); },
    },
  ];
}

function attentionRef(q: Float64Array, k: Float64Array, v: Float64Array, mask: Float64Array | null, maskShape: number[],
  B: number, H: number, Hkv: number, Tq: number, Tk: number, D: number, causal: boolean, softcap = 0, window = 0): Float64Array {
  const out = new Float64Array(B * H * Tq * D);
  const scale = 1 / Math.sqrt(D);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Tq; i++) {
    const kh = Math.floor(h / (H / Hkv));
    const s: number[] = [];
    for (let j = 0; j < Tk; j++) {
      if (causal && j > i + Tk - Tq) { s.push(-Infinity); continue; }
      if (window && j <= i + Tk - Tq - window) { s.push(-Infinity); continue; }
      let d = 0;
      for (let e = 0; e < D; e++) d += q[((b * H + h) * Tq + i) * D + e]! * k[((b * Hkv + kh) * Tk + j) * D + e]!;
      const sc = softcap ? softcap * Math.tanh((d * scale) / softcap) : d * scale;
      s.push(sc + (mask ? mask[bcastIndex([b, h, i, j], maskShape)]! : 0));
    }
    const p = softmaxRow(s);
    for (let e = 0; e < D; e++) out[((b * H + h) * Tq + i) * D + e] = p.reduce((a, pj, j) => a + pj * v[((b * Hkv + kh) * Tk + j) * D + e]!, 0);
  }
  return out;
}

function attentionCases(): GradCase[] {
  const mk = (name: string, B: number, H: number, Hkv: number, Tq: number, Tk: number, D: number, causal: boolean, maskShape?: number[],
    softcap = 0, window = 0): GradCase => ({
    name,
    inputs: [{ shape: [B, H, Tq, D] }, { shape: [B, Hkv, Tk, D] }, { shape: [B, Hkv, Tk, D] }, ...(maskShape ? [{ shape: maskShape, noGrad: true }] : [])],
    run: ([q, k, v, m]) => ak.attention(q!, k!, v!, { causal, mask: m ?? null, softcap: softcap || null, window: window || null }),
    ref: ([q, k, v, m]) => attentionRef(q!, k!, v!, m ?? null, maskShape ?? [], B, H, Hkv, Tq, Tk, D, causal, softcap, window),
  });
  return [
    mk('attention causal', 2, 2, 2, 4, 4, 3, true),
    mk('attention non-causal', 1, 2, 2, 3, 5, 4, false),
    mk('attention causal with additive mask (B,1,1,Tk)', 2, 2, 2, 3, 3, 2, true, [2, 1, 1, 3]),
    mk('attention grouped-query H=4 Hkv=2', 1, 4, 2, 3, 3, 2, true),
    mk('attention decode Tq=2 < Tk=5', 1, 2, 1, 2, 5, 3, true),
    mk('attention T=1', 1, 1, 1, 1, 1, 2, true),
    // A cap of 1.5 keeps the scores in tanh's curved range, so a wrong 1 − tanh² shows.
    mk('attention soft-capped (Gemma 2), non-causal', 1, 2, 1, 3, 4, 3, false, undefined, 1.5),
    mk('attention window 2, causal', 1, 2, 2, 5, 5, 3, true, undefined, 0, 2),
    mk('attention window 3, Tq=2 < Tk=6, soft-capped, with mask', 2, 2, 1, 2, 6, 2, true, [2, 1, 1, 6], 1.5, 3),
    projection('projectionAttention on a fused qkv (B, T, 3·H·D + 2)', 2, 2, 2, 4, 3, true, true),
    projection('projectionAttention, q apart from kv, grouped-query H=4 Hkv=2', 1, 4, 2, 3, 2, false, false),
  ];
}

/** (B, heads, T, D) heads at channel c0 of a (B, T, W) projection, gathered packed. */
function headsOf(x: Float64Array, B: number, T: number, W: number, heads: number, D: number, c0: number): Float64Array {
  const out = new Float64Array(B * heads * T * D);
  for (let b = 0; b < B; b++) for (let h = 0; h < heads; h++) for (let t = 0; t < T; t++) for (let d = 0; d < D; d++)
    out[((b * heads + h) * T + t) * D + d] = x[(b * T + t) * W + c0 + h * D + d]!;
  return out;
}

/** (B, H, T, D) → (B, T, H·D). */
function merged(o: Float64Array, B: number, H: number, T: number, D: number): Float64Array {
  const out = new Float64Array(o.length);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let d = 0; d < D; d++)
    out[(b * T + t) * H * D + h * D + d] = o[((b * H + h) * T + t) * D + d]!;
  return out;
}

// projectionAttention reads heads in place, with channels left over around them (offset 1, and
// spare channels at the end) that must get a zero gradient.
function projection(name: string, B: number, H: number, Hkv: number, T: number, D: number, fused: boolean, causal: boolean): GradCase {
  const Wq = fused ? (H + 2 * Hkv) * D + 2 : H * D + 1, Wkv = fused ? Wq : 2 * Hkv * D + 2;
  const qc = 1, kc = fused ? 1 + H * D : 1, vc = kc + Hkv * D;
  return {
    name,
    inputs: fused ? [{ shape: [B, T, Wq] }] : [{ shape: [B, T, Wq] }, { shape: [B, T, Wkv] }],
    run: ([x, y]) => ak.projectionAttention({ of: x!, heads: H, channel: qc }, { of: y ?? x!, heads: Hkv, channel: kc },
      { of: y ?? x!, heads: Hkv, channel: vc }, D, { causal }),
    ref: ([x, y]) => {
      const kv = y ?? x!;
      const o = attentionRef(headsOf(x!, B, T, Wq, H, D, qc), headsOf(kv, B, T, Wkv, Hkv, D, kc), headsOf(kv, B, T, Wkv, Hkv, D, vc),
        null, [], B, H, Hkv, T, T, D, causal);
      return merged(o, B, H, T, D);
    },
  };
}

/**
 * Two residual blocks h + tanh(h·W) ⊙ h, each run through autograd's checkpoint: the recompute's
 * nested backward must give the gradients of the plain graph (the input, and the weights as the
 * blocks' parameters); with the input frozen the weights alone still train.
 */
function checkpointCases(): GradCase[] {
  const block = (h: ak.Tensor, w: ak.Tensor): ak.Tensor => ak.add(h, ak.mul(ak.tanh(ak.matmul(h, w)), h));
  const blockRef = (h: Float64Array, w: Float64Array): Float64Array => {
    const z = matmulRef(h, [2, 3], w, [3, 3], false, false);
    return h.map((v, i) => v + Math.tanh(z[i]!) * v);
  };
  const run = ([x, w1, w2]: ak.Tensor[]): ak.Tensor => {
    const h = ak.checkpoint(([a]) => block(a!, w1!), [x!], [w1!]);
    return ak.checkpoint(([a]) => block(a!, w2!), [h], [w2!]);
  };
  const ref = ([x, w1, w2]: Float64Array[]): Float64Array => blockRef(blockRef(x!, w1!), w2!);
  return [
    { name: 'checkpoint: two blocks', inputs: [{ shape: [2, 3] }, { shape: [3, 3] }, { shape: [3, 3] }], run, ref },
    { name: 'checkpoint: two blocks over a frozen input', inputs: [{ shape: [2, 3], noGrad: true }, { shape: [3, 3] }, { shape: [3, 3] }], run, ref },
  ];
}


/**
 * The fused ops (ops/fused): rotary from a (B, T, W) projection's heads in place and from a
 * contiguous (B, h, T, D), against x·cos + rotate_half(x)·sin in float64; SwiGLU and GeGLU against
 * act(gate)·up.
 */
function fusedCases(): GradCase[] {
  const B = 2, T = 3, D = 4, h = 2, W = 10, c0 = 1;
  const tables = (): [ak.Tensor, ak.Tensor] => {
    const cos = new Float32Array(B * T * D), sin = new Float32Array(B * T * D);
    for (let i = 0; i < cos.length; i++) { cos[i] = Math.cos(0.3 * i + 0.1); sin[i] = Math.sin(0.3 * i + 0.1); }
    return [ak.tensor(cos, [B, 1, T, D]), ak.tensor(sin, [B, 1, T, D])];
  };
  const [cos, sin] = tables();
  const rotRef = (at: (b: number, hh: number, t: number, d: number) => number): Float64Array => {
    const out = new Float64Array(B * h * T * D), half = D / 2;
    for (let b = 0, o = 0; b < B; b++) for (let hh = 0; hh < h; hh++) for (let t = 0; t < T; t++) for (let d = 0; d < D; d++, o++) {
      const r = (b * T + t) * D + d, rot = d < half ? -at(b, hh, t, d + half) : at(b, hh, t, d - half);
      out[o] = at(b, hh, t, d) * cos.f32[r]! + rot * sin.f32[r]!;
    }
    return out;
  };
  const gelu = (v: number): number => 0.5 * v * (1 + Math.tanh(GELU_S * (v + 0.044715 * v ** 3)));
  const silu = (v: number): number => v / (1 + Math.exp(-v));
  return [
    { name: 'rotary: heads in place in a projection', inputs: [{ shape: [B, T, W] }],
      run: ([x]) => ak.rotary(x!, cos, sin, ak.projectionHeads(x!, h, D, c0)),
      ref: ([x]) => rotRef((b, hh, t, d) => x![(b * T + t) * W + c0 + hh * D + d]!) },
    { name: 'rotary: contiguous heads', inputs: [{ shape: [B, h, T, D] }],
      run: ([x]) => ak.rotary(x!, cos, sin), ref: ([x]) => rotRef((b, hh, t, d) => x![((b * h + hh) * T + t) * D + d]!) },
    { name: 'swiglu', inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3, 4] }],
      run: ([g, u]) => ak.glu(g!, u!, 'silu'), ref: ([g, u]) => g!.map((v, i) => silu(v) * u![i]!) },
    { name: 'geglu', inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3, 4] }],
      run: ([g, u]) => ak.glu(g!, u!, 'gelu_tanh'), ref: ([g, u]) => g!.map((v, i) => gelu(v) * u![i]!) },
  ];
}

export const cases: GradCase[] = [
  ...unaryCases.map(([name, run, f, kind]): GradCase => ({
    name, inputs: [{ shape: [2, 3, 4], kind }], run: ([x]) => run(x!), ref: ([x]) => x!.map(f),
  })),
  ...binaryCases(), ...matmulCases(), ...reduceCases(), ...softmaxCases(), ...normCases(),
  ...indexCases(), ...shapeCases(), ...attentionCases(), ...checkpointCases(), ...fusedCases(),
];

