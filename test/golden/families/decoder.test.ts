// The kernel-level decoder (src/model/sampling/decode/llama.ts) against the generic op path, per
// family on the golden checkpoints (whose greedy tokens families.golden.test.ts holds to
// transformers' through generate, i.e. through this decoder): a left-padded batch of two prompts,
// prefilled once into two caches, then 20 steps on each side with the same tokens. The decoder
// makes the same kernel calls in the same order, so the logits must be equal bit for bit: float32
// weights, bf16 weights kept 16-bit (read in place), LoRA adapters, and int8 weights (quantizeInt8:
// the decoder reads the codes, the generic path the dequantised float32 weights they stand for).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad, Tensor } from '../../../src/index.js';
import { backend, nativeStatus } from '../../../src/backend/index.js';
import { createLora, defaultLoraTargets, generate, layoutOf, loadModelDir, quantizeInt8, quantizeRows, writeRandomCheckpoint, type Transformer } from '../../../src/model/index.js';
import { FusedLayers } from '../../../src/model/sampling/decode/fused.js';
import { Decoder } from '../../../src/model/sampling/decode.js';
import { RowCache, leftPad } from '../../../src/model/sampling/batch.js';
import { Rng } from '../../../src/tensor/index.js';

const DIR = 'test/golden/families';
const fixture = JSON.parse(readFileSync(join(DIR, 'families.json'), 'utf8')) as { prompt: number[]; cases: { name: string }[] };

/** The largest |difference| over `steps` decoding steps of the decoder and of model.logits with a cache. */
function compare(model: Transformer, steps: number, prompts = [fixture.prompt, fixture.prompt.slice(0, 2)], dtype: RowCache['dtype'] = 'float32'):
  { diff: number; tokens: number[][]; logits: Float32Array[] } {
  const B = prompts.length, V = model.config.vocabSize;
  return noGrad(() => {
    const pb = leftPad(prompts);
    const [generic, fast] = [new RowCache(model.config.nLayer, dtype), new RowCache(model.config.nLayer, dtype)];
    for (const cache of [generic, fast]) model.hidden(pb.ids, { positions: pb.positions, keyMask: pb.keyMask, cache });
    const decoder = new Decoder(model, fast, B);
    let ids = Int32Array.from(prompts, (p) => p.at(-1)!), diff = 0;
    const tokens: number[][] = [], logits: Float32Array[] = [];
    for (let s = 0; s < steps; s++) {
      const Tk = generic.length + 1, keyMask = new Float32Array(B * Tk);
      for (let b = 0; b < B; b++) keyMask.fill(-Infinity, b * Tk, b * Tk + pb.pads[b]!);
      const positions = Int32Array.from(prompts, (p) => p.length + s);
      const want = model.logits(new Tensor(ids, [B, 1]), { positions, keyMask, cache: generic }).f32;
      const got = decoder.step(ids, positions, keyMask);
      logits.push(want.slice());
      assert.equal(fast.length, generic.length);
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Number.isNaN(got[i]!) ? Infinity : Math.abs(got[i]! - want[i]!));
      // Greedy next tokens from the generic logits, fed to both sides.
      ids = Int32Array.from({ length: B }, (_, b) => {
        let best = 0;
        for (let v = 1; v < V; v++) if (want[b * V + v]! > want[b * V + best]!) best = v;
        return best;
      });
      tokens.push([...ids]);
    }
    return { diff, tokens, logits };
  });
}

for (const { name } of fixture.cases) {
  if (name === 'gpt2') continue;
  for (const dtype of ['f32', 'bf16'] as const) {
    test(`decoder ${name} (${dtype}${dtype === 'bf16' ? ', kept 16-bit' : ''}): logits of 20 steps equal the generic path's bit for bit`, () => {
      const { model } = loadModelDir(join(DIR, 'checkpoints', name, dtype), { tokenizer: false, frozenDtype: 'keep' });
      assert.ok(Decoder.supports(model), `${name}: the decoder should take this family`);
      if (dtype === 'bf16') assert.ok(model.headWeight().isHalf, 'the bf16 checkpoint is read 16-bit');
      assert.equal(compare(model, 20).diff, 0);
    });
  }
}

