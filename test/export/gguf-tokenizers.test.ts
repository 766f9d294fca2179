// Real tokenizers in GGUF: a tiny random llama-layout model carrying the tokenizer of SmolLM2,
// Qwen3, Llama 3, GPT-2 and TinyLlama (SentencePiece-style, byte fallback; their files read in place from the shared data folder; skipped, saying
// why, when absent) is exported, and llama.cpp (node-llama-cpp) tokenizes fixed texts into
// alignkit's ids, decodes them back, and reads the chat template, BOS/EOS ids and the
// pre-tokenizer the export chose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { saveModelDir, Transformer, defaultConfig } from '../../src/model/index.js';
import { exportModel } from '../../src/model/export/export.js';
import { BUILTIN_CHAT_TEMPLATE, loadTokenizer } from '../../src/tokenizer/index.js';
import { sharedData } from '../fixtures/shared-data.js';
import { llamaCpp, tempDir } from './llama-cpp-util.js';

const MODELS: [string, string][] = [['SmolLM2-135M-Instruct', 'smollm'], ['Qwen3-0.6B', 'qwen2'], ['Meta-Llama-3-8B-Instruct', 'llama-bpe'], ['gpt2-large', 'gpt-2'], ['TinyLlama-1.1B-Chat-v1.0', 'default']];
// Fixed before any run: words, contractions, digit runs, punctuation, whitespace runs and newlines, accents, CJK, emoji, code.
const TEXTS = [
  'Hello world', "I'm sure they'll say it's 12345 apples.", '  two  spaces\n\nand\ttabs  ', 'Café naïve — “quotes”', '日本語のテキスト',
  'emoji 🙂👍 mix', 'def f(x):\n    return x**2 + 10', '3.14159 x 2,000,000 = ?',
];

/** transformers' clean_up_tokenization. */
const cleanUp = (s: string): string => s.replace(/ \./g, '.').replace(/ \?/g, '?').replace(/ !/g, '!').replace(/ ,/g, ',').replace(/ ' /g, "'")
  .replace(/ n't/g, "n't").replace(/ 'm/g, "'m").replace(/ 's/g, "'s").replace(/ 've/g, "'ve").replace(/ 're/g, "'re");

for (const [name, pre] of MODELS) {
  test(`gguf tokenizer, ${name}: llama.cpp's pre-tokenizer "${pre}" gives alignkit's ids and text; chat template, BOS and EOS carried`, async (t) => {
    const files = sharedData(join('hf-models', name));
    if (files.skip) return t.skip(files.skip);
    const llama = await llamaCpp();
    if (typeof llama === 'string') return t.skip(llama);
    const tok = loadTokenizer(files.path!);
    const dir = tempDir('tok');
    const cfg = defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nKvHead: 1, nLayer: 1, dFF: 32, tieEmbeddings: true });
    saveModelDir(dir, new Transformer(cfg), { tokenizer: tok });
    const file = join(tempDir('gguf'), 'm.gguf');
    await exportModel({ model: dir, out: file, dtype: 'f16', quiet: true });
    const model = await llama.loadModel({ modelPath: file });
    try {
      const meta = model.fileInfo.metadata as unknown as { tokenizer: { ggml: Record<string, unknown>; chat_template?: string } };
      assert.equal(meta.tokenizer.ggml.pre, pre);
      assert.equal(meta.tokenizer.chat_template, tok.chatTemplate ?? BUILTIN_CHAT_TEMPLATE); // GPT-2 has none: alignkit's built-in format
      assert.equal(model.tokens.bos ?? null, tok.bos);
      assert.equal(model.tokens.eos ?? null, tok.eos);
      for (const text of TEXTS) {
        const want = tok.encode(text, { parseSpecial: false });
        assert.deepEqual(model.tokenize(text), want, JSON.stringify(text));
        // llama.cpp applies transformers' clean_up_tokenization_spaces for llama-bpe and gpt-2; alignkit decodes exactly (README, "Bring your own model").
        assert.equal(model.detokenize(want as never), pre === 'llama-bpe' || pre === 'gpt-2' ? cleanUp(tok.decode(want)) : tok.decode(want), JSON.stringify(text));
      }
    } finally {
      await model.dispose();
    }
  });
}
