import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpeTokenizer } from './bpe.js';
import { trainBpe } from './train.js';
import { loadTokenizer } from '../load.js';
import { hfFromDir, mobyDick, randomText, rng, tempDir } from '../test-util.test.js';

const text = mobyDick();
const corpus = text.slice(0, 200_000);
const heldOut = text.slice(400_000, 450_000);
const t0 = performance.now();
const tok = trainBpe(corpus, { vocabSize: 512 });
const trainMs = performance.now() - t0;

const sentences = [
  'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse,',
  "I'll say it's the whale's; they'd've SEEN it, wouldn't they?",
  '  indented\n\n\n\ttabbed   spaces  at the end   ',
  'Numbers 1851, 3.14159 and 2024-06-01; e-mail: ahab@pequod.sea',
  'naïve café, 白鯨, e\u0301, 🐋🐳 and a ZWJ 👩‍👩‍👧',
  'the end<|eos|>not the end<|pad|><|pad|>',
];

test('bpe: trains a 512-token vocabulary on 200 KB of Moby-Dick within seconds', () => {
  assert.equal(tok.vocabSize, 512);
  assert.equal(tok.merges.length, 512 - 256 - 3);
  assert.deepEqual([tok.bos, tok.eos, tok.pad], [509, 510, 511]);
  assert.ok(trainMs < 5000, `training took ${trainMs.toFixed(0)} ms`);
});

test('bpe: held-out text, odd whitespace and random Unicode round-trip', () => {
  assert.equal(tok.decode(tok.encode(heldOut)), heldOut);
  for (const s of sentences) assert.equal(tok.decode(tok.encode(s)), s);
  const rand = rng(3);
  for (let i = 0; i < 200; i++) {
    const s = randomText(rand, 30);
    assert.equal(tok.decode(tok.encode(s)), s);
  }
});

test('bpe: compresses held-out English to under half as many tokens as bytes', () => {
  const ratio = Buffer.byteLength(heldOut) / tok.encode(heldOut).length;
  assert.ok(ratio > 1.9, `bytes per token ${ratio.toFixed(3)}`);
});

test('bpe: training is deterministic and the tokenizer is a function of its merges', () => {
  const again = trainBpe(corpus, { vocabSize: 512 });
  assert.deepEqual(again.merges, tok.merges);
  const rebuilt = new BpeTokenizer(tok.merges);
  for (const s of sentences) assert.deepEqual(rebuilt.encode(s), tok.encode(s));
  assert.ok(tok.idToken(256).length >= 2, 'the first merge spells two byte characters');
  assert.equal(tok.idToken(tok.tokenId('Ġthe')!), 'Ġthe');
});

test('bpe: decodeBytes is exact even when ids split a character', () => {
  const ids = tok.encode('🐋');
  assert.ok(ids.length > 1, 'a 4-byte emoji outside the corpus takes several tokens');
  const bytes = ids.map((id) => tok.decodeBytes([id]));
  assert.deepEqual(Buffer.concat(bytes), Buffer.from('🐋'));
  assert.equal(tok.decode(ids.slice(0, 1)), '\ufffd');
});

test('bpe: saved tokenizer.json loads in @huggingface/tokenizers and encodes identically', () => {
  const dir = tempDir();
  tok.save(dir);
  const hf = hfFromDir(dir);
  for (const s of [...sentences, heldOut.slice(0, 5000)]) {
    const ids = tok.encode(s);
    assert.deepEqual(hf.encode(s, { add_special_tokens: false }).ids, ids, s.slice(0, 40));
    assert.equal(hf.decode(ids, { clean_up_tokenization_spaces: false }), tok.decode(ids));
  }
  const back = loadTokenizer(dir);
  assert.equal(back.kind, 'bpe');
  assert.deepEqual(back.encode(heldOut), tok.encode(heldOut));
});

test('bpe: specials are never merged into and vocabSize is validated', () => {
  const small = trainBpe('ab<|eos|>ab<|eos|>ab<|eos|>', { vocabSize: 300 });
  assert.deepEqual(small.merges, [[97, 98]]);
  assert.deepEqual(small.encode('ab<|eos|>'), [256, small.eos]);
  assert.throws(() => trainBpe('x', { vocabSize: 100 }), /vocabSize is 100; expected an integer >= 259/);
  assert.throws(() => new BpeTokenizer([[1, 999]]), /merges\[0\] is \[1, 999\]/);
});
