// Issue 20's targets judged from rows a run could give: the peer's fastest variant is the one
// compared, a missing peer gives no verdict, an untrusted PyTorch gives no ratio, RSS is "at most".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nativeStatus } from '../../../backend/index.js';
import { formatReal } from './report.js';
import type { RealConfigResult, RealResult, RealRow } from './results.js';
import { hostInfo } from './run.js';
import { judgeTargets, matchedLora } from './targets.js';

const row = (line: RealRow['line'], batch: number, contender: RealRow['contender'], dtype: string, tok_s: number | null, extra: Partial<RealRow> = {}): RealRow => ({
  line, batch, tokens: line === 'generate' ? '64+128' : '512', contender, attn: contender === 'transformers' ? 'sdpa' : null, dtype, tok_s,
  rss_mb: 1000, roofline: null, load_s: 1, threads: 2, others_cores: 0, error: tok_s === null ? 'missing' : null, ...extra,
});

const C: RealConfigResult = {
  config: 'C', name: 'SmolLM2-135M shape', params: 134_515_008, bytes_per_token: { bf16: 269_100_288, float32: 538e6, q8_0: 143e6 },
  bandwidth_gb_s: { before: 15.2, after: 16.4 },
  rows: [
    row('generate', 1, 'alignkit', 'bf16', 50, { roofline: 0.9 }),
    row('generate', 1, 'alignkit', 'float32', 30, { roofline: 0.95 }),
    row('generate', 1, 'llama.cpp', 'bf16', 40),
    row('generate', 1, 'llama.cpp', 'q8_0', 90),
    row('generate', 32, 'alignkit', 'bf16', 300),
    row('generate', 32, 'alignkit', 'float32', 420),
    row('generate', 32, 'transformers', 'float32', 200),
    row('generate', 32, 'transformers', 'bf16', 100, { attn: 'eager' }),
    row('lora', 1, 'alignkit', 'float32', 900, { rss_mb: 500 }),
    row('lora', 1, 'transformers', 'float32', 500, { rss_mb: 1000 }),
    row('lora', 1, 'transformers', 'float32', 600, { attn: 'eager', rss_mb: 800 }),
  ],
};
const D: RealConfigResult = {
  ...C, config: 'D', name: 'Qwen2.5-0.5B shape', bandwidth_gb_s: { before: null, after: null },
  rows: [row('generate', 32, 'alignkit', 'bf16', 100), row('generate', 32, 'transformers', 'float32', null), row('lora', 1, 'alignkit', 'float32', 100, { rss_mb: 700 }), row('lora', 1, 'transformers', 'float32', 100, { rss_mb: 1000 })],
};

test('targets: roofline and llama.cpp (f16/bf16, not q8_0) at C batch 1 with bf16 weights; the fastest peer variant at batch 32 and LoRA', () => {
  const t = judgeTargets([C], true);
  assert.deepEqual(t.map((x) => [x.value, x.threshold, x.atMost, x.met]), [
    [0.9, 0.85, false, true],
    [50 / 40, 1, false, true],
    [420 / 200, 2, false, true],
    [900 / 600, 1.5, false, true],
    [500 / 800, 0.6, true, false],
  ]);
  assert.match(t[0]!.target, /^generation C batch 1: share of the bandwidth roofline/);
  assert.equal(t[1]!.from, 'alignkit bf16 vs llama.cpp bf16');
  assert.equal(t[2]!.from, 'alignkit float32 vs transformers sdpa float32');
  assert.equal(t[3]!.from, 'alignkit float32 vs transformers eager float32');
});

test('targets: a missing peer gives no verdict, an untrusted PyTorch no ratio; D has no batch-1 targets', () => {
  const t = judgeTargets([D], true);
  assert.deepEqual(t.map((x) => [x.target, x.value, x.met]), [
    ['generation D batch 32: alignkit / transformers generate tokens/s', null, null],
    ['LoRA SFT D: alignkit / peft tokens/s', 1, false],
    ["LoRA SFT D: alignkit peak RSS / PyTorch's", 0.7, false],
  ]);
  const loraOnly = judgeTargets([{ ...C, rows: C.rows.filter((r) => r.line === 'lora') }], true);
  assert.deepEqual(loraOnly.map((x) => x.target), ['LoRA SFT C: alignkit / peft tokens/s', "LoRA SFT C: alignkit peak RSS / PyTorch's"], 'lines not run (--lines lora) get no target');
  const untrusted = judgeTargets([C], false);
  assert.deepEqual(untrusted.map((x) => x.met), [true, true, null, null, false]);
});

