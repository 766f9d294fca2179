// bf16 and q8_0 GGUF exports in real llama.cpp (node-llama-cpp 3.21.1, CPU). llama.cpp rounds the
// activations too (to BF16, or to Q8_0 blocks) for each matrix product, so its log-probabilities
// differ from alignkit's by more than the weights' rounding. alignkit runs the weights the file
// holds (each tensor rounded to BF16, or quantized to Q8_0 and read back, as llama.cpp reads it), so
// what is left is llama.cpp's arithmetic. Greedy tokens are checked where the
// margin allows (checkAgreement: every step whose top-2 margin exceeds twice the largest
// log-probability difference measured, and llama.cpp's own run up to the first nearer tie), on
// the same 3 fixed prompts as the f32/f16 test. bf16 runs on the family fixtures; q8_0 needs rows
// of whole 32-value blocks, so it runs on the same families at width 64 (random weights, std 0.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModelDir, saveModelDir, Transformer, validateConfig, type ModelConfig } from '../../src/model/index.js';
import { exportModel } from '../../src/model/export/export.js';
import { ggufModel, storedType } from '../../src/model/export/gguf-model.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/io/float16.js';
import { decodeQ8_0, encodeTensor, type GgufType } from '../../src/io/gguf.js';
import { alignkitGreedy, charTokenizer, checkAgreement, fixedPrompts, llamaCpp, llamaCppRuns, tempDir } from './llama-cpp-util.js';
import { CASES, EOS, familyModel, STEPS } from './cases.js';

const TOL = { bf16: 0.15, q8_0: 0.3 };
const figures: string[] = [];

/** The values llama.cpp reads from a tensor stored as `type`. */
function asStored(x: Float32Array, type: GgufType): Float32Array {
  if (type === 'bf16') return x.map((v) => bf16ToF32(f32ToBf16(v)));
  if (type === 'f16') return x.map((v) => f16ToF32(f32ToF16(v)));
  if (type === 'q8_0') return decodeQ8_0(encodeTensor({ name: 'x', shape: [x.length], type, data: x }), x.length);
  return x;
}

/** The case's model at width 64 (head size 16), fresh weights of std 0.2 so that logits are not all ties. */
function wide(fixture: string, change?: (c: ModelConfig) => ModelConfig): string {
  const { model } = loadModelDir(familyModel(fixture, change));
  const c = model.config;
  const cfg = validateConfig({ ...c, dModel: 64, dFF: c.family === 'gpt2' ? 256 : 128, nHead: 4, nKvHead: c.family === 'gpt2' ? 4 : 2, ...(c.headDim ? { headDim: 16 } : {}), initStd: 0.2 });
  const out = tempDir('wide');
  saveModelDir(out, new Transformer(cfg, undefined, 7), { tokenizer: charTokenizer(48) });
  return out;
}

for (const c of CASES) {
  for (const dtype of ['bf16', 'q8_0'] as const) {
    test(`gguf ${dtype}, ${c.name}${dtype === 'q8_0' ? ' at width 64' : ''}: llama.cpp's greedy tokens are alignkit's where the margin allows`, async (t) => {
      const llama = await llamaCpp();
      if (typeof llama === 'string') return t.skip(llama);
      const dir = dtype === 'q8_0' ? wide(c.fixture, c.change) : familyModel(c.fixture, c.change);
      const { model } = loadModelDir(dir);
      for (const p of model.params.values()) p.f32.set(asStored(p.f32, storedType(p.shape, dtype)), 0);
      if (dtype === 'q8_0') {
        const types = ggufModel(model.config, model.params, 'q8_0', 'x').tensors.map((x) => x.type);
        assert.ok(types.filter((x) => x === 'q8_0').length >= 4 * model.config.nLayer, `only ${types.filter((x) => x === 'q8_0').length} Q8_0 tensors`);
      }
      const V = model.config.vocabSize, prompts = fixedPrompts(V);
      const refs = prompts.map((p) => alignkitGreedy(model, p, STEPS));
      const file = join(tempDir('gguf'), `${c.fixture}.${dtype}.gguf`);
      await exportModel({ model: dir, out: file, dtype, quiet: true });
      const runs = await llamaCppRuns(file, V, prompts, refs.map((r) => r.greedy));
      const a = checkAgreement(assert, refs, runs, TOL[dtype], EOS, `${c.name} ${dtype}`);
      figures.push(`${c.name} ${dtype}: max |Δ log p| ${a.worst.toExponential(1)}; near ties (margin < ${(2 * a.worst).toPrecision(2)}) ${a.nearTies}/${a.steps}`);
      // Q8_0 activations move log-probabilities by ~0.2 on these random models, whose top-2 margins are often smaller.
      assert.ok(a.nearTies <= a.steps / (dtype === 'q8_0' ? 2 : 3), `${a.nearTies} of ${a.steps} steps are near ties: the case checks too little`);
    });
  }
}

test.after(() => { if (process.env.ALIGNKIT_EXPORT_FIGURES) console.log(figures.join('\n')); });
