import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainBpe } from '../bpe/train.js';
import { applyChatTemplate } from './chat-template.js';
import { loadHfTokenizer } from './hf.js';
import { loadTokenizer } from '../load.js';
import { mobyDick, tempDir } from '../test-util.test.js';

const CHATML = [
  '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}',
  '{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}',
].join('');

/** A Hugging Face directory as transformers would write it, without our mark. */
function foreignDir(): string {
  const tok = trainBpe(mobyDick().slice(0, 50_000), { vocabSize: 320, specials: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], bos: null, eos: '<|endoftext|>', pad: null });
  const dir = tempDir();
  tok.save(dir);
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  delete config.alignkit;
  config.eos_token = { __type: 'AddedToken', content: '<|im_end|>', special: true };
  config.chat_template = CHATML;
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return dir;
}

test('chat template: a ChatML-like template renders with and without the generation prompt', () => {
  const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Who is Ahab?' }];
  const want = '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWho is Ahab?<|im_end|>\n';
  assert.equal(applyChatTemplate(CHATML, messages), want);
  assert.equal(applyChatTemplate(CHATML, messages, { addGenerationPrompt: true }), `${want}<|im_start|>assistant\n`);
  const withBos = applyChatTemplate('{{ bos_token }}{{ messages[0].content }}{{ eos_token }}', messages, { bosToken: '<s>', eosToken: '</s>' });
  assert.equal(withBos, '<s>Be brief.</s>');
  assert.throws(() => applyChatTemplate(CHATML, [{ role: 'user' } as never]), /messages\[0\] is .*expected \{role: string, content: string\}/);
});

test('hf: a foreign tokenizer.json loads through @huggingface/tokenizers with config specials and template', () => {
  const dir = foreignDir();
  const tok = loadTokenizer(dir);
  assert.equal(tok.kind, 'hf');
  const hf = loadHfTokenizer(dir);
  assert.equal(hf.eos, hf.tokenId('<|im_end|>'));
  assert.equal(hf.bos, null);
  const prompt = hf.applyChatTemplate([{ role: 'user', content: 'Call me Ishmael.' }], { addGenerationPrompt: true });
  const ids = hf.encode(prompt);
  assert.equal(ids[0], hf.tokenId('<|im_start|>'), 'special strings in a rendered template become single ids');
  assert.equal(hf.decode(ids), prompt);
  assert.equal(hf.decode(hf.encode('Call me Ishmael.', { addEos: true }), { skipSpecial: true }), 'Call me Ishmael.');
  assert.equal(hf.decode([]), '');
});

test('hf: parseSpecial false encodes text without special tokens as usual (what trainers pass) and names a special it cannot keep literal', () => {
  const hf = loadHfTokenizer(foreignDir());
  const text = 'Call me Ishmael. Some years ago';
  assert.deepEqual(hf.encode(text, { parseSpecial: false }), hf.encode(text));
  assert.throws(() => hf.encode('a <|im_end|> b', { parseSpecial: false }), /holds the special token "<\|im_end\|>"/);
});

test('hf: the HF runtime and our native BPE agree on the same files', () => {
  const tok = trainBpe(mobyDick().slice(0, 50_000), { vocabSize: 400 });
  const dir = tempDir();
  tok.save(dir);
  const viaHf = loadTokenizer(dir, { forceHf: true });
  assert.equal(viaHf.kind, 'hf');
  assert.deepEqual([viaHf.vocabSize, viaHf.bos, viaHf.eos, viaHf.pad], [tok.vocabSize, tok.bos, tok.eos, tok.pad]);
  const s = 'There she blows!—there she blows! A hump like a snow-hill! It is Moby Dick!<|eos|>';
  assert.deepEqual(viaHf.encode(s, { addBos: true }), tok.encode(s, { addBos: true }));
  assert.equal(viaHf.idToken(300), tok.idToken(300));
});

test('hf: missing or malformed tokenizer.json gives an error that names the file', () => {
  const dir = tempDir();
  const path = join(dir, 'tokenizer.json');
  assert.throws(() => loadTokenizer(dir), (e: Error) => e.message.includes(path) && /not found/.test(e.message));
  writeFileSync(path, '{"model": {"type": "BPE", "vocab": ');
  assert.throws(() => loadTokenizer(dir), (e: Error) => e.message.includes(path) && /not valid JSON/.test(e.message));
  writeFileSync(path, '{"version": "1.0"}');
  assert.throws(() => loadTokenizer(dir), (e: Error) => e.message.includes(path) && /no "model" object/.test(e.message));
  writeFileSync(path, '{"model": {"type": "Mystery"}}');
  assert.throws(() => loadTokenizer(dir), (e: Error) => e.message.includes(path) && /could not be loaded/.test(e.message));
});

test('hf: a config naming a special token that is not in the vocabulary is refused', () => {
  const dir = foreignDir();
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<nope>' }));
  assert.throws(() => loadHfTokenizer(dir), /bos token "<nope>" is not in the vocabulary of .*tokenizer\.json/);
  mkdirSync(join(dir, 'sub'));
  assert.throws(() => loadHfTokenizer(join(dir, 'sub')), /tokenizer\.json not found at .*sub/);
});
