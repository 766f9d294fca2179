import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharTokenizer } from './char.js';
import { loadTokenizer } from './load.js';
import { hfFromDir, tempDir } from './test-util.test.js';

const corpus = 'the whale, the WHALE! 白鯨 — e\u0301 🐋\n';

test('char: vocabulary is the sorted code points, then unk, then specials', () => {
  const tok = CharTokenizer.fromCorpus(corpus);
  const chars = [...new Set(corpus)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  assert.deepEqual(tok.chars, chars);
  assert.equal(tok.unk, chars.length);
  assert.deepEqual([tok.bos, tok.eos, tok.pad], [chars.length + 1, chars.length + 2, chars.length + 3]);
  assert.equal(tok.vocabSize, chars.length + 4);
  assert.equal(tok.idToken(tok.unk), '<|unk|>');
});

test('char: text made of known characters round-trips, one id per code point', () => {
  const tok = CharTokenizer.fromCorpus(corpus);
  const ids = tok.encode('the 🐋 白鯨', { addBos: true, addEos: true });
  assert.equal(ids.length, [...'the 🐋 白鯨'].length + 2);
  assert.equal(tok.decode(ids, { skipSpecial: true }), 'the 🐋 白鯨');
  assert.equal(tok.decode(ids), '<|bos|>the 🐋 白鯨<|eos|>');
});

test('char: unseen characters become unk', () => {
  const tok = CharTokenizer.fromCorpus(corpus);
  const ids = tok.encode('thé Z');
  assert.deepEqual(ids.map((id) => id === tok.unk), [false, false, true, false, true]);
  assert.equal(tok.decode(ids), 'th<|unk|> <|unk|>');
  assert.equal(tok.decode(ids, { skipSpecial: true }), 'th ');
});

test('char: saved files load natively and Hugging Face encodes and decodes identically', () => {
  const tok = CharTokenizer.fromCorpus(corpus, { unk: '<unk>', specials: ['<eos>'], eos: '<eos>' });
  const dir = tempDir();
  tok.save(dir);
  const back = loadTokenizer(dir);
  assert.equal(back.kind, 'char');
  assert.deepEqual([back.vocabSize, back.bos, back.eos, back.pad], [tok.vocabSize, null, tok.eos, null]);
  const hf = hfFromDir(dir);
  for (const s of ['the whale', 'WHALE 白鯨 Zebra', 'e\u0301<eos>q', '🐋🐋\n<unk>']) {
    const ids = tok.encode(s);
    assert.deepEqual(hf.encode(s, { add_special_tokens: false }).ids, ids, s);
    assert.deepEqual(back.encode(s), ids);
    assert.equal(hf.decode(ids, { clean_up_tokenization_spaces: false }), tok.decode(ids));
  }
});

test('char: a special that is also a character is refused', () => {
  assert.throws(() => new CharTokenizer(['a', '#'], { specials: ['#'] }), /special "#" is also a character/);
  assert.throws(() => new CharTokenizer(['ab']), /chars\[0\] is "ab"; expected a single code point/);
});
