// Backend selection and fallback (src/backend/index.ts), each in a child process so that its
// environment decides: the default is native when the addon loads; a missing addon falls back to
// JS with one line on stderr; ALIGNKIT_BACKEND=js|native forces a choice. And the native
// binding's own argument checks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { contiguousLayout, nativeStatus } from '../../src/backend/index.js';
import { native, skipNative } from './harness.js';

const INDEX = fileURLToPath(new URL('../../src/backend/index.js', import.meta.url));

// Picks the backend by first use, multiplies [[1, 2], [3, 4]] by [[5, 6], [7, 8]] and prints both.
const SCRIPT = `
import { backend } from ${JSON.stringify(INDEX)};
const be = backend(), out = new Float32Array(4);
be.matmul(out, Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), 1, 2, 2, 2, false, false, 0, 0, 0, false);
backend();
console.log(JSON.stringify({ name: be.name, out: Array.from(out) }));
`;

function child(env: Record<string, string | undefined>): { status: number | null; stdout: string; stderr: string } {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.ALIGNKIT_BACKEND;
  delete e.ALIGNKIT_NATIVE_PATH;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) e[k] = v;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { env: e, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PRODUCT = [19, 22, 43, 50];

describe('backend selection', () => {
  test('a missing addon falls back to JS, says so in one line, and computes correctly', () => {
    const r = child({ ALIGNKIT_NATIVE_PATH: '/nonexistent/alignkit.node' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
    assert.match(lines[0]!, /^alignkit: native backend unavailable \(.*\/nonexistent\/alignkit\.node not found.*\); using the JS backend$/);
    assert.deepEqual(JSON.parse(r.stdout), { name: 'js', out: PRODUCT });
  });

  test('ALIGNKIT_BACKEND=native with no addon is an error that says why', () => {
    const r = child({ ALIGNKIT_BACKEND: 'native', ALIGNKIT_NATIVE_PATH: '/nonexistent/alignkit.node' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /alignkit: ALIGNKIT_BACKEND=native, but the native backend could not load \(.*not found/);
  });

  test('ALIGNKIT_BACKEND=js picks the reference, silently', () => {
    const r = child({ ALIGNKIT_BACKEND: 'js' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(JSON.parse(r.stdout), { name: 'js', out: PRODUCT });
  });

  test('an unknown ALIGNKIT_BACKEND is an error naming the value', () => {
    const r = child({ ALIGNKIT_BACKEND: 'cuda' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /ALIGNKIT_BACKEND is 'cuda', expected 'js' or 'native'/);
  });

  test('by default the native backend is chosen when it loads', { skip: skipNative }, () => {
    const r = child({});
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(JSON.parse(r.stdout), { name: 'native', out: PRODUCT });
    const s = child({ ALIGNKIT_BACKEND: 'native', ALIGNKIT_THREADS: '1' });
    assert.equal(s.status, 0, s.stderr);
    assert.deepEqual(JSON.parse(s.stdout), { name: 'native', out: PRODUCT });
  });
});

// In CI (and wherever ALIGNKIT_REQUIRE_NATIVE=1) a failed build must not pass as a skipped suite.
test('the native addon is built where it is required', { skip: process.env.CI !== 'true' && process.env.ALIGNKIT_REQUIRE_NATIVE !== '1' }, () => {
  assert.equal(skipNative, false, String(skipNative));
});

describe('native binding checks its arguments', { skip: skipNative }, () => {
  test('reports the SIMD path and thread count', (t) => {
    const s = nativeStatus();
    assert.ok(s.ok);
    const c = s.native.config();
    t.diagnostic(`native backend: isa ${c.isa} (best ${c.bestIsa}), ${c.threads} threads`);
    assert.ok(c.threads >= 1);
  });

  test('a short buffer is a RangeError naming the kernel and the argument', () => {
    assert.throws(() => native().geluForward(new Float32Array(4), new Float32Array(3), 4),
      /RangeError: geluForward: inp has 3 elements; the kernel reads \[0, 3\]/);
    assert.throws(() => native().matmul(new Float32Array(4), new Float32Array(4), new Float32Array(3), 1, 2, 2, 2, false, false, 0, 0, 0, false),
      /matmul: b has 3 elements/);
    assert.throws(() => native().stridedCopy(new Float32Array(6), new Float32Array(6), 1, [3, 1], [2, 3], false),
      /stridedCopy: inp has 6 elements; the kernel reads \[1, 6\]/);
  });

  test('a wrong type, an out-of-range id and a bad head count are errors too', () => {
    assert.throws(() => native().geluForward(new Float32Array(4), new Float64Array(4) as unknown as Float32Array, 4),
      /TypeError: geluForward: inp must be a Float32Array/);
    assert.throws(() => native().embeddingForward(new Float32Array(4), Int32Array.of(0, 2), new Float32Array(4), 2, 2),
      /embeddingForward: ids\[1\] is 2, outside \[0, 2\)/);
    const z = new Float32Array(64);
    assert.throws(() => native().attentionForward(z, z, z, z, z, null, [], 1, 3, 2, 1, 1, 1, 1, false, contiguousLayout(3, 2, 1, 1, 1)),
      /attentionForward: H must be a multiple of Hkv/);
    assert.throws(() => native().attentionForward(z, z, z, z, z, null, [], 1, 2, 2, 1, 1, 1, 1, false, [1, 1, 1]),
      /attentionForward: layout must hold 12 strides/);
    // Head rows 40 apart: four rows of two heads reach past a 64-element q.
    const wide = [160, 4, 40, ...contiguousLayout(2, 2, 4, 4, 4).slice(3)];
    assert.throws(() => native().attentionForward(z, z, z, z, z, null, [], 1, 2, 2, 4, 4, 4, 1, false, wide),
      /attentionForward: q has 64 elements; the kernel reads \[0, 127\]/);
    assert.throws(() => native().unaryForward('cube' as 'neg', z, z, 4, 0), /unaryForward: op is 'cube'/);
  });

  test('null is accepted exactly where a gradient may be skipped', () => {
    const z = new Float32Array(8);
    native().layerNormBackward(null, null, null, z, z, z, z, z, 2, 4);
    assert.throws(() => native().layerNormBackward(null, null, null, null as unknown as Float32Array, z, z, z, z, 2, 4),
      /layerNormBackward: dout must be a Float32Array/);
  });
});

// Loads the native backend (or not), then 6 times: a 48 MiB buffer, written whole, dropped, collected.
// Prints each round's minor page faults.
const FAULTS = `
import { nativeStatus } from ${JSON.stringify(INDEX)};
if (process.argv.includes('native')) nativeStatus();
const rounds = [];
for (let r = 0; r < 6; r++) {
  const f0 = process.resourceUsage().minorPageFault;
  let b = Buffer.allocUnsafeSlow(48 << 20);
  b.fill(1);
  b = null;
  globalThis.gc();
  // V8 may hand the freed backing store back on a background thread: let that finish.
  await new Promise((done) => setTimeout(done, 20));
  rounds.push(process.resourceUsage().minorPageFault - f0);
}
console.log(JSON.stringify(rounds));
`;

describe('the addon keeps freed memory for the next tensor', () => {
  const glibc = process.platform === 'linux' && (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
  const skip = skipNative || (glibc ? false : 'the allocator setting is glibc\'s (mallopt); this is not a glibc Linux');

  test('a 48 MiB buffer freed and allocated again is not faulted in again (12,288 pages a round otherwise)', { skip }, () => {
    const rounds = (mode: string): number[] => {
      const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', FAULTS, mode], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as number[];
    };
    const pages = (48 << 20) / 4096;
    // Without the addon every round maps fresh pages and faults them in (12,288 a round on a
    // 4 KiB-page kernel): printed beside the verdict as the control.
    const plain = rounds('js');
    const kept = rounds('native');
    // A round whose free came late (after the next allocation) maps afresh: at most one of rounds
    // 3-6 may; without the addon, every round does.
    const reused = kept.slice(2).filter((n) => n < pages / 4).length;
    assert.ok(reused >= 3, `with the addon loaded, ${reused} of rounds 3-6 reused the freed buffer's memory (pages faulted: ${kept.join(', ')}), expected at least 3; without the addon: ${plain.join(', ')}`);
  });
});