test('targets: the fastest alignkit line is judged, a bf16-compute one included, and named', () => {
  const rows = [...C.rows, row('generate', 32, 'alignkit', 'bf16-compute', 500), row('lora', 1, 'alignkit', 'bf16-compute', 1000, { rss_mb: 520 })];
  const t = judgeTargets([{ ...C, rows }], true);
  assert.deepEqual([t[2]!.value, t[3]!.value, t[4]!.value], [500 / 200, 1000 / 600, 520 / 800]);
  assert.equal(t[2]!.from, 'alignkit bf16-compute vs transformers sdpa float32');
  assert.equal(t[3]!.from, 'alignkit bf16-compute vs transformers eager float32');
});

test('the C/D report prints each row, the bandwidth and every verdict', () => {
  const r: RealResult = { host: { cpu: 'Test CPU, 2 cores', bf16_products: 'AMX tiles' }, bandwidth: { gb_s: 15.94, array_mb: 256, threads: 2, note: null }, configs: [C, D], targets: judgeTargets([C, D], true), matched: matchedLora([C, D], true), settings: {} };
  const text = formatReal(r).join('\n');
  assert.match(text, /^host: Test CPU, 2 cores; alignkit's bf16-compute products on AMX tiles$/m);
  assert.match(text, /3 arrays of 256 MiB, 2 threads: 15\.9 GB\/s/);
  assert.match(text, /config C — SmolLM2-135M shape, 134\.5M parameters.*bf16 269 MB/);
  assert.match(text, /triad right before its batch-1 lines 15\.2 GB\/s, right after 16\.4 GB\/s/);
  assert.doesNotMatch(text, /config D[^\n]*\ntriad right before/); // D measured none
  assert.match(text, /generate, batch 1 +alignkit +bf16 +64\+128 +50\.0 +1000 +90%/);
  assert.match(text, /LoRA SFT C: alignkit \/ peft tokens\/s .* 1\.50 +≥ 1\.5 +met/);
  assert.match(text, /LoRA SFT C: alignkit peak RSS \/ PyTorch's .* 0\.63 +≤ 0\.6 +NOT MET/);
  assert.match(text, /generation D batch 32: .* — +≥ 2 +— \(not measured\)/);
});

// The peft peer under bf16 autocast (TRL's bf16=True on a CPU): the best-against-best target takes
// it when it is peft's fastest line, and the matched pairs set each alignkit precision against the
// peft line that rounds the same way.
test('targets: peft under bf16 autocast counts as the peer when fastest; matched pairs pair float32 with float32, bf16-compute with autocast', () => {
  const rows = [...C.rows, row('lora', 1, 'alignkit', 'bf16-compute', 1000, { rss_mb: 520 }),
    row('lora', 1, 'transformers', 'bf16-autocast', 640, { rss_mb: 900 }), row('lora', 1, 'transformers', 'bf16-autocast', 700, { attn: 'eager', rss_mb: 1100 })];
  const t = judgeTargets([{ ...C, rows }], true);
  assert.deepEqual([t[3]!.value, t[4]!.value], [1000 / 700, 520 / 1100]);
  assert.equal(t[3]!.from, 'alignkit bf16-compute vs transformers eager bf16-autocast');
  const m = matchedLora([{ ...C, rows }, D], true);
  assert.deepEqual(m.map((x) => [x.target, x.value, x.met, x.from]), [
    ['LoRA SFT C, float32 / peft float32: tokens/s', 900 / 600, true, 'alignkit float32 vs transformers eager float32'],
    ['LoRA SFT C, bf16-compute / peft bf16-autocast: tokens/s', 1000 / 700, false, 'alignkit bf16-compute vs transformers eager bf16-autocast'],
    ['LoRA SFT D, float32 / peft float32: tokens/s', 1, false, 'alignkit float32 vs transformers sdpa float32'],
  ]);
  assert.deepEqual(matchedLora([C], false).map((x) => x.value), [null], 'no ratio against an untrusted PyTorch');
  const text = formatReal({ host: hostInfo(), bandwidth: { gb_s: null, array_mb: 256, threads: 2, note: 'no triad' }, configs: [C], targets: t, matched: m, settings: {} }).join('\n');
  assert.match(text, /LoRA SFT C, bf16-compute \/ peft bf16-autocast: tokens\/s \(alignkit bf16-compute vs transformers eager bf16-autocast\) +1\.43 +≥ 1\.5 +NOT MET/);
});

test('the host line names the CPU and what runs the bf16-compute products, following the native switches', () => {
  const h = hostInfo();
  assert.match(h.cpu, /\S, \d+ cores$/);
  const s = nativeStatus();
  if (!s.ok) return assert.equal(h.bf16_products, 'the JS reference (no native addon)');
  try {
    s.native.setAmx(false);
    assert.equal(hostInfo().bf16_products, s.native.config().bf16Dot ? 'AVX-512 BF16 (vdpbf16ps)' : `a scalar loop (${s.native.config().isa})`);
    if (s.native.setAmx(true)) assert.equal(hostInfo().bf16_products, 'AMX tiles');
  } finally {
    s.native.setAmx(true);
  }
});
