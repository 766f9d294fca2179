// Writes a GGUF of every exported family in every dtype (at width 64, so Q8_0 quantizes every
// matrix) and a GGUF LoRA, into the directory given, for check_gguf.py:
//   node dist/test/export/write-check-files.js /tmp/gguf-check && python test/export/check_gguf.py /tmp/gguf-check
import { join } from 'node:path';
import { createLora, layoutOf, loadModelDir, saveModelDir, Transformer, validateConfig } from '../../src/model/index.js';
import { exportModel } from '../../src/model/export/export.js';
import { Rng } from '../../src/index.js';
import { charTokenizer, tempDir } from './llama-cpp-util.js';
import { CASES, familyModel } from './cases.js';

const dir = process.argv[2] ?? tempDir('check');
for (const c of CASES) {
  const { model } = loadModelDir(familyModel(c.fixture, c.change));
  const k = model.config;
  const cfg = validateConfig({ ...k, dModel: 64, dFF: k.family === 'gpt2' ? 256 : 128, nHead: 4, nKvHead: k.family === 'gpt2' ? 4 : 2, ...(k.headDim ? { headDim: 16 } : {}), initStd: 0.2 });
  const m = new Transformer(cfg, undefined, 7);
  const targets = k.family === 'gpt2' ? ['c_attn'] : k.modelType === 'phi3' ? ['o_proj'] : ['q_proj', 'v_proj'];
  m.lora = createLora(m.params, layoutOf(cfg), { rank: 4, alpha: 8, dropout: 0, targets }, new Rng(1));
  const src = tempDir('src');
  saveModelDir(src, m, { tokenizer: charTokenizer(48), adapters: 'peft' });
  const name = c.fixture;
  for (const dtype of ['f32', 'f16', 'bf16', 'q8_0'] as const) await exportModel({ model: src, adapter: 'ignore', dtype, out: join(dir, `${name}.${dtype}.gguf`), quiet: true });
  await exportModel({ model: src, format: 'gguf-lora', out: join(dir, `${name}.lora.gguf`), quiet: true });
}
console.log(dir);
