// Sliding-window attention, forward + backward, on the native backend: the window inside the
// kernels (AttentionOptions.window, blocks outside it skipped) against the same window as an
// additive (1, 1, T, T) mask over causal attention (what the model did before, see
// src/model/window-mask.ts), and plain causal attention, uncapped and soft-capped, for scale. Each figure is the best of
// several rounds that alternate the variants, so that load from other processes hits all alike.
// Not a test: it prints.
//   npx tsc -p tsconfig.json && node dist/bench/attention-window.js [--T 2048] [--window 256] [--rounds 5]
import { contiguousLayout, getBackend, nativeStatus } from '../src/backend/index.js';
import { Rng } from '../src/tensor/index.js';
import { windowMask } from '../src/model/window-mask.js';

const arg = (name: string, d: number): number => {
  const k = process.argv.indexOf(`--${name}`);
  return k > 0 ? Number(process.argv[k + 1]) : d;
};
const T = arg('T', 2048), W = arg('window', 256), rounds = arg('rounds', 5);
const B = 1, H = 8, Hkv = 4, D = 64;
const status = nativeStatus();
if (!status.ok) {
  console.error(`attention-window: the native backend is not available (${status.reason})`);
  process.exit(1);
}
const be = getBackend('native'), threads = status.native.config().threads;
const rng = new Rng(1);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const [q, k, v, dout] = [randn(B * H * T * D), randn(B * Hkv * T * D), randn(B * Hkv * T * D), randn(B * H * T * D)];
const out = new Float32Array(B * H * T * D), lse = new Float32Array(B * H * T);
const dq = new Float32Array(q.length), dk = new Float32Array(k.length), dv = new Float32Array(v.length);
const layout = contiguousLayout(H, Hkv, T, T, D), scale = 1 / Math.sqrt(D);
let t0 = performance.now();
const mask = windowMask(undefined, B, T, 0, W).f32;
const maskMs = performance.now() - t0;
const maskStrides = [0, 0, T, 1];

type Variant = { name: string; mask: Float32Array | null; window: number; softcap?: number };
const variants: Variant[] = [
  { name: `kernel window ${W}`, mask: null, window: W },
  { name: `additive (1, 1, ${T}, ${T}) mask`, mask, window: 0 },
  { name: 'causal, no window', mask: null, window: 0 },
  { name: 'causal, soft-cap 50 (Gemma 2)', mask: null, window: 0, softcap: 50 },
];
const best = variants.map(() => ({ fwd: Infinity, bwd: Infinity }));
for (let r = 0; r < rounds; r++) {
  for (const [i, x] of variants.entries()) {
    const ms = x.mask ? maskStrides : [];
    t0 = performance.now();
    be.attentionForward(out, lse, q, k, v, x.mask, ms, B, H, Hkv, T, T, D, scale, true, layout, x.softcap ?? 0, x.window);
    const t1 = performance.now();
    be.attentionBackward(dq, dk, dv, dout, out, lse, q, k, v, x.mask, ms, B, H, Hkv, T, T, D, scale, true, layout, x.softcap ?? 0, x.window);
    const t2 = performance.now();
    best[i] = { fwd: Math.min(best[i]!.fwd, t1 - t0), bwd: Math.min(best[i]!.bwd, t2 - t1) };
  }
}
console.log(`attention B=${B} H=${H} Hkv=${Hkv} T=${T} D=${D}, ${threads} threads, best of ${rounds}`);
for (const [i, x] of variants.entries()) {
  const b = best[i]!;
  console.log(`${x.name.padEnd(34)} forward ${b.fwd.toFixed(1).padStart(7)} ms  backward ${b.bwd.toFixed(1).padStart(7)} ms  total ${(b.fwd + b.bwd).toFixed(1).padStart(7)} ms`);
}
const [kw, am] = [best[0]!, best[1]!];
console.log(`additive mask / kernel window: ${((am.fwd + am.bwd) / (kw.fwd + kw.bwd)).toFixed(2)}× (building the mask once: ${maskMs.toFixed(1)} ms, ${(mask.length * 4 / 2 ** 20).toFixed(0)} MiB)`);
