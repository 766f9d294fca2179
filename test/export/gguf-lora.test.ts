// A LoRA adapter exported as llama.cpp's GGUF LoRA, applied by node-llama-cpp (its `lora` context
// option) to the base GGUF, gives alignkit's base+adapter greedy tokens; the merged GGUF gives them
// too. Families that exercise each transform the adapter needs: llama (q/k rows permuted for
// llama.cpp's RoPE), qwen2, gemma2 (its attention scale folded into q_proj, so into B), phi3 (only
// o_proj and down_proj: llama.cpp fuses the others) and gpt2 (Conv1D weights stored transposed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createLora, layoutOf, loadModelDir, saveModelDir, Transformer } from '../../src/model/index.js';
import { exportModel } from '../../src/model/export/export.js';
import { Rng } from '../../src/index.js';
import { alignkitGreedy, charTokenizer, checkAgreement, fixedPrompts, llamaCpp, llamaCppRuns, tempDir } from './llama-cpp-util.js';
import { EOS, familyModel, STEPS } from './cases.js';

const FAMILIES: { fixture: string; targets?: string[] }[] = [
  { fixture: 'llama' }, { fixture: 'qwen2' }, { fixture: 'gemma2-no-attn-cap' }, { fixture: 'phi3', targets: ['o_proj', 'down_proj'] }, { fixture: 'gpt2' },
];

/** The fixture with adapters of rank 4, alpha 8, B drawn at random (a trained adapter's B is not zero), saved as base + PEFT adapter. */
function adapted(fixture: string, targets?: string[]): string {
  const { model } = loadModelDir(familyModel(fixture));
  const m = new Transformer(model.config, model.params);
  const rng = new Rng(3);
  const all = m.config.family === 'gpt2' ? ['c_attn', 'c_proj', 'c_fc'] : ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
  m.lora = createLora(m.params, layoutOf(m.config), { rank: 4, alpha: 8, dropout: 0, targets: targets ?? all }, rng);
  for (const a of m.lora.values()) for (let i = 0; i < a.B.size; i++) a.B.f32[i] = rng.normal() * 0.5;
  const dir = tempDir('lora');
  saveModelDir(dir, m, { tokenizer: charTokenizer(48), adapters: 'peft' });
  return dir;
}

for (const f of FAMILIES) {
  test(`gguf-lora, ${f.fixture}: node-llama-cpp with the base GGUF and the GGUF LoRA gives alignkit's base+adapter greedy tokens; so does the merged GGUF`, async (t) => {
    const llama = await llamaCpp();
    if (typeof llama === 'string') return t.skip(llama);
    const dir = adapted(f.fixture, f.targets);
    const { model } = loadModelDir(dir); // adapters attached
    assert.ok(model.lora.size > 0);
    const V = model.config.vocabSize, prompts = fixedPrompts(V);
    const refs = prompts.map((p) => alignkitGreedy(model, p, STEPS));
    const { model: base } = loadModelDir(dir, { adapters: 'ignore' });
    const baseGreedy = prompts.map((p) => alignkitGreedy(base, p, STEPS).greedy);
    assert.notDeepEqual(baseGreedy, refs.map((r) => r.greedy), 'the adapter changes the greedy tokens (else the test could not tell it was applied)');
    const out = tempDir('gguf');
    await exportModel({ model: dir, format: 'gguf', adapter: 'ignore', dtype: 'f32', out: join(out, 'base.gguf'), quiet: true });
    await exportModel({ model: dir, format: 'gguf-lora', out: join(out, 'lora.gguf'), quiet: true });
    await exportModel({ model: dir, format: 'gguf', dtype: 'f32', out: join(out, 'merged.gguf'), quiet: true });
    const tol = f.fixture === 'gpt2' || f.fixture.startsWith('gemma') ? 5e-3 : 2e-5; // ggml's GELU table, as in the family test
    const withLora = await llamaCppRuns(join(out, 'base.gguf'), V, prompts, refs.map((r) => r.greedy), join(out, 'lora.gguf'));
    checkAgreement(assert, refs, withLora, tol, EOS, `${f.fixture} base + GGUF LoRA`);
    const merged = await llamaCppRuns(join(out, 'merged.gguf'), V, prompts, refs.map((r) => r.greedy));
    checkAgreement(assert, refs, merged, tol, EOS, `${f.fixture} merged`);
  });
}
