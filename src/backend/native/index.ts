// The native backend: the C++ kernels of native/ behind the same Backend interface as the JS
// reference, plus controls the interface does not have (SIMD path, thread count) for the
// conformance suite and the benchmarks.
import type { Backend } from '../kernels.js';
import { loadAddon } from './load.js';

/** Every kernel of the Backend interface; the check below fails to compile if one is missing. */
const KERNELS = [
  'matmul', 'matmulHalf', 'matmulInt8', 'unaryForward', 'unaryBackward', 'geluForward', 'geluBackward', 'siluForward', 'siluBackward', 'gluForward', 'gluBackward', 'roundRowsBf16',
  'binaryForward', 'binaryBackward', 'sumForward', 'sumBackward', 'maxForward', 'maxBackward',
  'softmaxForward', 'softmaxBackward', 'logSoftmaxForward', 'logSoftmaxBackward',
  'layerNormForward', 'layerNormBackward', 'rmsNormForward', 'rmsNormBackward',
  'embeddingForward', 'embeddingBackward', 'embeddingForwardHalf', 'crossEntropyForward', 'crossEntropyBackward', 'crossEntropyFused',
  'attentionForward', 'attentionBackward', 'attentionDecodeHalf', 'stridedCopy', 'stridedScatter', 'rotaryForward', 'rotaryBackward', 'whereForward', 'whereBackward',
  'sumSquares', 'scaleInPlace', 'adamwUpdate', 'matmulBias', 'matmulScaledAdd', 'matmulBf16Dot',
  'greedyRows', 'softmaxSums', 'inverseCdf',
] as const satisfies readonly (keyof Backend)[];
type Missing = Exclude<keyof Backend, 'name' | (typeof KERNELS)[number]>;
const allKernelsListed: [Missing] extends [never] ? true : Missing = true;
void allKernelsListed;

export type Isa = 'generic' | 'avx2' | 'avx512';

export interface NativeConfig {
  /** The SIMD path in use. */
  isa: Isa;
  /** The widest path this CPU supports (picked at load with __builtin_cpu_supports). */
  bestIsa: Isa;
  /** Threads the big kernels use, the caller included (ALIGNKIT_THREADS, else the cores). */
  threads: number;
  /** Whether matmulBf16Dot runs vdpbf16ps (AVX-512 BF16 present and the avx512 path in use), else its scalar loop. */
  bf16Dot: boolean;
  /** Whether matmulBf16Dot runs on AMX tiles (AMX-BF16 present, granted by the OS, and not switched off with setAmx). */
  amx: boolean;
}

/**
 * One Llama-layout decoder layer of a decoding step in one call (native/kernels/decode-layer.cc;
 * its arguments are listed in native/binding.cc), for src/model/sampling/decode/fused.ts.
 */
export type DecodeLayerFn = (...args: (Float32Array | Uint16Array | number | number[] | null)[]) => void;

type Addon = Omit<Backend, 'name'> & {
  config(): NativeConfig;
  setIsa(isa: Isa): Isa;
  setAmx(on: boolean): boolean;
  setThreads(n: number): number;
  decodeLayer?: DecodeLayerFn;
};

export interface Native {
  backend: Backend;
  config(): NativeConfig;
  /** Lowers the SIMD path (never past bestIsa) for every later call; returns the one in force. */
  setIsa(isa: Isa): Isa;
  /** Lets matmulBf16Dot use AMX tiles where the CPU has them (the default) or not; returns config().amx. */
  setAmx(on: boolean): boolean;
  setThreads(n: number): number;
  /** null when the addon predates it. */
  decodeLayer: DecodeLayerFn | null;
}

let cached: { ok: true; native: Native } | { ok: false; reason: string } | undefined;

/** Loads the addon once; later calls return the same result. */
export function loadNative(): { ok: true; native: Native } | { ok: false; reason: string } {
  if (cached) return cached;
  const r = loadAddon<Addon>();
  if (!r.ok) return (cached = r);
  const missing = KERNELS.filter((k) => typeof r.addon[k] !== 'function');
  if (missing.length) {
    return (cached = { ok: false, reason: `${r.path} is stale (no ${missing.join(', ')}); rebuild it with "npx node-gyp rebuild"` });
  }
  const backend = { name: 'native' } as Record<string, unknown>;
  for (const k of KERNELS) backend[k] = r.addon[k];
  const a = r.addon;
  return (cached = {
    ok: true,
    native: {
      backend: backend as unknown as Backend,
      config: () => a.config(),
      setIsa: (isa) => a.setIsa(isa),
      setAmx: (on) => (typeof a.setAmx === 'function' ? a.setAmx(on) : false),
      setThreads: (n) => a.setThreads(n),
      decodeLayer: typeof a.decodeLayer === 'function' ? a.decodeLayer : null,
    },
  });
}
