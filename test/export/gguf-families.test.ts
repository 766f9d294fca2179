// Every family alignkit exports to GGUF, in f32 and f16, loaded by real llama.cpp (node-llama-cpp
// 3.21.1, its prebuilt CPU binary): on 3 fixed prompts, llama.cpp's own greedy run gives alignkit's
// 20 greedy tokens, and its log-probabilities along that path are within tolerance of alignkit's.
// Models: the family fixtures of test/golden/families (transformers' classes, random weights,
// vocabulary 48) with a 48-id char tokenizer beside them; where llama.cpp's graph fixes what the
// fixture varies (Gemma 3's local RoPE base and window pattern, Mistral's window, which llama.cpp's
// llama graph lacks), the same weights with that setting at llama.cpp's value, said per case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModelDir } from '../../src/model/index.js';
import { exportModel } from '../../src/model/export/export.js';
import { alignkitGreedy, checkAgreement, fixedPrompts, llamaCpp, llamaCppRuns, tempDir } from './llama-cpp-util.js';
import { CASES, EOS, familyModel, STEPS } from './cases.js';

/**
 * Log-probability tolerances. f32: llama.cpp computes in float32 as alignkit does, except GELU,
 * which ggml's CPU backend reads from an F16 table (GPT-2, Gemma). f16: llama.cpp also rounds the
 * activations to F16 for each matrix product.
 */
const GELU = new Set(['gpt2', 'gemma2 (no attention soft-cap)', 'gemma3']);
const TOL = { f32: (n: string) => (GELU.has(n) ? 5e-3 : 2e-5), f16: () => 3e-2 };

const figures: string[] = [];

for (const c of CASES) {
  for (const dtype of ['f32', 'f16'] as const) {
    test(`gguf ${dtype}, ${c.name}${c.why ? ` (${c.why})` : ''}: llama.cpp's greedy tokens are alignkit's, log-probabilities within tolerance`, async (t) => {
      const llama = await llamaCpp();
      if (typeof llama === 'string') return t.skip(llama);
      const dir = familyModel(c.fixture, c.change);
      const { model } = loadModelDir(dir);
      const V = model.config.vocabSize, prompts = fixedPrompts(V);
      const refs = prompts.map((p) => alignkitGreedy(model, p, STEPS));
      const file = join(tempDir('gguf'), `${c.fixture}.${dtype}.gguf`);
      await exportModel({ model: dir, out: file, dtype, quiet: true });
      const runs = await llamaCppRuns(file, V, prompts, refs.map((r) => r.greedy));
      const tol = TOL[dtype](c.name);
      const a = checkAgreement(assert, refs, runs, tol, EOS, `${c.name} ${dtype}`);
      figures.push(`${c.name} ${dtype}: max |Δ log p| ${a.worst.toExponential(1)}; near ties (margin < ${(2 * a.worst).toPrecision(2)}) ${a.nearTies}/${a.steps}`);
      assert.ok(a.nearTies <= a.steps / 4, `${a.nearTies} of ${a.steps} steps are near ties: the case checks too little`);
    });
  }
}

test.after(() => { if (process.env.ALIGNKIT_EXPORT_FIGURES) console.log(figures.join('\n')); });
