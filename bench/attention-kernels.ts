// The attention kernels issue 20's configs lean on, timed alone (median of reps, one process):
// - a batch-32 decoding step's attention at C's and D's shapes (Tk cached keys): the float32 path
//   the exact default runs (two batched products, scale, mask, softmax: steps.ts attend) against
//   attentionDecodeHalf over a bfloat16 cache, each with one layer's cache ("hot") and with 30
//   layers' caches cycled ("DRAM"), as a step meets them;
// - the training attention's forward and backward at 512 tokens (the LoRA step), with the native
//   backend's threads and with one, and with the bf16 permission where the CPU has AMX tiles.
//   node dist/bench/attention-kernels.js [Tk=128]
import { backend, nativeStatus } from '../src/backend/index.js';

const Tk = Number(process.argv[2] ?? 128);
if (!(Number.isInteger(Tk) && Tk >= 1)) throw new Error(`attention-kernels: Tk is ${process.argv[2]}; expected a positive integer`);
const be = backend(), median = (a: number[]): number => a.slice().sort((p, q) => p - q)[a.length >> 1]!;
const time = (reps: number, f: (r: number) => void): number => {
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    f(r);
    ms.push(performance.now() - t);
  }
  return median(ms.slice(Math.min(3, reps - 1)));
};
const shapes = { C: { H: 9, Hkv: 3 }, D: { H: 14, Hkv: 2 } };

console.log(`decoding attention, batch 32, ${Tk} keys, D 64 (ms a call)`);
for (const [name, { H, Hkv }] of Object.entries(shapes)) {
  const B = 32, D = 64, cap = 2 * Tk, g = H / Hkv, layers = 30;
  const q = new Float32Array(B * H * D).map((_, i) => Math.sin(i)), o = new Float32Array(B * H * D);
  const mask = new Float32Array(B * Tk), s = new Float32Array(B * H * Tk), p = new Float32Array(B * H * Tk);
  const f32 = Array.from({ length: layers }, (_, l) => [0, 1].map((x) => new Float32Array(B * Hkv * cap * D).map((_, i) => Math.sin(i * 0.3 + l + x))));
  const u16 = Array.from({ length: layers }, (_, l) => [0, 1].map((x) => new Uint16Array(B * Hkv * cap * D).map((_, i) => 0x3e00 + ((i * 7 + l + x) % 400))));
  const float32 = (kf: Float32Array, vf: Float32Array): void => {
    const rowMajor = [H * Tk, Tk, Tk, 1], shape = [B, H, 1, Tk];
    be.matmul(s, q, kf, B * Hkv, g, Tk, D, false, true, g * D, cap * D, g * Tk, false);
    be.binaryForward('mul', s, s, rowMajor, Float32Array.of(1 / 8), [0, 0, 0, 0], shape);
    be.binaryForward('add', s, s, rowMajor, mask, [Tk, 0, 0, 1], shape);
    be.softmaxForward(p, s, B * H, Tk);
    be.matmul(o, p, vf, B * Hkv, g, D, Tk, false, false, g * Tk, cap * D, g * D, false);
  };
  const half = (k: Uint16Array, v: Uint16Array): void => be.attentionDecodeHalf(o, q, k, v, mask, [Tk, 0, 1], B, H, Hkv, cap, Tk, D, 1 / 8, 0, 0);
  const cells: string[] = [];
  for (const hot of [true, false]) {
    const at = (r: number): number => (hot ? 0 : r % layers), reps = hot ? 60 : 4 * layers;
    cells.push(`${hot ? 'hot' : 'DRAM'}: float32 ${time(reps, (r) => float32(f32[at(r)]![0]!, f32[at(r)]![1]!)).toFixed(3)}, ` +
      `bf16 ${time(reps, (r) => half(u16[at(r)]![0]!, u16[at(r)]![1]!)).toFixed(3)}`);
  }
  console.log(`  ${name} (${H} heads on ${Hkv}): ${cells.join('; ')}`);
}

const st = nativeStatus(), threads = st.ok ? st.native.config().threads : 1;
console.log(`training attention, 512 tokens, D 64, causal (ms a call; ${threads} threads, then 1)`);
for (const [name, { H, Hkv }] of Object.entries(shapes)) {
  const T = 512, D = 64, f = (n: number): Float32Array => new Float32Array(n).map((_, i) => Math.sin(i * 0.37));
  const q = f(H * T * D), k = f(Hkv * T * D), v = f(Hkv * T * D), dout = f(H * T * D);
  const out = new Float32Array(H * T * D), lse = new Float32Array(H * T);
  const dq = new Float32Array(H * T * D), dk = new Float32Array(Hkv * T * D), dv = new Float32Array(Hkv * T * D);
  const layout = [H * T * D, T * D, D, Hkv * T * D, T * D, D, Hkv * T * D, T * D, D, H * T * D, T * D, D];
  const run = (bf16 = false): string => {
    const fw = time(9, () => be.attentionForward(out, lse, q, k, v, null, [0, 0, 0, 0], 1, H, Hkv, T, T, D, 0.125, true, layout, 0, 0, bf16));
    const bw = time(9, () => be.attentionBackward(dq, dk, dv, dout, out, lse, q, k, v, null, [0, 0, 0, 0], 1, H, Hkv, T, T, D, 0.125, true, layout, 0, 0, bf16));
    return `forward ${fw.toFixed(2)}, backward ${bw.toFixed(2)}`;
  };
  const many = run();
  let one = '';
  if (st.ok) {
    st.native.setThreads(1);
    try { one = run(); } finally { st.native.setThreads(threads); }
  }
  console.log(`  ${name} (${H} heads on ${Hkv}): ${many}${one ? `; one thread: ${one}` : ''}`);
  // The bf16 permission (a model's bf16Compute): products on AMX tiles where the CPU has them.
  if (st.ok && st.native.config().amx) console.log(`  ${name}, bf16 (AMX tiles): ${run(true)}`);
}
