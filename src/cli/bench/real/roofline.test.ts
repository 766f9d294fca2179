// The roofline's arithmetic (issue 20): parameters and bytes per decoded token from the config,
// checked against the published parameter counts of the two real models and against the tensor
// shapes the loader expects; the triad's GB/s, and the triad harness itself where cc is there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { expectedShapes, fromHfConfig } from '../../../model/index.js';
import { packageRoot } from '../../../backend/native/load.js';
import { tempDir } from '../../../io/temp-dir.test.js';
import { bytesPerToken, rooflineBandwidth, rooflineFraction, triadGbPerS, WEIGHT_BYTES } from './roofline.js';
import { paramsOf, REAL_SHAPES, realCase } from './shapes.js';

test('parameters of C and D are the published counts of SmolLM2-135M and Qwen2.5-0.5B, and what the loader expects', () => {
  // From the models' safetensors on the Hub: 134,515,008 and 494,032,768 (tied heads counted once).
  assert.equal(paramsOf(REAL_SHAPES.C), 134_515_008);
  assert.equal(paramsOf(REAL_SHAPES.D), 494_032_768);
  for (const raw of [REAL_SHAPES.C, REAL_SHAPES.D, realCase('D', true).raw, { ...REAL_SHAPES.C, tie_word_embeddings: false }]) {
    const shapes = expectedShapes(fromHfConfig(raw, 'config.json').config);
    const total = [...shapes.values()].reduce((s, sh) => s + sh.reduce((a, d) => a * d, 1), 0);
    assert.equal(paramsOf(raw), total, JSON.stringify(raw));
  }
});

test('bytes per decoded token: every matrix and the head once, norms and biases float32, no embedding rows', () => {
  // C by hand: 30 × (576·576 + 2·576·192 + 576·576 + 3·576·1536) + 49,152·576 = 134,479,872 matrix
  // weights; norms 30·2·576 + 576 = 35,136 floats. A head counted twice (tied embedding read again
  // as the input matrix) would add 28,311,552 weights.
  assert.equal(bytesPerToken(REAL_SHAPES.C, 'bf16'), 134_479_872 * 2 + 35_136 * 4);
  assert.equal(bytesPerToken(REAL_SHAPES.C, 'float32'), 134_479_872 * 4 + 35_136 * 4);
  // D: 24 × (896·896 + 2·896·128 + 896·896 + 3·896·4864) + 151,936·896 = 493,961,216; norms and q/k/v biases 24·(2·896 + 896 + 2·128) + 896.
  assert.equal(bytesPerToken(REAL_SHAPES.D, 'bf16'), 493_961_216 * 2 + 71_552 * 4);
  assert.equal(bytesPerToken(REAL_SHAPES.D, 'q8_0'), 493_961_216 * (34 / 32) + 71_552 * 4);
  // Untied: the head is its own matrix, read once; the input embedding is still only looked up.
  assert.equal(bytesPerToken({ ...REAL_SHAPES.C, tie_word_embeddings: false }, 'bf16'), bytesPerToken(REAL_SHAPES.C, 'bf16'));
  // Every weight but the embedding's: the parameter count minus V·h (tied) at 2 bytes, vectors at 4.
  assert.equal(bytesPerToken(REAL_SHAPES.C, 'bf16') - 35_136 * 2, 2 * paramsOf(REAL_SHAPES.C));
  assert.equal(WEIGHT_BYTES.q8_0, 1.0625);
});

test('the triad moves three arrays a pass, and a decoding rate is its share of bytes/s', () => {
  assert.equal(triadGbPerS(33_554_432, 8, 0.05), (3 * 33_554_432 * 8) / 0.05 / 1e9);
  assert.ok(Math.abs(triadGbPerS(1e9 / 24, 8, 1) - 1) < 1e-12);
  // 269.1 MB a token at 50 tokens/s is 13.46 GB/s: 67.3% of a 20 GB/s roof.
  assert.ok(Math.abs(rooflineFraction(50, 269_100_288, 20)! - 0.6727507) < 1e-6);
  assert.equal(rooflineFraction(null, 1, 20), null);
  assert.equal(rooflineFraction(50, 1, null), null);
});

test('the rooflines take the higher of the triads around the batch-1 lines, else the opening one', () => {
  assert.equal(rooflineBandwidth({ before: 31.5, after: 44.0 }, 37.1), 44.0);
  assert.equal(rooflineBandwidth({ before: 46.0, after: 40.0 }, 37.1), 46.0);
  assert.equal(rooflineBandwidth({ before: null, after: 40.0 }, 50.0), 40.0); // the nearer measure, even when lower
  assert.equal(rooflineBandwidth({ before: null, after: null }, 37.1), 37.1);
  assert.equal(rooflineBandwidth({ before: null, after: null }, null), null);
});

test('the triad harness computes a[i] = b[i] + 3·c[i] over the whole buffer and times it', (t) => {
  const src = join(packageRoot(), 'bench', 'stream-triad.c'), exe = join(tempDir('alignkit-triad-'), 'triad');
  const cc = spawnSync('cc', ['-O2', src, '-o', exe, '-lpthread'], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0 || !existsSync(exe)) { t.skip(`no C compiler to build the triad (${cc.error?.message ?? cc.stderr})`); return; }
  const r = spawnSync(exe, ['2', '4', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [n, s, ok] = r.stdout.trim().split(' ').map(Number);
  assert.deepEqual([n, ok], [(4 << 20) / 8, 1]);
  assert.ok(s! > 0);
  assert.notEqual(spawnSync(exe, ['0', '4', '2'], { encoding: 'utf8' }).status, 0, 'no threads is refused');
});