for (const name of ['llama', 'qwen2', 'gemma2']) {
  test(`decoder ${name} with LoRA adapters (bf16 base kept 16-bit): equal bit for bit, and the adapters count`, () => {
    const { model } = loadModelDir(join(DIR, 'checkpoints', name, 'bf16'), { tokenizer: false, frozenDtype: 'keep' });
    const before = compare(model, 6).tokens;
    model.lora = createLora(model.params, layoutOf(model.config), { rank: 4, alpha: 8, dropout: 0.1, targets: defaultLoraTargets.llama }, new Rng(5));
    const rng = new Rng(6);
    for (const a of model.lora.values()) for (let i = 0; i < a.B.f32.length; i++) a.B.f32[i] = 0.5 * rng.normal();
    assert.ok(Decoder.supports(model));
    const { diff, tokens } = compare(model, 6);
    assert.equal(diff, 0);
    assert.notDeepEqual(tokens, before, 'adapters with non-zero B change the greedy tokens');
  });
}

// The equalities above hold for the native per-layer step (decode/fused.ts) only if it ran: with
// the native backend a layer in one native call makes no rmsNormForward call from JavaScript, a
// layer that falls back to llama.ts (LoRA adapters) makes two; compare's generic side and prefill
// make the same calls either way (adapters add no norm).
const nativeInUse = (): boolean => { const st = nativeStatus(); return st.ok && backend() === st.native.backend; };
const six = [fixture.prompt, fixture.prompt.slice(0, 2), fixture.prompt.slice(1), fixture.prompt.slice(0, 4), fixture.prompt.slice(2), fixture.prompt];
test('decoder: the native backend runs each layer in one call, and layers with adapters in llama.ts', { skip: nativeInUse() ? false : 'needs the native backend in use' }, () => {
  const norms = (model: Transformer, prompts?: number[][], cache?: RowCache['dtype']): number => {
    const be = backend(), own = be.rmsNormForward;
    let calls = 0;
    be.rmsNormForward = (...a) => { calls++; own.apply(be, a); };
    try { compare(model, 1, prompts, cache); } finally { be.rmsNormForward = own; }
    return calls;
  };
  // Under bf16 compute (its products at 6 rows) and on a bfloat16 cache too.
  const settings = [{ dtype: 'f32' }, { dtype: 'bf16' }, { dtype: 'bf16', bf16Compute: true, prompts: six, cache: 'bfloat16' as const }];
  for (const { dtype, bf16Compute, prompts, cache } of settings) {
    const { model } = loadModelDir(join(DIR, 'checkpoints', 'llama', dtype), { tokenizer: false, frozenDtype: 'keep' });
    model.bf16Compute = bf16Compute ?? false;
    const fused = norms(model, prompts, cache);
    model.lora = createLora(model.params, layoutOf(model.config), { rank: 2, alpha: 4, dropout: 0, targets: defaultLoraTargets.llama }, new Rng(7));
    assert.equal(norms(model, prompts, cache) - fused, 2 * model.config.nLayer, `${dtype}${bf16Compute ? ', bf16 compute, bfloat16 cache' : ''}: one step's two norms per layer, in JavaScript only with adapters`);
  }
});
for (const name of ['llama', 'qwen2', 'gemma3']) {
  test(`decoder ${name} under bf16Compute at batch 4 (its bf16 kernel): equal to the generic path bit for bit, and not the exact logits`, () => {
    const { model } = loadModelDir(join(DIR, 'checkpoints', name, 'bf16'), { tokenizer: false, frozenDtype: 'keep' });
    const prompts = [fixture.prompt, fixture.prompt.slice(0, 2), fixture.prompt.slice(1), fixture.prompt.slice(0, 4)];
    model.bf16Compute = true;
    assert.equal(compare(model, 4, prompts).diff, 0);
    // The decoder's logits at batch 4 against its exact ones: the rounding is there.
    const cache = (m: Transformer) => {
      const pb = leftPad(prompts), c = new RowCache(m.config.nLayer);
      noGrad(() => m.hidden(pb.ids, { positions: pb.positions, keyMask: pb.keyMask, cache: c }));
      const Tk = c.length + 1, keyMask = new Float32Array(4 * Tk);
      for (let b = 0; b < 4; b++) keyMask.fill(-Infinity, b * Tk, b * Tk + pb.pads[b]!);
      return new Decoder(m, c, 4).step(Int32Array.from(prompts, (p) => p.at(-1)!), Int32Array.from(prompts, (p) => p.length), keyMask).slice();
    };
    const rounded = cache(model);
    model.bf16Compute = false;
    const plain = cache(model);
    assert.ok(rounded.some((v, i) => v !== plain[i]), 'bf16Compute changed no logit of the decoder');
  });
}

