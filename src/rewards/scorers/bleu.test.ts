// Reference values from sacrebleu's own test suite (github.com/mjpost/sacrebleu,
// test/test_sentence_bleu.py, v2.x), plus an example computed by hand below.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bleuStatistics, corpusBleu, sentenceBleu, tokenize13a, type BleuOptions } from './bleu.js';

const close = (got: number, want: number, eps = 1e-3) => assert.ok(Math.abs(got - want) < eps, `got ${got}, expected ${want}`);

test('sentence BLEU by hand: "the cat sat on the mat" against "the cat is on the mat"', () => {
  // 1-grams: the×2 cat sat on mat vs the×2 cat is on mat → 5/6
  // 2-grams: the-cat cat-sat sat-on on-the the-mat → the-cat on-the the-mat match: 3/5
  // 3-grams: 4 of them, only on-the-mat matches: 1/4
  // 4-grams: 3, none match → 'exp' smoothing: first empty order gets 1/(2·3) = 1/6
  // BP = 1 (both 6 tokens); BLEU = (5/6 · 3/5 · 1/4 · 1/6)^(1/4) = (1/48)^(1/4) = 0.37992…
  const hyp = 'the cat sat on the mat', ref = 'the cat is on the mat';
  assert.deepEqual(bleuStatistics(hyp, [ref]), [6, 6, 5, 3, 1, 0, 6, 5, 4, 3]);
  close(sentenceBleu(hyp, ref).score, 100 * (1 / 48) ** 0.25, 1e-9);
  // add-one (Lin & Och 2004, Chen & Cherry method 2) on orders ≥ 2: 5/6 · 4/6 · 2/5 · 1/4 = 1/18
  close(sentenceBleu(hyp, ref, { smoothMethod: 'add-k' }).score, 100 * (1 / 18) ** 0.25, 1e-9);
  // Brevity: "the cat" (c = 2) against 6 reference tokens → BP = exp(1 − 6/2)
  const short = sentenceBleu('the cat', ref);
  close(short.bp, Math.exp(-2), 1e-12);
});

// test_sentence_bleu.py, example from sacrebleu issue #98 (the 'intl' tokenizer case is not ported).
const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
const cases: [BleuOptions, number][] = [
  [{ smoothMethod: 'exp' }, 8.493],
  [{ smoothMethod: 'none' }, 0.0],
  [{ smoothMethod: 'floor' }, 4.51688],
  [{ smoothMethod: 'floor', smoothValue: 0.1 }, 4.51688],
  [{ smoothMethod: 'floor', smoothValue: 0.5 }, 10.10],
  [{ smoothMethod: 'add-k' }, 14.882],
  [{ smoothMethod: 'add-k', smoothValue: 1 }, 14.882],
  [{ smoothMethod: 'add-k', smoothValue: 2 }, 21.389],
  [{ smoothMethod: 'exp', tokenize: 'none' }, 7.347],
  [{ smoothMethod: 'exp', tokenize: 'char' }, 40.8759],
  [{ smoothMethod: 'exp', tokenize: 'char', lowercase: true }, 42.0267],
];

test('sentence BLEU matches sacrebleu for every smoothing method and tokenizer', () => {
  for (const [o, want] of cases) close(sentenceBleu(SYS, [REF], o).score, want);
});

test('sentence BLEU is 0 when no n-gram matches, whatever the smoothing (sacrebleu #141)', () => {
  for (const o of [{}, { smoothMethod: 'none' }, { smoothMethod: 'floor' }, { smoothMethod: 'add-k' }] as BleuOptions[]) {
    assert.equal(sentenceBleu('this is a cat', ['okay thanks'], o).score, 0);
  }
});

test('13a tokenization splits punctuation, keeps decimals and splits a dash after a digit', () => {
  assert.equal(tokenize13a('Hello, world! It costs 3.50 (or 4-5).'), 'Hello , world ! It costs 3.50 ( or 4 - 5 ) .');
  assert.equal(tokenize13a('a &amp; b &quot;c&quot;'), 'a & b " c "');
});

test('corpus BLEU sums statistics over segments; identical text scores 100', () => {
  const refs = ['the cat is on the mat', 'a dog barks at night'];
  close(corpusBleu(refs, [refs]).score, 100, 1e-9);
  const s = corpusBleu(['the cat sat on the mat', 'a dog barks at night'], [refs]);
  assert.deepEqual([s.sysLen, s.refLen], [11, 11]);
  assert.throws(() => corpusBleu(['x'], [['a', 'b']]), /segments/);
});
