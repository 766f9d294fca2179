// Reference values from sacrebleu's own test suite (github.com/mjpost/sacrebleu, test/test_chrf.py,
// v2.x), plus one example computed by hand below.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chrfStatistics, corpusChrf, sentenceChrf } from './chrf.js';

const close = (got: number, want: number, eps = 1e-4) => assert.ok(Math.abs(got - want) < eps, `got ${got}, expected ${want}`);

test('chrF by hand: "abc" against "abd" with the defaults (β = 2, orders 1..6, effective order)', () => {
  // order 1: hyp {a,b,c}, ref {a,b,d}: 2 matches of 3 → P = R = 2/3
  // order 2: hyp {ab,bc}, ref {ab,bd}: 1 of 2 → P = R = 1/2
  // order 3: hyp {abc}, ref {abd}: 0 of 1 → P = R = 0
  // orders 4..6: the hypothesis has no such n-grams → left out (effective order 3)
  // P̄ = R̄ = (2/3 + 1/2 + 0)/3 = 7/18; F₂ = 5·P̄·R̄/(4·P̄ + R̄) = 7/18 → 38.888…
  assert.deepEqual(chrfStatistics('abc', 'abd'), [3, 3, 2, 2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const s = sentenceChrf('abc', 'abd');
  close(s.score, 700 / 18, 1e-9);
  close(s.precision, 7 / 18, 1e-12);
  close(s.recall, 7 / 18, 1e-12);
});

// test_cases: corpus_chrf(..., char_order=6, word_order=0, beta=3, eps_smoothing=True)
const epsCases: [string[], string[], number][] = [
  [['abcdefg'], ['hijklmnop'], 0.0],
  [['a'], ['b'], 0.0],
  [[''], ['b'], 0.0],
  [[''], ['ref'], 0.0],
  [[''], ['reference'], 0.0],
  [['aa'], ['ab'], 8.3333],
  [['a', 'b'], ['a', 'c'], 8.3333],
  [['a'], ['a'], 16.6667],
  [['a b c'], ['a b c'], 50.0],
  [['a b c'], ['abc'], 50.0],
  [[' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'],
    ['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .'], 63.361730],
  [[' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
    ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'], 64.1302698],
  [['Niemand hat die Absicht, eine Mauer zu errichten'], ['Niemand hat die Absicht, eine Mauer zu errichten'], 100.0],
];

test('chrF matches sacrebleu with epsilon smoothing (β = 3)', () => {
  for (const [hyp, ref, want] of epsCases) close(corpusChrf(hyp, [ref], { beta: 3, epsSmoothing: true }).score, want);
});

// test_cases_effective_order: the sacreBLEU < 2.0 mode, which 2.x keeps as its default.
const effCases: [string[], string[], number][] = [
  [['a'], ['a'], 100.0],
  [[''], ['reference'], 0.0],
  [['a b c'], ['a b c'], 100.0],
  [['a b c'], ['abc'], 100.0],
  [[''], ['c'], 0.0],
  [['a', 'b'], ['a', 'c'], 50.0],
  [['aa'], ['ab'], 25.0],
];

test('chrF matches sacrebleu with the effective order (β = 3)', () => {
  for (const [hyp, ref, want] of effCases) close(corpusChrf(hyp, [ref], { beta: 3 }).score, want);
});

test('chrF matches sacrebleu keeping whitespace (β = 3)', () => {
  close(corpusChrf(['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'],
    [['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.']], { beta: 3, whitespace: true }).score, 67.3481606);
  close(corpusChrf(['risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .'],
    [['risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .']], { beta: 3, whitespace: true }).score, 65.2414427);
});

test('sentence chrF matches sacrebleu.sentence_chrf (β = 2, epsilon smoothing)', () => {
  const cases: [string, string, number][] = [
    ['Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
      'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.', 39.14078509],
    ['Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.',
      'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.', 31.22557079],
    ['Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.',
      'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.', 57.15704367],
  ];
  for (const [hyp, ref, want] of cases) close(sentenceChrf(hyp, [ref], { epsSmoothing: true }).score, want);
});

test('chrF recall only grows as the hypothesis grows: the flaw a recall reward invites', () => {
  const ref = 'K AE T';
  const r1 = sentenceChrf('K AE', ref).recall, r2 = sentenceChrf('K AE T', ref).recall, r3 = sentenceChrf('K AE T K AH T S', ref).recall;
  assert.ok(r1 < r2 && r2 === 1 && r3 === 1, `${r1} ${r2} ${r3}`);
  assert.ok(sentenceChrf('K AE T K AH T S', ref).score < sentenceChrf('K AE T', ref).score);
  // Several references: the best one counts.
  assert.equal(sentenceChrf('R IY D', ['R EH D', 'R IY D']).score, 100);
  assert.throws(() => sentenceChrf('a', []), /no reference/);
});