// A bfloat16 KV cache (the engine's under bf16 compute): the decoder rounds what it stores as
// RowCache.store does and reads it with the same kernel as attentionDecode, so the two paths agree
// bit for bit; its logits move from the float32 cache's by the rounding of keys and values only
// (gemma2: soft-capped scores; gemma3 and mistral: sliding windows; qwen3: normalised q and k heads).
for (const name of ['llama', 'qwen2', 'qwen3', 'mistral', 'gemma2', 'gemma3']) {
  test(`decoder ${name} on a bfloat16 KV cache: equal to the generic path bit for bit, near the float32 cache's logits`, () => {
    const { model } = loadModelDir(join(DIR, 'checkpoints', name, 'bf16'), { tokenizer: false, frozenDtype: 'keep' });
    const prompts = six;
    const half = compare(model, 12, prompts, 'bfloat16');
    assert.equal(half.diff, 0);
    const exact = compare(model, 12, prompts);
    assert.deepEqual(half.tokens.slice(0, 3), exact.tokens.slice(0, 3), 'the first greedy tokens');
    let worst = 0, top = 0, moved = false;
    for (let s = 0; s < 3; s++) {
      exact.logits[s]!.forEach((w, i) => {
        const g = half.logits[s]![i]!;
        worst = Math.max(worst, Math.abs(g - w));
        top = Math.max(top, Math.abs(w));
        moved ||= g !== w;
      });
    }
    assert.ok(moved, 'the bfloat16 cache changed no logit');
    assert.ok(worst <= 0.02 * top, `logits moved by ${worst}, more than 2% of the largest |logit| ${top}`);
  });
}

// What the engine samples with under bf16 compute: the rounded products (6 rows) and a bfloat16
// cache, both in the native per-layer step when it runs; the generic path makes the same calls.
for (const name of ['llama', 'qwen2', 'qwen3', 'gemma2', 'gemma3']) {
  test(`decoder ${name} under bf16Compute on a bfloat16 KV cache: equal to the generic path bit for bit`, () => {
    const { model } = loadModelDir(join(DIR, 'checkpoints', name, 'bf16'), { tokenizer: false, frozenDtype: 'keep' });
    model.bf16Compute = true;
    const both = compare(model, 8, six, 'bfloat16');
    assert.equal(both.diff, 0);
    assert.equal(compare(model, 8, six.slice(0, 3), 'bfloat16').diff, 0, 'at 3 rows: the exact products');
    model.bf16Compute = false;
    const cacheOnly = compare(model, 8, six, 'bfloat16');
    assert.ok(both.logits[0]!.some((v, i) => v !== cacheOnly.logits[0]![i]), 'bf16Compute changed no logit');
  });
}

/**
 * A random bf16 Qwen2 of the given widths, decoded on `threads` threads by the native path with its
 * grouped projections and with them apart (FusedLayers.separateProjections): both must equal the
 * generic path bit for bit, and each other.
 */
function groupedAgainstSeparate(prefix: string, shape: { hidden: number; heads: number; kvHeads: number; mlp: number }, threads: number,
  bf16Compute: boolean): void {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const st = nativeStatus(), before = st.ok ? st.native.setThreads(threads) : 1;
  try {
    writeRandomCheckpoint(dir, { model_type: 'qwen2', hidden_size: shape.hidden, num_hidden_layers: 2, num_attention_heads: shape.heads,
      num_key_value_heads: shape.kvHeads, intermediate_size: shape.mlp, vocab_size: 64, tie_word_embeddings: true, max_position_embeddings: 128,
      rms_norm_eps: 1e-6, rope_theta: 10000 });
    const { model } = loadModelDir(dir, { tokenizer: false, frozenDtype: 'keep' });
    assert.ok(model.headWeight().isHalf && model.params.get('model.layers.0.self_attn.q_proj.bias'), 'a bf16 model with q, k, v biases');
    model.bf16Compute = bf16Compute;
    // Under bf16 compute, six rows: the products are then the rounded ones.
    const run = (): ReturnType<typeof compare> => (bf16Compute ? compare(model, 6, six, 'bfloat16') : compare(model, 6));
    const grouped = run();
    assert.equal(grouped.diff, 0);
    FusedLayers.separateProjections = true;
    const separate = run();
    assert.equal(separate.diff, 0);
    assert.deepEqual(separate.logits, grouped.logits);
  } finally {
    FusedLayers.separateProjections = false;
    if (st.ok) st.native.setThreads(before);
    rmSync(dir, { recursive: true, force: true });
  }
}

// The golden checkpoints are too narrow for decode-layer.cc's grouped projections (q, k, v; gate,
// up in one parallel region) to cut their rows into chunks: a random bf16 Qwen2 of width 256 (q, k,
// v 256 + 128 + 128 rows with biases, gate and up 2 × 512) does, and the chunks cross from one
// projection into the next, with two threads.
test('decoder: grouped projections over many chunks (random bf16 Qwen2, width 256) equal the generic path and the ungrouped one bit for bit', { skip: nativeInUse() ? false : 'needs the native backend in use' }, () => {
  groupedAgainstSeparate('alignkit-grouped-', { hidden: 256, heads: 4, kvHeads: 2, mlp: 512 }, 2, false);
});

