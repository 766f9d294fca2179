// The peers `alignkit bench` compares against, found on this machine or reported missing with
// the reason: PyTorch (peer-check.ts says which), TensorFlow.js with its wasm backend (dev dependencies),
// OpenBLAS through a small C harness (libopenblas-dev) or else through PyTorch, and the FMA peak
// harness. The C harnesses are the ones bench/matmul-native.ts uses, compiled on the fly.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../backend/native/load.js';
import { findTorch, type TorchSearch } from './peer-check.js';

export type Found<T> = { ok: true } & T | { ok: false; why: string };

export interface Peers {
  /** PyTorch, and the interpreter it runs under (peer-check.ts: --python, ALIGNKIT_PYTHON or the newest found). */
  torch: TorchSearch;
  tfjs: Found<{ script: string; version: string }>;
  /** OpenBLAS sgemm: the C harness, or torch.mm when only PyTorch is there. */
  openblas: Found<{ via: 'c-harness'; exe: string } | { via: 'pytorch' }>;
  peak: Found<{ exe: string }>;
  /** The memory-bandwidth triad of configs C and D (bench/stream-triad.c). */
  triad: Found<{ exe: string }>;
  /** Environment for every peer process (thread counts, OPENBLAS_CORETYPE, OMP_WAIT_POLICY). */
  env: NodeJS.ProcessEnv;
  /** The temporary folder of the compiled harnesses; removeHarnesses deletes it after the run. */
  dir: string;
}

/** Deletes the compiled harnesses once the benchmark no longer needs them. */
export function removeHarnesses(peers: Pick<Peers, 'dir'>): void {
  rmSync(peers.dir, { recursive: true, force: true });
}

export function hasAvx512(): boolean {
  try {
    return /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

export function peerEnv(threads: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BENCH_THREADS: String(threads), OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads),
    // Idle OpenMP workers sleep instead of spinning, so they do not steal the cores from whoever
    // runs next on a shared machine (and the peer is not charged for spinning).
    OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
    // OpenBLAS picks slow kernels on AMD Zen with AVX-512 unless told the core type.
    ...(hasAvx512() && !process.env.OPENBLAS_CORETYPE ? { OPENBLAS_CORETYPE: 'SkylakeX' } : {}),
  };
}

function compile(dir: string, cc: string, src: string, out: string, libs: string[]): Found<{ exe: string }> {
  const file = join(packageRoot(), 'bench', src);
  if (!existsSync(file)) return { ok: false, why: `${file} is not in this installation` };
  const exe = join(dir, out);
  const r = spawnSync(cc, ['-O2', file, '-o', exe, ...libs], { encoding: 'utf8' });
  if (r.error) return { ok: false, why: `${cc} not found` };
  if (r.status !== 0) return { ok: false, why: (r.stderr.split('\n').find((l) => /error/.test(l)) ?? r.stderr).trim() };
  return { ok: true, exe };
}

function findTfjs(): Peers['tfjs'] {
  const script = join(packageRoot(), 'bench', 'peers', 'tfjs-gpt.mjs');
  if (!existsSync(script)) return { ok: false, why: `${script} is not in this installation` };
  try {
    const req = createRequire(join(packageRoot(), 'package.json'));
    req.resolve('@tensorflow/tfjs-backend-wasm');
    const pkg = JSON.parse(readFileSync(req.resolve('@tensorflow/tfjs/package.json'), 'utf8')) as { version: string };
    return { ok: true, script, version: pkg.version };
  } catch {
    return { ok: false, why: '@tensorflow/tfjs and @tensorflow/tfjs-backend-wasm are not installed (dev dependencies: npm install --include=dev)' };
  }
}

export function findPeers(opts: { peers: boolean; threads: number; python?: string; triad?: boolean }): Peers {
  const env = peerEnv(opts.threads);
  const dir = mkdtempSync(join(tmpdir(), 'alignkit-bench-'));
  const peak = compile(dir, 'c++', 'matmul-native-peak.cc', 'fma-peak', ['-lpthread']);
  const triad = opts.triad ? compile(dir, 'cc', 'stream-triad.c', 'stream-triad', ['-lpthread']) : { ok: false as const, why: 'configs C and D not run' };
  if (!opts.peers) {
    const off = { ok: false as const, why: 'peers disabled (--no-peers)' };
    return { torch: off, tfjs: off, openblas: off, peak, triad, env, dir };
  }
  const torch = findTorch(join(packageRoot(), 'bench', 'peers', 'torch-gpt.py'), env, opts.python);
  const harness = compile(dir, 'cc', 'matmul-native-openblas.c', 'openblas-sgemm', ['-lopenblas']);
  const openblas: Peers['openblas'] = harness.ok ? { ok: true, via: 'c-harness', exe: harness.exe }
    : torch.ok ? { ok: true, via: 'pytorch' }
    : { ok: false, why: `no C harness (${harness.why}; apt-get install libopenblas-dev) and no PyTorch` };
  return { torch, tfjs: findTfjs(), openblas, peak, triad, env, dir };
}
