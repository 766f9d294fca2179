// Every family against the real transformers class (make_families.py): the checkpoints that
// save_pretrained wrote (float32, and bfloat16 widened) load through loadModelDir, and give the
// class's logits (within 1e-4), its loss, its gradients for a few parameters, and its 20 greedy
// tokens (KV cache on both sides). Then the invariants that need no reference: KV-cache decoding
// equals full recompute (past the sliding window where there is one), and a left-padded batch
// decodes each row as it decodes alone. A family the engine does not implement must be refused by
// name at load time, never loaded and run wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crossEntropy, noGrad, Tensor } from '../../../src/index.js';
import { generate, loadModelDir, type Transformer } from '../../../src/model/index.js';
import { CheckpointError } from '../../../src/io/checkpoint.js';

const DIR = 'test/golden/families';
const LOGIT_TOL = 1e-4;
const GRAD_TOL = 1e-4; // relative to the tensor's largest gradient
const LOSS_TOL = 1e-5;

interface Arr { shape: number[]; data: number[] }
interface Out { logits: Arr; loss: number; grads: (Arr & { name: string })[]; greedy: number[] }
interface Case { name: string; model_type: string; f32: Out; bf16: Out }
interface Fixture { transformers: string; ids: Arr; prompt: number[]; cases: Case[] }

const fixture = JSON.parse(readFileSync(join(DIR, 'families.json'), 'utf8')) as Fixture;

/** Families whose checkpoints must be refused, with what the refusal names. */
const REFUSED: Record<string, RegExp> = {};
/** Families whose cached or batched decoding differs from recompute or from decoding alone by design, and why. */
const NO_RECOMPUTE: Record<string, string> = {
  // Dynamic NTK recomputes the frequencies from the longest position of each forward (of the
  // whole batch), so cached keys keep the rotation of the step that made them and a padded row
  // takes the longest row's base: transformers does the same.
  'llama-rope-dynamic': 'dynamic RoPE rotates each step\'s keys with that step\'s base, from the batch\'s longest row',
};

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
};

function greedyByRecompute(model: Transformer, prompt: readonly number[], steps: number): number[] {
  const seq = [...prompt], V = model.config.vocabSize;
  return noGrad(() => {
    for (let s = 0; s < steps; s++) {
      const last = model.logits(new Tensor(Int32Array.from(seq), [1, seq.length])).f32.subarray((seq.length - 1) * V);
      let best = 0;
      for (let i = 1; i < V; i++) if (last[i]! > last[best]!) best = i;
      seq.push(best);
    }
    return seq.slice(prompt.length);
  });
}

/** Measured maximum logit differences, printed once at the end (README "Families" quotes them). */
const measured: string[] = [];

for (const c of fixture.cases) {
  for (const dtype of ['f32', 'bf16'] as const) {
    const dir = join(DIR, 'checkpoints', c.name, dtype);
    if (REFUSED[c.name]) {
      test(`family ${c.name} (${dtype}): refused by name`, () => {
        assert.throws(() => loadModelDir(dir, { tokenizer: false }), (e: unknown) => e instanceof CheckpointError && REFUSED[c.name]!.test(e.message));
      });
      continue;
    }
    const want = c[dtype];
    test(`family ${c.name} (${dtype}): logits, loss, gradients and greedy tokens of transformers ${fixture.transformers}`, () => {
      const { model } = loadModelDir(dir, { tokenizer: false });
      for (const t of model.parameters()) t.requiresGrad = true;
      const [B, T] = fixture.ids.shape as [number, number];
      const ids = new Tensor(Int32Array.from(fixture.ids.data), [B, T]);
      const targets = new Int32Array(B * T).fill(-100);
      for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) targets[b * T + t] = fixture.ids.data[b * T + t + 1]!;
      const logits = model.logits(ids);
      assert.deepEqual([...logits.shape], want.logits.shape);
      const d = maxDiff(logits.f32, want.logits.data);
      measured.push(`${c.name} ${dtype}: max |logit diff| ${d.toExponential(1)}`);
      assert.ok(d <= LOGIT_TOL, `${c.name} ${dtype}: logits differ from transformers by up to ${d} (> ${LOGIT_TOL})`);
      const loss = crossEntropy(logits, new Tensor(targets, [B, T]));
      assert.ok(Math.abs(loss.item() - want.loss) <= LOSS_TOL * Math.max(1, want.loss), `${c.name} ${dtype}: loss ${loss.item()} vs ${want.loss}`);
      loss.backward();
      for (const g of want.grads) {
        const grad = model.params.get(g.name)?.grad?.f32 ?? splitGrad(model, g.name);
        assert.ok(grad, `${c.name}: no gradient for ${g.name}`);
        const scale = Math.max(...g.data.map(Math.abs));
        const gd = maxDiff(grad, g.data);
        assert.ok(gd <= GRAD_TOL * scale, `${c.name} ${dtype}: gradient of ${g.name} differs by ${gd} (> ${GRAD_TOL}·${scale})`);
      }
      const [s] = generate(model, [fixture.prompt], { maxNewTokens: want.greedy.length, temperature: 0 });
      assert.deepEqual(s!.tokens, want.greedy, `${c.name} ${dtype}: greedy tokens`);
    });
  }
  if (REFUSED[c.name]) continue;
  test(`family ${c.name}: KV-cache decoding equals recompute, and a left-padded batch each row alone`, (t) => {
    const { model } = loadModelDir(join(DIR, 'checkpoints', c.name, 'f32'), { tokenizer: false });
    const short = fixture.prompt.slice(0, 2);
    const alone = [fixture.prompt, short].map((p) => generate(model, [p], { maxNewTokens: 20, temperature: 0 })[0]!.tokens);
    if (NO_RECOMPUTE[c.name]) { t.diagnostic(`not compared: ${NO_RECOMPUTE[c.name]}`); return; }
    assert.deepEqual(generate(model, [fixture.prompt, short], { maxNewTokens: 20, temperature: 0 }).map((s) => s.tokens), alone, 'batched with left padding');
    for (const [i, p] of [fixture.prompt, short].entries()) assert.deepEqual(alone[i], greedyByRecompute(model, p, 20), `prompt ${i}: cache vs recompute`);
  });
}

/** Phi-3's fused weights are split on load: the gradient of the fused tensor is its parts' stacked. */
function splitGrad(model: Transformer, name: string): Float32Array | undefined {
  const m = /^(model\.layers\.\d+)\.self_attn\.qkv_proj\.weight$/.exec(name);
  if (!m) return undefined;
  const parts = ['q_proj', 'k_proj', 'v_proj'].map((p) => model.params.get(`${m[1]}.self_attn.${p}.weight`)!.grad!);
  const out = new Float32Array(parts.reduce((a, p) => a + p.f32.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p.f32, at); at += p.f32.length; }
  return out;
}

test('families: measured logit differences', (t) => {
  for (const m of measured) t.diagnostic(m);
  if (process.env.ALIGNKIT_FAMILY_FIGURES) console.log(measured.join('\n'));
});
