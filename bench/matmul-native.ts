// sgemm GFLOP/s of the native backend next to OpenBLAS and the machine's FMA peak: square
// n×n·n×n at n = 256, 512, 1024, 2048 and every transpose case at 1024. The two C harnesses
// beside this file are compiled on the fly (OpenBLAS only when libopenblas-dev is installed).
// Each point is the best of several rounds that alternate alignkit and OpenBLAS, so that load
// from other processes hits both alike. Not a test: it prints.
//   npm run build && node dist/bench/matmul-native.js [--sizes 256,512] [--threads 1] [--rounds 5]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeStatus } from '../src/backend/index.js';
import { packageRoot } from '../src/backend/native/load.js';

const arg = (name: string): string | undefined => {
  const k = process.argv.indexOf(`--${name}`);
  return k > 0 ? process.argv[k + 1] : undefined;
};
const sizes = (arg('sizes') ?? '256,512,1024,2048').split(',').map(Number);
const rounds = Number(arg('rounds') ?? 5);
const MS = 200;  // per round and side; many short rounds catch the quiet moments of a shared machine

const status = nativeStatus();
if (!status.ok) {
  console.error(`matmul-native: the native backend is not available (${status.reason})`);
  process.exit(1);
}
const nat = status.native;
if (arg('threads')) nat.setThreads(Number(arg('threads')));
const threads = nat.config().threads;
const avx512 = nat.config().bestIsa === 'avx512' || /\bavx512f\b/.test(readCpuinfo());

function readCpuinfo(): string {
  try { return readFileSync('/proc/cpuinfo', 'utf8'); } catch { return ''; }
}

/** Compiles one harness; returns its path, or why it could not be built. */
function compile(cc: string, src: string, out: string, libs: string[]): { ok: true; exe: string } | { ok: false; why: string } {
  const exe = join(dir, out);
  const r = spawnSync(cc, ['-O2', join(packageRoot(), 'bench', src), '-o', exe, ...libs], { encoding: 'utf8' });
  if (r.error) return { ok: false, why: `${cc} not found` };
  if (r.status !== 0) return { ok: false, why: (r.stderr.split('\n').find((l) => /error/.test(l)) ?? r.stderr).trim() };
  return { ok: true, exe };
}

const dir = mkdtempSync(join(tmpdir(), 'alignkit-bench-'));
const blas = compile('cc', 'matmul-native-openblas.c', 'openblas-sgemm', ['-lopenblas']);
const peakExe = compile('c++', 'matmul-native-peak.cc', 'fma-peak', ['-lpthread']);
// OpenBLAS picks slow kernels on AMD Zen with AVX-512 unless told the core type (DESIGN.md).
const blasEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), ...(avx512 ? { OPENBLAS_CORETYPE: 'SkylakeX' } : {}) };

function alignkit(n: number, tA: boolean, tB: boolean, a: Float32Array, b: Float32Array, c: Float32Array): number {
  const run = () => nat.backend.matmul(c, a, b, 1, n, n, n, tA, tB, 0, 0, 0, false);
  run();
  let best = Infinity;
  const start = performance.now();
  do {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  } while (performance.now() - start < MS);
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

function openblas(n: number, tA: boolean, tB: boolean): number {
  if (!blas.ok) return NaN;
  const r = spawnSync(blas.exe, [String(n), tA ? '1' : '0', tB ? '1' : '0', String(MS)], { env: blasEnv, encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : NaN;
}

const cfg = nat.config();
console.log(`alignkit native sgemm (${cfg.isa}, ${threads} thread${threads === 1 ? '' : 's'}) vs OpenBLAS; GFLOP/s = 2n³/s, best of ${rounds} rounds`);
if (peakExe.ok) {
  const p = spawnSync(peakExe.exe, [String(threads), '500'], { encoding: 'utf8' }).stdout.trim().split(' ');
  console.log(`FMA peak (${threads} thread${threads === 1 ? '' : 's'}, ${p[1]}): ${p[0]} GFLOP/s`);
} else console.log(`FMA peak: not measured (${peakExe.why})`);
if (!blas.ok) console.log(`OpenBLAS: skipped, its harness did not build (${blas.why}); apt-get install libopenblas-dev`);
else console.log(`OpenBLAS: ${threads} thread${threads === 1 ? '' : 's'}${avx512 ? ', OPENBLAS_CORETYPE=SkylakeX' : ''}`);

const points: [number, boolean, boolean][] = sizes.map((n) => [n, false, false]);
if (sizes.includes(1024)) points.push([1024, true, false], [1024, false, true], [1024, true, true]);
const name = (tA: boolean, tB: boolean): string => `${tA ? 'Aᵀ' : 'A'}·${tB ? 'Bᵀ' : 'B'}`;
console.log(`${'n'.padStart(5)} ${'case'.padEnd(6)} ${'alignkit'.padStart(9)} ${'OpenBLAS'.padStart(9)} ${'ratio'.padStart(6)}`);
const ratios: number[] = [];
for (const [n, tA, tB] of points) {
  const a = Float32Array.from({ length: n * n }, () => Math.random() - 0.5);
  const b = Float32Array.from({ length: n * n }, () => Math.random() - 0.5);
  const c = new Float32Array(n * n);
  let ours = 0, theirs = 0;
  for (let r = 0; r < rounds; r++) {
    ours = Math.max(ours, alignkit(n, tA, tB, a, b, c));
    theirs = Math.max(theirs, openblas(n, tA, tB));
  }
  const ratio = ours / theirs;
  if (Number.isFinite(ratio)) ratios.push(ratio);
  console.log(`${String(n).padStart(5)} ${name(tA, tB).padEnd(6)} ${ours.toFixed(1).padStart(9)} ` +
    `${Number.isNaN(theirs) ? '-'.padStart(9) : theirs.toFixed(1).padStart(9)} ${Number.isFinite(ratio) ? ratio.toFixed(2).padStart(6) : '-'.padStart(6)}`);
}
if (ratios.length) {
  const at1024 = ratios[sizes.indexOf(1024)];
  console.log(`ratio alignkit/OpenBLAS: min ${Math.min(...ratios).toFixed(2)}, geometric mean ` +
    `${Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length).toFixed(2)}` +
    (at1024 !== undefined ? `, n=1024 A·B ${at1024.toFixed(2)}` : ''));
}
