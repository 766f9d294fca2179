import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../../io/temp-dir.test.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { defaultConfig } from '../config.js';
import { saveModelDir } from '../hf/checkpoint-dir.js';
import { Transformer } from '../transformer.js';
import { generate } from './generate.js';
import { generateText, stopTokensOf } from './generate-text.js';

test('generateText with chat: the prompt is a user message after the system one, in the built-in format for a tokenizer without a template', async () => {
  const tok = new ByteTokenizer();
  const dir = join(tempDir('alignkit-gen-chat-'), 'm');
  const model = new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 64 }), undefined, 9);
  saveModelDir(dir, model, { tokenizer: tok });
  const [s] = await generateText({ model: dir, prompt: 'Hi', chat: true, system: 'Be brief.', temperature: 0, maxNewTokens: 5 });
  const [ref] = generate(model, [tok.encode('system: Be brief.\nuser: Hi\nassistant: ')], { maxNewTokens: 5, temperature: 0, stopTokens: [tok.eos!], tokenizer: tok });
  assert.deepEqual([s!.prompt, s!.tokens, s!.completion], ['Hi', ref!.tokens.length, ref!.text]);
  const [plain] = await generateText({ model: dir, prompt: 'Hi', temperature: 0, maxNewTokens: 5 });
  const [refPlain] = generate(model, [tok.encode('Hi')], { maxNewTokens: 5, temperature: 0, stopTokens: [tok.eos!], tokenizer: tok });
  assert.equal(plain!.completion, refPlain!.text, 'without chat the prompt is sampled as written');
  await assert.rejects(generateText({ model: dir, prompt: 'x', system: 'y' }), /system is a message of a conversation; give chat too/);
});

test('stopTokensOf: the EOS and every end id generation_config.json lists, within the vocabulary', () => {
  const tok = new ByteTokenizer();
  assert.deepEqual(stopTokensOf(tok, null), [tok.eos]);
  assert.deepEqual(stopTokensOf(tok, { eos: [tok.eos!, 10, 9999] }), [tok.eos, 10]);
  assert.deepEqual(stopTokensOf(tok, { eos: 13 }), [tok.eos, 13]);
});
