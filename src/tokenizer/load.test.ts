import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainBpe } from './bpe/train.js';
import { ByteTokenizer } from './byte.js';
import { CharTokenizer } from './char.js';
import { loadTokenizer } from './load.js';
import { tempDir } from './test-util.test.js';

test('load: each native tokenizer comes back as itself, with the same specials', () => {
  const made = [
    new ByteTokenizer({ specials: ['<s>', '</s>', '<pad>'], bos: '<s>', eos: '</s>', pad: '<pad>' }),
    CharTokenizer.fromCorpus('hello world'),
    trainBpe('the cat sat on the mat; the cat sat on the hat. '.repeat(20), { vocabSize: 280 }),
  ];
  for (const tok of made) {
    const dir = tempDir();
    tok.save(dir);
    const back = loadTokenizer(dir);
    assert.equal(back.kind, tok.kind);
    assert.deepEqual([back.vocabSize, back.bos, back.eos, back.pad], [tok.vocabSize, tok.bos, tok.eos, tok.pad]);
    const s = 'the cat said hello<pad>';
    assert.deepEqual(back.encode(s, { addBos: tok.bos !== null, addEos: true }), tok.encode(s, { addBos: tok.bos !== null, addEos: true }));
  }
});

test('load: tokenizer.json keeps to the Hugging Face schema; the mark is in tokenizer_config.json', () => {
  const dir = tempDir();
  new ByteTokenizer().save(dir);
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  assert.deepEqual(Object.keys(json).sort(), ['added_tokens', 'decoder', 'model', 'normalizer', 'padding', 'post_processor', 'pre_tokenizer', 'truncation', 'version']);
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  assert.deepEqual(config.alignkit, { kind: 'byte', format: 1, specials: ['<|bos|>', '<|eos|>', '<|pad|>'] });
  assert.equal(config.eos_token, '<|eos|>');
});

test('load: a marked file that does not hold what the mark says is an error naming it', () => {
  const dir = tempDir();
  trainBpe('abababab cdcdcd '.repeat(5), { vocabSize: 262 }).save(dir);
  const path = join(dir, 'tokenizer.json');
  const json = JSON.parse(readFileSync(path, 'utf8'));
  json.model.merges.reverse();
  writeFileSync(path, JSON.stringify(json));
  assert.throws(() => loadTokenizer(dir), (e: Error) => e.message.includes(path));
  const configPath = join(dir, 'tokenizer_config.json');
  writeFileSync(configPath, JSON.stringify({ alignkit: { kind: 'byte', format: 99, specials: [] } }));
  assert.throws(() => loadTokenizer(dir), /alignkit format 99; this version reads format 1/);
});
