// Opt-in bf16 compute (issue 20, model.bf16Compute) on the real families' bfloat16 checkpoints:
// how far the logits move from the exact path (activations rounded to bfloat16 at every product
// with a frozen weight), whether greedy decoding at batch 4 (the Llama decoder's bf16 path) picks
// the same tokens, and a LoRA SFT run on the 16-bit base: its losses near the exact run's and
// its adapters trained. The figures are printed at the end (README "Real shapes" quotes them).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backend, backward, mean, noGrad, sum, Tensor } from '../../../src/index.js';
import { AdamW } from '../../../src/nn/index.js';
import { createLora, defaultLoraTargets, generate, layoutOf, loadModelDir, type Transformer } from '../../../src/model/index.js';
import { Rng } from '../../../src/tensor/index.js';
import { prepareForTraining } from '../../../src/align/trainer/lora-options.js';

const DIR = 'test/golden/families';
const fixture = JSON.parse(readFileSync(join(DIR, 'families.json'), 'utf8')) as { ids: { shape: number[]; data: number[] }; prompt: number[]; cases: { name: string }[] };
const ids = new Tensor(Int32Array.from(fixture.ids.data), fixture.ids.shape); // (2, 10): 20 rows a product
const load = (name: string): Transformer => loadModelDir(join(DIR, 'checkpoints', name, 'bf16'), { frozenDtype: 'keep', tokenizer: false }).model;

// Rounding an activation to bfloat16 moves it by at most 2^-9 of itself; through these
// checkpoints' 2–4 layers of width 16 the logits moved by 0.5–3.9% of max |logit| (measured,
// printed below; YaRN the most), as int8's codes move them (decoder.test.ts). A product that
// dropped the rounding would show 0 (checked); one that rounded to a wrong value moves them by
// about their range.
const LOGIT_TOL = 0.1;
const figures: string[] = [];

for (const { name } of fixture.cases) {
  if (name === 'gemma2') continue; // its 16-bit load is refused (half-weights.test.ts)
  test(`bf16 compute, ${name}: logits within ${LOGIT_TOL}·max |logit| of the exact path, greedy tokens at batch 4`, () => {
    const model = load(name);
    const exact = noGrad(() => model.logits(ids).f32);
    model.bf16Compute = true;
    const rounded = noGrad(() => model.logits(ids).f32);
    let d = 0, top = 0;
    for (let i = 0; i < exact.length; i++) { d = Math.max(d, Math.abs(exact[i]! - rounded[i]!)); top = Math.max(top, Math.abs(exact[i]!)); }
    assert.ok(d > 0, `${name}: bf16 compute changed no logit: the activations were not rounded`);
    assert.ok(d <= LOGIT_TOL * top, `${name}: logits moved by ${d}, max |logit| ${top}`);
    // Four rows decoded together: the decoder's products take the bf16 kernel (batch ≥ 4).
    const prompts = [fixture.prompt, fixture.prompt.slice(0, 4), fixture.prompt.slice(1), fixture.prompt.slice(0, 2)];
    const fast = noGrad(() => generate(model, prompts, { maxNewTokens: 12, temperature: 0 }));
    model.bf16Compute = false;
    const slow = noGrad(() => generate(model, prompts, { maxNewTokens: 12, temperature: 0 }));
    let same = 0, all = 0;
    fast.forEach((s, r) => s.tokens.forEach((t, i) => { all++; if (slow[r]!.tokens[i] === t) same++; }));
    figures.push(`${name}: max |Δ logit| / max |logit| ${(d / top).toExponential(2)}, greedy tokens equal ${same}/${all} (batch 4)`);
    assert.ok(same >= 0.75 * all, `${name}: only ${same} of ${all} greedy tokens agree`);
  });
}

