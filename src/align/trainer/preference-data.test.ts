import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeParquetFixture } from '../../../test/fixtures/parquet.js';
import { ByteTokenizer, loadTokenizer } from '../../tokenizer/index.js';
import { foreignDir } from '../../tokenizer/test-util.test.js';
import { loadPreferencePairs, tokenizePairs } from './preference-data.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-pref-data-'));
after(() => rmSync(root, { recursive: true, force: true }));
const file = (name: string, body: string | Uint8Array) => {
  const p = join(root, name);
  writeFileSync(p, body);
  return p;
};

test('preference files: strings, message lists rendered as SFT renders them, implicit prompts, parquet', async () => {
  const jsonl = file('prefs.jsonl', [
    { prompt: 'Sky?', chosen: ' Blue.', rejected: ' Green.' },
    { prompt: [{ role: 'user', content: 'Hi' }], chosen: [{ role: 'assistant', content: 'Hello!' }], rejected: [{ role: 'assistant', content: 'Go away.' }] },
    { chosen: 'Q: 2+2? A: 4', rejected: 'Q: 2+2? A: 5' },
  ].map((r) => JSON.stringify(r)).join('\n') + '\n');
  assert.deepEqual(await loadPreferencePairs(jsonl), [
    { prompt: 'Sky?', chosen: ' Blue.', rejected: ' Green.' },
    { prompt: 'user: Hi\n', chosen: 'assistant: Hello!\n', rejected: 'assistant: Go away.\n' },
    { prompt: 'Q: 2+2? A:', chosen: ' 4', rejected: ' 5' },
  ]);
  const pq = file('prefs.parquet', writeParquetFixture([
    { name: 'prompt', type: 'string', values: ['Whale?'] },
    { name: 'chosen', type: 'string', values: [' Ishmael.'] },
    { name: 'rejected', type: 'string', values: [' A fish.'] },
  ]));
  assert.deepEqual(await loadPreferencePairs(pq), [{ prompt: 'Whale?', chosen: ' Ishmael.', rejected: ' A fish.' }]);
});

test('preference files: errors name the file, the line and the field', async () => {
  await assert.rejects(loadPreferencePairs(file('text.jsonl', '{"text": "hi"}\n')), /text\.jsonl: records are in the "text" format; expected preference records/);
  await assert.rejects(loadPreferencePairs(file('same.jsonl', '{"chosen": "same", "rejected": "same"}\n')), /same\.jsonl:1: chosen is empty after taking the shared prompt off/);
  await assert.rejects(loadPreferencePairs(file('bad.jsonl', '{"prompt": "p", "chosen": 3, "rejected": "r"}\n')), /bad\.jsonl:1.*chosen/);
});

test('tokenizePairs: EOS closes each completion, an empty prompt becomes BOS', () => {
  const tok = new ByteTokenizer();
  const { pairs, truncated } = tokenizePairs([{ prompt: '', chosen: 'a', rejected: 'bc', margin: 2 }], tok, 16);
  assert.equal(truncated, 0);
  assert.deepEqual(pairs[0], { prompt: [tok.bos], chosen: [97, tok.eos], rejected: [98, 99, tok.eos], margin: 2 });
  assert.throws(() => tokenizePairs([{ prompt: 'p', chosen: 'a', rejected: 'b', margin: NaN }], tok, 16), /preference pair 0: margin must be a finite number, got NaN/);
});

test('conversational pairs render with the tokenizer\'s chat template: prompt with the generation prompt, each reply closed by the template\'s EOS, once', async () => {
  const tok = loadTokenizer(foreignDir());
  const chat = file('chat.jsonl', JSON.stringify({
    prompt: [{ role: 'user', content: 'Hi' }], chosen: [{ role: 'assistant', content: 'Hello!' }], rejected: [{ role: 'assistant', content: 'Go away.' }],
  }) + '\n');
  const [pair] = await loadPreferencePairs(chat, { tokenizer: tok });
  assert.deepEqual(pair, { prompt: '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n', chosen: 'Hello!<|im_end|>', rejected: 'Go away.<|im_end|>', chat: true });
  const { pairs } = tokenizePairs([pair!], tok, 64);
  const imEnd = tok.tokenId('<|im_end|>');
  assert.equal(tok.eos, imEnd);
  assert.deepEqual(pairs[0]!.chosen, tok.encode('Hello!<|im_end|>'), 'the template\'s <|im_end|> is the EOS: not added twice');
  assert.equal(pairs[0]!.prompt[0], tok.tokenId('<|im_start|>'), 'the template\'s special tokens are control tokens');
  const byte = new ByteTokenizer();
  const [builtin] = await loadPreferencePairs(chat, { tokenizer: byte });
  assert.deepEqual(builtin, { prompt: 'user: Hi\nassistant: ', chosen: 'Hello!<|eos|>', rejected: 'Go away.<|eos|>', chat: true });
  assert.deepEqual(tokenizePairs([builtin!], byte, 64).pairs[0]!.chosen, [...Buffer.from('Hello!')].concat(byte.eos!));
});
