// Which PyTorch the bench compares against, and when it refuses to print a ratio (issue 16). The
// interpreters here are fakes: scripts that answer the version probe as a python with torch would.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { findTorch, INSTALL_TORCH, judgeBlas, MIN_PEAK_SHARE } from './peer-check.js';

const dir = tempDir('alignkit-peer-check-');
const script = join(dir, 'torch-gpt.py');
writeFileSync(script, '# the peer script; only its presence matters here\n');

/** An executable that answers `-c <probe>` as a python with this torch would, or fails as one without. */
function fakePython(name: string, version: string | null, blas = 'mkl'): string {
  const p = join(dir, name);
  const answer = version === null ? 'process.exit(1);' : `console.log(JSON.stringify({ version: ${JSON.stringify(version)}, config: 'Build settings: BLAS_INFO=${blas}, BUILD_TYPE=Release' }));`;
  writeFileSync(p, `#!${process.execPath}\n${answer}\n`);
  chmodSync(p, 0o755);
  return p;
}

const debian = fakePython('debian-python3', '1.13.1', 'open');
const venv = fakePython('venv-python', '2.5.1+cpu');
const bare = fakePython('bare-python', null);
const env = { PATH: process.env.PATH } as NodeJS.ProcessEnv;

test('the newest torch among the interpreters wins, so a pip-installed 2.x is preferred over Debian\'s 1.13', () => {
  const t = findTorch(script, env, undefined, [debian, bare, venv]);
  assert.ok(t.ok);
  assert.deepEqual([t.python, t.version, t.blas, t.note], [venv, '2.5.1+cpu', 'mkl', null]);
  const old = findTorch(script, env, undefined, [bare, debian]);
  assert.ok(old.ok);
  assert.equal(old.blas, 'open');
  assert.equal(old.note, `PyTorch 1.13.1 (${debian}) is old, likely Debian's python3-torch; for a current one: ${INSTALL_TORCH}`);
});

test('--python, else ALIGNKIT_PYTHON, is used alone; one without torch is an error that says how to install it', () => {
  const t = findTorch(script, { ...env, ALIGNKIT_PYTHON: debian }, undefined, [venv]);
  assert.ok(t.ok && t.python === debian, 'ALIGNKIT_PYTHON is taken as given, even when older');
  const p = findTorch(script, { ...env, ALIGNKIT_PYTHON: debian }, venv, [debian]);
  assert.ok(p.ok && p.python === venv, '--python over ALIGNKIT_PYTHON');
  const none = findTorch(script, env, bare, [venv]);
  assert.ok(!none.ok);
  assert.equal(none.why, `no torch in ${bare} (--python); to compare against PyTorch: ${INSTALL_TORCH}`);
  const envNone = findTorch(script, { ...env, ALIGNKIT_PYTHON: bare }, undefined, [venv]);
  assert.ok(!envNone.ok && envNone.why.includes('(ALIGNKIT_PYTHON)'));
  assert.ok(!findTorch(join(dir, 'missing.py'), env, venv).ok);
});

test('a peer is trusted at a fifth of the FMA peak or more; below, the ratio is refused with the reason and the fix', () => {
  assert.equal(MIN_PEAK_SHARE, 0.2);
  assert.deepEqual(judgeBlas('PyTorch', 120, 1024, 200, 2, 'fix it'), { ok: true, gflops: 120, n: 1024, why: null });
  const slow = judgeBlas('PyTorch 1.13.1 (/usr/bin/python3, BLAS_INFO=open)', 6.1, 1024, 206, 2, 'fix it');
  assert.equal(slow.ok, false);
  assert.equal(slow.why, 'PyTorch 1.13.1 (/usr/bin/python3, BLAS_INFO=open) multiplies 1024×1024 matrices at 6.1 GFLOP/s, 3% of this machine\'s FMA peak (206.0 GFLOP/s): '
    + 'it is not on an optimised BLAS (the reference BLAS runs at a few percent of the peak), so no ratio is printed against it. Fix: fix it');
  // Without a measured peak, ten GFLOP/s a thread.
  assert.equal(judgeBlas('p', 15, 1024, null, 2, '').ok, false);
  assert.equal(judgeBlas('p', 25, 1024, null, 2, '').ok, true);
  assert.match(judgeBlas('p', null, 1024, 200, 2, '').why!, /could not be measured/);
});
