import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
  const r = spawnSync(process.execPath, [main, 'bench', '--configs', 'A,E'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--configs: "E" is not a config; expected A, B, C or D/);
});

test('alignkit bench rejects an unknown C/D line by name', () => {
  const r = spawnSync(process.execPath, [main, 'bench', '--configs', 'C', '--lines', 'lora,decode'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--lines: "decode" is not a line; expected generate, lora or full/);
});

// Config C's paths at --quick size (2 layers, vocabulary 4,096, 8 new tokens): the checkpoint is
// written, loaded and removed; every alignkit line gives a figure, every peer null with the reason.
test('alignkit bench --quick --configs C --no-peers --json: the C rows, the triad, the targets, peers null', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alignkit-bench-c-'));
  const r = spawnSync(process.execPath, [main, 'bench', '--quick', '--configs', 'C', '--no-peers', '--json', '--quiet'], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, TMPDIR: tmp } });
  const left = readdirSync(tmp);
  rmSync(tmp, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(left, [], 'the checkpoint and the harnesses are removed');
  const res = JSON.parse(r.stdout) as { train: unknown[]; generate: unknown[]; real: { bandwidth: { gb_s: number | null; note: string | null }; configs: { config: string; rows: Record<string, unknown>[]; bytes_per_token: Record<string, number>; bandwidth_gb_s: { before: number | null; after: number | null } }[]; targets: { met: boolean | null; value: number | null }[] } };
  assert.deepEqual([res.train, res.generate], [[], []], 'no toy configs asked for');
  if (res.real.bandwidth.gb_s === null) assert.match(res.real.bandwidth.note!, /triad/);
  else assert.ok(res.real.bandwidth.gb_s > 0);
  const [c] = res.real.configs;
  assert.equal(c!.config, 'C');
  const line = (x: Record<string, unknown>): string => `${x['line']} ${x['batch']} ${x['contender']}${x['attn'] ? ` ${x['attn']}` : ''} ${x['dtype']}`;
  assert.deepEqual(c!.rows.map(line), [
    'generate 1 alignkit bf16', 'generate 1 alignkit float32', 'generate 1 transformers eager float32', 'generate 1 transformers sdpa float32', 'generate 1 transformers sdpa bf16',
    'generate 1 llama.cpp bf16', 'generate 1 llama.cpp q8_0',
    'generate 4 alignkit bf16', 'generate 4 alignkit float32', 'generate 4 alignkit bf16-compute', 'generate 4 transformers eager float32', 'generate 4 transformers sdpa float32', 'generate 4 transformers sdpa bf16',
    'lora 1 alignkit float32', 'lora 1 alignkit bf16-compute', 'lora 1 transformers eager float32', 'lora 1 transformers sdpa float32',
    'lora 1 transformers eager bf16-autocast', 'lora 1 transformers sdpa bf16-autocast', 'full 1 alignkit float32', 'full 1 transformers eager float32',
  ]);
  for (const x of c!.rows) {
    if (x['contender'] === 'alignkit') {
      assert.ok(typeof x['tok_s'] === 'number' && x['tok_s'] > 0 && typeof x['rss_mb'] === 'number', line(x));
      if (x['batch'] === 1 && x['line'] === 'generate' && res.real.bandwidth.gb_s !== null) assert.ok((x['roofline'] as number) > 0, line(x));
    } else assert.deepEqual([x['tok_s'], x['rss_mb'], x['error']], [null, null, 'peers disabled (--no-peers)'], line(x));
  }
  if (res.real.bandwidth.gb_s !== null) {
    // The rooflines against the higher of the triads run right around the batch-1 lines.
    const { before, after } = c!.bandwidth_gb_s, bf16 = c!.rows.find((x) => line(x) === 'generate 1 alignkit bf16')!;
    assert.ok(before! > 0 && after! > 0, JSON.stringify(c!.bandwidth_gb_s));
    const want = ((bf16['tok_s'] as number) * c!.bytes_per_token['bf16']!) / (Math.max(before!, after!) * 1e9);
    assert.ok(Math.abs((bf16['roofline'] as number) - want) < 1e-12, `${bf16['roofline']} vs ${want}`);
  }
  assert.equal(res.real.targets.length, 5);
  assert.deepEqual(res.real.targets.slice(1).map((t) => t.met), [null, null, null, null], 'no verdict without the peer');
});

// A PyTorch on the reference BLAS (issue 16: 6 GFLOP/s, and the bench printed "31× faster than
// PyTorch"), played by a fake interpreter that answers the bench's peer protocol. Its matmul is
// made slower still, 0.5 GFLOP/s, so that it fails the check however busy the machine that
// measures the FMA peak beside it.
test('alignkit bench measures the peer\'s own matmul and prints no ratio against a PyTorch that is not on an optimised BLAS', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alignkit-bench-peer-'));
  const py = join(tmp, 'python3');
  writeFileSync(py, `#!${process.execPath}
const [a, b] = process.argv.slice(2);
const out = (v) => console.log(JSON.stringify({ ...v, rss_mb: 100, cpu_s: 0.01, threads: 1 }));
if (a === '-c') { console.log(JSON.stringify({ version: '1.13.1', config: 'Build settings: BLAS_INFO=open, BUILD_TYPE=Release' })); process.exit(0); }
const task = JSON.parse(b);
if (task.kind === 'matmul') out({ points: task.sizes.map((n) => ({ n, gflops: 0.5 })) });
else if (task.kind === 'train') out({ tok_s: 1000, ms_per_step: 2048 });
else out({ tok_s: 500, ms_per_call: 20 });
`);
  chmodSync(py, 0o755);
  const r = spawnSync(process.execPath, [main, 'bench', '--quick', '--json', '--configs', 'A', '--python', py, '--quiet'], { encoding: 'utf8', timeout: 600_000 });
  rmSync(tmp, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { machine: Record<string, unknown>; train: Record<string, unknown>[]; generate: Record<string, unknown>[]; matmul: Record<string, unknown>[]; notes: string[] };
  assert.deepEqual([res.machine['pytorch'], res.machine['pytorch_blas'], res.machine['pytorch_matmul_gflops'], res.machine['pytorch_trusted']], ['1.13.1', 'open', 0.5, false]);
  assert.equal(res.train[0]!['pytorch_tok_s'], 1000, "the peer's figure is still shown");
  assert.equal(res.train[0]!['ratio_pytorch'], null, 'but no ratio is printed against it');
  assert.equal(res.generate[0]!['ratio_pytorch'], null);
  const why = res.notes.find((n) => n.includes('not on an optimised BLAS'));
  assert.ok(why, res.notes.join('\n'));
  assert.match(why, /^PyTorch 1\.13\.1 \(.*python3, BLAS_INFO=open\) multiplies 1024×1024 matrices at 0\.5 GFLOP\/s, .*Fix: python3 -m venv .*pip install torch/);
  assert.ok(res.notes.some((n) => /PyTorch 1\.13\.1 .* is old, likely Debian's python3-torch; for a current one: python3 -m venv/.test(n)));
  if (res.machine['openblas'] === 'pytorch') assert.ok(res.matmul.every((m) => m['ratio'] === null), 'nor against its BLAS on the matmul line');
});
