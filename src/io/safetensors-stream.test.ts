// writeSafetensors streams tensor by tensor: writing a file adds no file-sized buffer to the
// process (a 135M model's Adam moments are 1 GB; a whole-file buffer was GRPO's peak at that size).
// Measured as peak RSS in a child process of its own, which timing and load do not move.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeSafetensors, writeSafetensors } from './safetensors.js';

test('writeSafetensors writes the bytes serializeSafetensors makes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alignkit-st-stream-'));
  try {
    const tensors = new Map([
      ['b', { shape: [3], data: Float32Array.of(1, -2, 3.5) }],
      ['a', { shape: [2, 2], data: Int32Array.of(1, 2, 3, 4) }],
      ['h', { shape: [2], data: Float32Array.of(0.1, 65504), dtype: 'F16' as const }],
    ]);
    writeSafetensors(join(dir, 'x.safetensors'), tensors, { k: 'v' });
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'x.safetensors'))), serializeSafetensors(tensors, { k: 'v' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writing a 256 MiB file raises the peak RSS by far less than the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alignkit-st-stream-'));
  const module = new URL('./safetensors.js', import.meta.url).href;
  const script = `
    const { writeSafetensors } = await import(${JSON.stringify(module)});
    const t = new Map();
    for (let i = 0; i < 4; i++) { const a = new Float32Array(16 << 20); a.fill(i + 0.5); t.set('t' + i, { shape: [a.length], data: a }); }
    const before = process.resourceUsage().maxRSS;
    writeSafetensors(${JSON.stringify(join(dir, 'big.safetensors'))}, t);
    console.log(JSON.stringify({ grewMiB: (process.resourceUsage().maxRSS - before) / 1024 }));`;
  try {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { grewMiB } = JSON.parse(r.stdout) as { grewMiB: number };
    assert.ok(grewMiB < 64, `peak RSS grew by ${grewMiB.toFixed(0)} MiB while writing a 256 MiB file; a whole-file buffer would add 256`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