/** Losses of 6 LoRA SFT steps on the llama checkpoint, and how far each adapter moved. */
function loraRun(bf16Compute: boolean): { losses: number[]; moved: number[]; baseSame: boolean } {
  const model = load('llama');
  model.lora = createLora(model.params, layoutOf(model.config), { rank: 4, alpha: 8, dropout: 0, targets: defaultLoraTargets.llama }, new Rng(5));
  for (const p of model.params.values()) if (!p.isHalf) p.requireGrad(false);
  model.bf16Compute = bf16Compute;
  const base = new Map([...model.params].map(([k, t]) => [k, t.data.slice()]));
  const start = [...model.lora.values()].flatMap((a) => [a.A.f32.slice(), a.B.f32.slice()]);
  const targets = new Tensor(Int32Array.from(fixture.ids.data, (v) => (v * 7 + 3) % model.config.vocabSize), fixture.ids.shape);
  const opt = new AdamW(model.namedParameters(), { lr: 1e-2 });
  const losses: number[] = [];
  for (let step = 0; step < 6; step++) {
    const loss = mean(model.tokenLosses(model.hidden(ids), targets)); // the fused head's path, as sft's
    losses.push(loss.item());
    loss.backward();
    opt.update();
    opt.zeroGrad();
  }
  const end = [...model.lora.values()].flatMap((a) => [a.A.f32, a.B.f32]);
  const moved = end.map((t, i) => Math.max(...t.map((v, k) => Math.abs(v - start[i]![k]!))));
  const baseSame = [...model.params].every(([k, t]) => Buffer.from(t.data.buffer).equals(Buffer.from(base.get(k)!.buffer)));
  return { losses, moved, baseSame };
}

test('bf16 compute: a LoRA SFT run on the bf16 base trains its adapters, its losses within 2% of the exact run\'s', () => {
  const exact = loraRun(false), fast = loraRun(true);
  assert.ok(fast.baseSame, 'the frozen base is left as loaded');
  assert.ok(fast.moved.every((m) => m > 0), 'every adapter matrix changed');
  assert.ok(fast.losses.at(-1)! < fast.losses[0]!, `the loss falls: ${fast.losses.join(', ')}`);
  const worst = Math.max(...fast.losses.map((l, i) => Math.abs(l - exact.losses[i]!) / exact.losses[i]!));
  assert.ok(worst > 0, 'bf16 compute changed no loss: the products were not rounded');
  assert.ok(worst <= 0.02, `losses differ by up to ${(100 * worst).toFixed(2)}%: ${fast.losses.join(', ')} vs ${exact.losses.join(', ')}`);
  figures.push(`LoRA SFT llama, 6 steps: losses ${fast.losses.map((l) => l.toFixed(4)).join(' ')} vs exact ${exact.losses.map((l) => l.toFixed(4)).join(' ')} (worst ${(100 * worst).toFixed(3)}%)`);
});

test('bf16 compute is refused for a model holding float16 weights, naming the weight', () => {
  const model = load('llama');
  const [name, w] = [...model.params].find(([, t]) => t.isHalf)!;
  model.params.set(name, new Tensor(new Uint16Array(w.size), w.shape, false, 'float16'));
  assert.throws(() => { model.bf16Compute = true; }, new RegExp(`"${name.replace(/\./g, '\\.')}" is a float16 weight`));
  assert.equal(model.bf16Compute, false);
});

test('--bf16-compute reaches the model a training command prepares; clones and the adapter-free reference keep it', () => {
  const model = prepareForTraining(load('llama'), { loraR: 2, bf16Compute: true }, null);
  assert.equal(model.bf16Compute, true);
  assert.equal(model.clone().bf16Compute, true);
  assert.equal(model.withoutAdapters().bf16Compute, true);
  assert.equal(prepareForTraining(load('llama'), { loraR: 2 }, null).bf16Compute, false);
});

test('bf16 compute gives attention the bf16 permission, forward and backward; the exact path does not', () => {
  const model = load('llama'), be = backend(), seen: string[] = [];
  const [fw, bw] = [be.attentionForward, be.attentionBackward];
  // The permission is the calls' last argument (kernels.ts): recorded, then the kernel runs.
  be.attentionForward = (...args: Parameters<typeof fw>) => { seen.push(`forward ${args[18]}`); fw.apply(be, args); };
  be.attentionBackward = (...args: Parameters<typeof bw>) => { seen.push(`backward ${args[22]}`); bw.apply(be, args); };
  try {
    for (const on of [true, false]) {
      model.bf16Compute = on;
      const h = model.hidden(ids);
      backward(sum(h));
    }
  } finally {
    be.attentionForward = fw;
    be.attentionBackward = bw;
  }
  const layers = seen.length / 4;
  assert.ok(layers >= 1, `attention ran ${seen.length} times`);
  assert.deepEqual(seen.filter((c) => c.endsWith('true')).length, 2 * layers, seen.join(', '));
  assert.deepEqual(seen.slice(0, layers), Array(layers).fill('forward true'));
  assert.deepEqual(seen.slice(2 * layers, 3 * layers), Array(layers).fill('forward false'));
});

after(() => { if (figures.length) console.log(`bf16 compute figures:\n  ${figures.join('\n  ')}`); });