// Under bf16 compute on AMX, decode-layer.cc runs q, k, v (and gate, up) as one call of
// matmul_bf16_amx_parts: their blocks of W numbered one after the other and shared out among the
// threads. At width 192 (q 6 blocks, k and v 2 each, MLP 464 rows: 15 blocks, the last partial)
// with three threads, the shares start inside q, gate and up. (Without AMX the grouped call is not
// made, and the test checks the ungrouped path alone.)
test('decoder: bf16-compute projections grouped on AMX (random bf16 Qwen2, width 192, 3 threads) equal the generic path and the ungrouped one bit for bit', { skip: nativeInUse() ? false : 'needs the native backend in use' }, () => {
  groupedAgainstSeparate('alignkit-grouped-amx-', { hidden: 192, heads: 3, kvHeads: 1, mlp: 464 }, 3, true);
});

/** Figures of int8 against float32, printed at the end (README "Fast decoding" quotes them). */
const int8Figures: string[] = [];
// Per-row codes move each weight by at most max|w_row|/254 (0.4% of the row's range); through these
// checkpoints' 2–4 layers of width 16 the logits move by a few percent of their range: measured
// 1.6–6.6% (yarn and Gemma 2's soft-caps the most). A dropped or misplaced scale moves them by
// more than their range.
const INT8_LOGIT_TOL = 0.1; // of max |logit|

for (const { name } of fixture.cases) {
  if (name === 'gpt2') continue;
  test(`decoder ${name} int8: equal to the generic path on the dequantised weights; logits within ${INT8_LOGIT_TOL}·max |logit| of float32`, () => {
    const dir = join(DIR, 'checkpoints', name, 'f32');
    const { model: ref } = loadModelDir(dir, { tokenizer: false });
    const { model } = loadModelDir(dir, { tokenizer: false });
    const { maxError } = quantizeInt8(model);
    assert.ok(maxError > 0, 'the weights changed');
    assert.ok(Decoder.supports(model));
    assert.equal(compare(model, 20).diff, 0);
    const ids = new Tensor(Int32Array.from(fixture.prompt), [1, fixture.prompt.length]);
    const [dl, top] = noGrad(() => {
      const a = ref.logits(ids).f32, b = model.logits(ids).f32;
      let d = 0, m = 0;
      for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(a[i]!)); }
      return [d, m];
    });
    const [g32] = generate(ref, [fixture.prompt], { maxNewTokens: 20, temperature: 0 });
    const [g8] = generate(model, [fixture.prompt], { maxNewTokens: 20, temperature: 0 });
    const same = g32!.tokens.filter((t, i) => g8!.tokens[i] === t).length;
    int8Figures.push(`${name}: max |Δ logit| ${dl.toExponential(1)} (${((100 * dl) / top).toFixed(1)}% of max |logit| ${top.toFixed(2)}), greedy tokens equal ${same}/20, max |Δ w| ${maxError.toExponential(1)}`);
    assert.ok(dl > 0 && dl <= INT8_LOGIT_TOL * top, `${name}: int8 logits differ from float32 by ${dl} (max |logit| ${top})`);
  });
}

test('quantizeRows: codes span ±127 per row, dequantised within half a scale, the scale is max|w|/127', () => {
  const N = 3, K = 40, w = new Float32Array(N * K);
  for (let i = 0; i < w.length; i++) w[i] = Math.sin(i * 1.7) * (1 + Math.floor(i / K) * 100); // rows of very different ranges
  const r = quantizeRows(w, N, K);
  for (let n = 0; n < N; n++) {
    const row = w.subarray(n * K, (n + 1) * K), max = Math.max(...row.map(Math.abs));
    assert.equal(r.scales[n], Math.fround(max / 127), `row ${n}: scale`);
    assert.equal(Math.max(...r.q.subarray(n * K, (n + 1) * K).map(Math.abs)), 127, `row ${n}: its largest weight is code ±127`);
    for (let k = 0; k < K; k++) {
      assert.ok(Math.abs(row[k]! - r.dequantised[n * K + k]!) <= r.scales[n]! / 2 * (1 + 1e-6), `row ${n}, [${k}]`);
      assert.equal(r.dequantised[n * K + k], Math.fround(r.q[n * K + k]! * r.scales[n]!));
    }
  }
});

test('decoder int8: measured figures', (t) => {
  for (const m of int8Figures) t.diagnostic(m);
  if (process.env.ALIGNKIT_FAMILY_FIGURES) console.log(int8Figures.join('\n'));
});
