import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainBpe } from '../bpe/train.js';
import { mobyDick } from '../test-util.test.js';
import { applyChatTemplate } from './chat-template.js';
import { loadHfTokenizer } from './load-dir.js';
import { loadTokenizer } from '../load.js';
import type { HfTokenizer } from './hf.js';
import { CHATML, foreignDir, tempDir } from '../test-util.test.js';

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

test('hf: parseSpecial false tokenizes special strings as text, as Python does under encode_special_tokens', () => {
  const hf = loadHfTokenizer(foreignDir());
  const text = 'Call me <|im_start|>Ishmael<|im_end|>.';
  const parsed = hf.encode(text), plain = hf.encode(text, { parseSpecial: false });
  const specials = new Set(['<|im_start|>', '<|im_end|>', '<|endoftext|>'].map((s) => hf.tokenId(s)));
  assert.ok(parsed.some((id) => specials.has(id)));
  assert.ok(!plain.some((id) => specials.has(id)), 'no control token comes out of untrusted text');
  assert.equal(hf.decode(plain), text);
  assert.deepEqual(hf.encode('no specials here', { parseSpecial: false }), hf.encode('no specials here'));
  assert.deepEqual(hf.specialTokens, ['<|endoftext|>', '<|im_start|>', '<|im_end|>']);
});

test('hf: vocab.json + merges.txt load as transformers builds them; special_tokens_map.json wins over the config', () => {
  const dir = foreignDir();
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  const full = loadHfTokenizer(dir);
  const slow = tempDir();
  writeFileSync(join(slow, 'vocab.json'), JSON.stringify(json.model.vocab));
  writeFileSync(join(slow, 'merges.txt'), `#version: 0.2\n${json.model.merges.join('\n')}\n`);
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  config.tokenizer_class = 'GPT2TokenizerFast';
  config.added_tokens_decoder = Object.fromEntries(json.added_tokens.map((t: { id: number }) => [String(t.id), t]));
  writeFileSync(join(slow, 'tokenizer_config.json'), JSON.stringify(config));
  writeFileSync(join(slow, 'special_tokens_map.json'), JSON.stringify({ eos_token: { content: '<|endoftext|>' } }));
  const tok = loadTokenizer(slow) as HfTokenizer;
  const s = 'Call me Ishmael. Some years ago<|im_end|> never mind how long';
  assert.deepEqual(tok.encode(s), full.encode(s));
  assert.equal(tok.eos, tok.tokenId('<|endoftext|>'), 'special_tokens_map.json names the EOS');
  assert.equal(tok.chatTemplate, CHATML);
  config.tokenizer_class = 'BertTokenizer';
  writeFileSync(join(slow, 'tokenizer_config.json'), JSON.stringify(config));
  assert.throws(() => loadTokenizer(slow), /tokenizer_class "BertTokenizer".*only GPT2Tokenizer, Qwen2Tokenizer are read/);
  config.tokenizer_class = 'GPT2Tokenizer';
  writeFileSync(join(slow, 'tokenizer_config.json'), JSON.stringify(config));
  writeFileSync(join(slow, 'merges.txt'), '#version: 0.2\nĠ t\nbad line here\n');
  assert.throws(() => loadTokenizer(slow), /merges\.txt:3 is "bad line here"; expected "left right"/);
});
