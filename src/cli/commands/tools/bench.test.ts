import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const main = fileURLToPath(new URL('../../main.js', import.meta.url));

// The shape of `alignkit bench --json`, not its timings: those are figures for a person to read.
test('alignkit bench --quick --json --no-peers prints one object with every section, peers null', () => {
  // A temporary folder of its own, to check that the compiled harnesses do not outlive the run.
  const tmp = mkdtempSync(join(tmpdir(), 'alignkit-bench-test-'));
  const r = spawnSync(process.execPath, [main, 'bench', '--quick', '--json', '--no-peers', '--quiet'], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, TMPDIR: tmp } });
  const left = readdirSync(tmp);
  rmSync(tmp, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(left, [], 'bench removes its temporary folder');
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on one line');
  const res = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(res).filter((k) => k !== 'notes').sort(), ['generate', 'machine', 'matmul', 'settings', 'train']);
  assert.equal(typeof res['machine'], 'object');
  assert.equal((res['settings'] as { quick: boolean }).quick, true);
  const positive = (v: unknown, what: string): void => assert.ok(typeof v === 'number' && v > 0, `${what} is ${String(v)}`);

  const matmul = res['matmul'] as Record<string, unknown>[];
  assert.deepEqual(matmul.map((m) => m['n']), [256, 512, 1024, 2048]);
  for (const m of matmul) {
    positive(m['alignkit_gflops'], `matmul ${m['n']} alignkit_gflops`);
    assert.equal(m['openblas_gflops'], null);
  }
  const train = res['train'] as Record<string, unknown>[];
  assert.deepEqual(train.map((t) => t['config']), ['A', 'B']);
  for (const t of train) {
    positive(t['alignkit_tok_s'], `train ${t['config']} alignkit_tok_s`);
    positive(t['alignkit_rss_mb'], `train ${t['config']} alignkit_rss_mb`);
    for (const k of ['pytorch_tok_s', 'tfjs_tok_s', 'pytorch_rss_mb']) assert.equal(t[k], null, `${k} without peers`);
  }
  const gen = res['generate'] as Record<string, unknown>[];
  assert.deepEqual(gen.map((g) => [g['config'], g['batch']]), [['A', 1], ['B', 32]]);
  for (const g of gen) {
    positive(g['alignkit_tok_s'], `generate ${g['config']} alignkit_tok_s`);
    assert.equal(g['pytorch_tok_s'], null);
  }
});

test('alignkit bench rejects an unknown config by name', () => {
  const r = spawnSync(process.execPath, [main, 'bench', '--configs', 'C'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--configs: "C" is not a config/);
});
