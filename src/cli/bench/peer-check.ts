// Which PyTorch `alignkit bench` compares against, and whether its figures can stand beside
// alignkit's (issue 16: on a fresh machine the bench ran Debian's PyTorch 1.13 on the reference
// BLAS, 6 GFLOP/s, and printed "31× faster than PyTorch"). A peer is trusted only when its own
// sgemm, measured in the same run, reaches a share of the machine's FMA peak that only an
// optimised BLAS reaches; otherwise its figures are shown but no ratio is printed, and a note
// says why and how to install a peer that is.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { probe } from './children.js';

/**
 * An optimised sgemm (OpenBLAS, MKL, oneDNN) runs at half the FMA peak or more at n = 1024; the
 * reference BLAS compiled from netlib's Fortran, at a few percent. A fifth separates the two with
 * room for a busy machine.
 */
export const MIN_PEAK_SHARE = 0.2;
/** Without a measured peak: a core with AVX2 FMA does tens of GFLOP/s in an optimised sgemm, the reference BLAS a few. */
export const MIN_GFLOPS_PER_THREAD = 10;

export const INSTALL_TORCH = 'python3 -m venv ~/.venvs/torch && ~/.venvs/torch/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu, '
  + 'then run the bench with ALIGNKIT_PYTHON=~/.venvs/torch/bin/python (or --python ~/.venvs/torch/bin/python)';

export interface TorchFound { python: string; version: string; blas: string | null; script: string; note: string | null }
export type TorchSearch = ({ ok: true } & TorchFound) | { ok: false; why: string };

// Prints the version and the BLAS torch was built with; any torch has __config__.show().
const PROBE = 'import json, torch\ntry:\n    cfg = torch.__config__.show()\nexcept Exception:\n    cfg = ""\nprint(json.dumps({"version": torch.__version__, "config": cfg}))';

/** torch's version and BLAS_INFO under interpreter `py`, or null when it has no torch. */
export function probeTorch(py: string, env: NodeJS.ProcessEnv): { version: string; blas: string | null } | null {
  const out = probe(py, ['-c', PROBE], env);
  if (out === null) return null;
  try {
    const v = JSON.parse(out.split('\n').pop()!) as { version: string; config: string };
    return { version: v.version, blas: /BLAS_INFO=([^,\s]+)/.exec(v.config)?.[1] ?? null };
  } catch {
    return null;
  }
}

/** "2.13.0+cpu" → [2, 13, 0]. */
const versionOf = (v: string): number[] => v.split(/[.+]/).slice(0, 3).map((x) => Number.parseInt(x, 10) || 0);
const newer = (a: string, b: string): boolean => {
  const [x, y] = [versionOf(a), versionOf(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! > y[i]!;
  return false;
};

/** Where to look when neither --python nor ALIGNKIT_PYTHON says: an active venv, python3 on PATH, Debian's. */
export function defaultPythons(env: NodeJS.ProcessEnv): string[] {
  return [...new Set([...(env.VIRTUAL_ENV ? [join(env.VIRTUAL_ENV, 'bin', 'python')] : []), 'python3', '/usr/bin/python3'])];
}

/**
 * The PyTorch to compare against: `python` (--python) or ALIGNKIT_PYTHON when given, else the
 * newest torch among `candidates`, so that a pip install of torch 2.x in a venv wins over Debian's
 * python3-torch 1.13. A 1.x torch is used but noted, with how to install a current one.
 */
export function findTorch(script: string, env: NodeJS.ProcessEnv, python?: string, candidates = defaultPythons(env)): TorchSearch {
  if (!existsSync(script)) return { ok: false, why: `${script} is not in this installation` };
  const given = python ?? env.ALIGNKIT_PYTHON;
  const pythons = given ? [given] : candidates;
  let best: TorchFound | null = null;
  for (const py of pythons) {
    const t = probeTorch(py, env);
    if (t && (best === null || newer(t.version, best.version))) best = { python: py, version: t.version, blas: t.blas, script, note: null };
  }
  if (!best) {
    const where = given ? `${given} (${python ? '--python' : 'ALIGNKIT_PYTHON'})` : pythons.join(', ');
    return { ok: false, why: `no torch in ${where}; to compare against PyTorch: ${INSTALL_TORCH}` };
  }
  if (versionOf(best.version)[0]! < 2) best.note = `PyTorch ${best.version} (${best.python}) is old, likely Debian's python3-torch; for a current one: ${INSTALL_TORCH}`;
  return { ok: true, ...best };
}

export interface BlasVerdict {
  /** Whether ratios against this peer are printed. */
  ok: boolean;
  /** The peer's own sgemm at n = `n`, GFLOP/s (null when it could not be measured). */
  gflops: number | null;
  n: number;
  /** Why no ratio is printed, and how to fix it; null when ok. */
  why: string | null;
}

/** Whether a peer whose sgemm runs at `gflops` is on an optimised BLAS, judged against the FMA peak (or per thread without one). */
export function judgeBlas(peer: string, gflops: number | null, n: number, peak: number | null, threads: number, fix: string): BlasVerdict {
  if (gflops === null) return { ok: false, gflops, n, why: `${peer}: its own matmul could not be measured, so its figures cannot be checked; no ratio is printed against it` };
  const floor = peak !== null ? MIN_PEAK_SHARE * peak : MIN_GFLOPS_PER_THREAD * threads;
  if (gflops >= floor) return { ok: true, gflops, n, why: null };
  const against = peak !== null ? `${((100 * gflops) / peak).toFixed(0)}% of this machine's FMA peak (${peak.toFixed(1)} GFLOP/s)` : `under ${MIN_GFLOPS_PER_THREAD} GFLOP/s per thread`;
  return {
    ok: false, gflops, n,
    why: `${peer} multiplies ${n}×${n} matrices at ${gflops.toFixed(1)} GFLOP/s, ${against}: it is not on an optimised BLAS (the reference BLAS runs at a few percent of the peak), `
      + `so no ratio is printed against it. Fix: ${fix}`,
  };
}
