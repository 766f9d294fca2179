import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteTokenizer } from './byte.js';
import { loadTokenizer } from './load.js';
import { hfFromDir, randomText, rng, tempDir } from './test-util.test.js';

test('byte: random byte arrays, invalid UTF-8 included, round-trip exactly', () => {
  const tok = new ByteTokenizer();
  const rand = rng(1);
  const cases = [Uint8Array.of(0xff, 0xfe, 0x80), Uint8Array.of(0xe2, 0x82), Uint8Array.of(0xc0, 0xaf, 0xed, 0xa0, 0x80)];
  for (let i = 0; i < 200; i++) cases.push(Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
  for (const bytes of cases) {
    const ids = tok.encodeBytes(bytes);
    assert.deepEqual(ids, Array.from(bytes));
    assert.deepEqual(tok.decodeBytes(ids), bytes);
  }
});

test('byte: random Unicode strings (emoji, CJK, combining marks) round-trip', () => {
  const tok = new ByteTokenizer();
  const rand = rng(2);
  const fixed = ['', 'héllo wörld', '日本語のテキスト', 'e\u0301\u0302', '👩‍👩‍👧‍👦 🏳️‍🌈', '\u{10ffff}\u0000\t\r\n'];
  for (const s of [...fixed, ...Array.from({ length: 300 }, () => randomText(rand, 40))]) {
    const ids = tok.encode(s);
    assert.equal(ids.length, Buffer.byteLength(s, 'utf8'));
    assert.equal(tok.decode(ids), s);
  }
});

test('byte: specials sit after the bytes, are parsed from text, and can be skipped', () => {
  const tok = new ByteTokenizer();
  assert.deepEqual([tok.bos, tok.eos, tok.pad, tok.vocabSize], [256, 257, 258, 259]);
  const ids = tok.encode('hi<|eos|>', { addBos: true });
  assert.deepEqual(ids, [256, 104, 105, 257]);
  assert.equal(tok.encode('hi<|eos|>', { parseSpecial: false }).length, 9);
  assert.equal(tok.decode(ids), '<|bos|>hi<|eos|>');
  assert.equal(tok.decode(ids, { skipSpecial: true }), 'hi');
  assert.equal(tok.idToken(32), 'Ġ');
  assert.equal(tok.tokenId('<|pad|>'), 258);
});

test('byte: custom specials and boundary errors', () => {
  const tok = new ByteTokenizer({ specials: ['<s>', '</s>'], bos: '<s>', eos: '</s>' });
  assert.deepEqual([tok.bos, tok.eos, tok.pad, tok.vocabSize], [256, 257, null, 258]);
  assert.throws(() => new ByteTokenizer({ specials: ['<s>'], eos: '</s>' }), /eos is "<\/s>"; expected one of/);
  assert.throws(() => new ByteTokenizer({ specials: ['a', 'a'] }), /listed twice/);
  assert.throws(() => new ByteTokenizer({ specials: [] }).encode('x', { addEos: true }), /no EOS token/);
  assert.throws(() => tok.decode([1, 258]), /ids\[1\] is 258; expected an integer in \[0, 258\)/);
});

test('byte: saved files load natively and Hugging Face encodes identically', () => {
  const tok = new ByteTokenizer();
  const dir = tempDir();
  tok.save(dir);
  const back = loadTokenizer(dir);
  assert.equal(back.kind, 'byte');
  assert.deepEqual([back.bos, back.eos, back.pad, back.vocabSize], [256, 257, 258, 259]);
  const hf = hfFromDir(dir);
  for (const s of ['Call me Ishmael.', '  spaces\n\n\ttabs', 'naïve café 😀', 'a<|eos|>b<|pad|>']) {
    assert.deepEqual(hf.encode(s, { add_special_tokens: false }).ids, tok.encode(s), s);
    assert.deepEqual(back.encode(s), tok.encode(s));
  }
});
