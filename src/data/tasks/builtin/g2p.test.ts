import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cmudictEntries, extractPhonemes, g2pPerVerifier, g2pProblem, g2pSplitOf, g2pTask, g2pVerifier, phonemeErrorRate, stripStress,
} from './g2p.js';
import type { Verdict } from '../../../rewards/verifier.js';
import type { Problem } from '../task.js';

const verify = (p: Problem, c: string) => g2pVerifier.verify(p, c) as Verdict;

test('the dictionary loads real entries, first pronunciation first', () => {
  const d = cmudictEntries();
  assert.ok(d.size > 100_000, `only ${d.size} words`);
  assert.deepEqual(d.get('WHALE'), ['W EY1 L', 'HH W EY1 L']);
  assert.deepEqual(d.get('READ'), ['R EH1 D', 'R IY1 D']);
  assert.equal(d.get('ZYGOTE')?.[0], 'Z AY1 G OW0 T');
  assert.ok(!d.has("WHALE'S") && !d.has('WHALE(1)'));
});

test('a problem is the lower-case word and its phonemes, stress stripped by default', () => {
  assert.deepEqual(g2pProblem('WHALE'), {
    id: 'g2p-WHALE', prompt: 'whale\n', answer: 'W EY L', reference: 'W EY L', meta: { word: 'WHALE', alternatives: ['HH W EY L'] },
  });
  assert.equal(g2pProblem('whale', true)!.answer, 'W EY1 L');
  assert.equal(g2pProblem('qwxzv'), null);
  assert.equal(stripStress(' AH0  B AE1 K '), 'AH B AE K');
});

test('the default task: Moby-Dick words of 3-8 letters, split by word hash', () => {
  const t = g2pTask();
  assert.equal(t.name, 'g2p');
  assert.ok(t.train.length > 5000 && t.test.length > 500, `${t.train.length} train, ${t.test.length} test`);
  const words = (ps: Problem[]) => ps.map((p) => p.meta!.word as string);
  const train = new Set(words(t.train));
  assert.ok(train.has('WHALE'));
  for (const w of words(t.test)) {
    assert.ok(!train.has(w), w);
    assert.equal(g2pSplitOf(w), 'test');
  }
  for (const p of [...t.train, ...t.test]) {
    assert.match(p.meta!.word as string, /^[A-Z]{3,8}$/);
    assert.doesNotMatch(p.answer!, /\d/);
  }
  assert.deepEqual(g2pTask(), t, 'not deterministic');
});

test('options: subsets by seed, stress, the whole dictionary, bad values', () => {
  const a = g2pTask({ trainSize: 100, testSize: 20, seed: 1 });
  assert.equal(a.train.length, 100);
  assert.equal(a.test.length, 20);
  assert.deepEqual(g2pTask({ trainSize: 100, testSize: 20, seed: 1 }), a);
  assert.notDeepEqual(g2pTask({ trainSize: 100, testSize: 20, seed: 2 }).train, a.train);
  assert.ok(g2pTask({ stress: true, trainSize: 50 }).train.every((p) => /\d/.test(p.answer!)));
  const all = g2pTask({ vocabulary: 'cmudict', minLength: 3, maxLength: 4 });
  assert.ok(all.train.length > 5000 && all.train.every((p) => (p.meta!.word as string).length <= 4), `${all.train.length}`);
  assert.throws(() => g2pTask({ vocabulary: 'webster' as never }), /g2p: option "vocabulary" must be one of moby-dick, cmudict, got "webster"/);
  assert.throws(() => g2pTask({ minLength: 9 }), /minLength 9 is more than maxLength 8/);
});

test('the verifier matches the phoneme sequence, whitespace-normalised, any listed pronunciation', () => {
  const whale = g2pProblem('whale')!;
  assert.deepEqual(verify(whale, 'W EY L'), { correct: true, reward: 1, extracted: 'W EY L' });
  assert.equal(verify(whale, '  W   EY  L \n junk after the line').correct, true);
  assert.equal(verify(whale, 'HH W EY L').correct, true); // the dictionary's alternate
  assert.equal(verify(whale, 'W EY1 L').correct, false); // stress was not asked for
  assert.deepEqual(verify(whale, 'W IY L'), { correct: false, reward: 0, extracted: 'W IY L', detail: 'expected W EY L' });
  assert.equal(verify(whale, '\n\n').extracted, null);
  assert.equal(extractPhonemes('\n  R EH D\n'), 'R EH D');
});

test('phonemeErrorRate: identical 0, one substitution in three 1/3, insertions count', () => {
  assert.equal(phonemeErrorRate('W EY L', 'W EY L'), 0);
  assert.equal(phonemeErrorRate('W IY L', 'W EY L'), 1 / 3);
  assert.equal(phonemeErrorRate('W EY L Z', 'W EY L'), 1 / 3); // insertion
  assert.equal(phonemeErrorRate('W L', 'W EY L'), 1 / 3); // deletion
  assert.equal(phonemeErrorRate('HH W EY EY L L', 'W EY L'), 1); // three insertions
  assert.equal(phonemeErrorRate('', 'W EY L'), 1);
  assert.equal(phonemeErrorRate(['SH'], ['S', 'H']), 1); // tokens are phonemes, not letters
  assert.throws(() => phonemeErrorRate('W', ''), /no phonemes/);
});

test('the graded verifier rewards 1 − PER against the closest pronunciation', () => {
  const whale = g2pProblem('whale')!;
  assert.deepEqual(g2pPerVerifier.verify(whale, 'W EY L'), { correct: true, reward: 1, extracted: 'W EY L', detail: 'PER 0.000' });
  const v = g2pPerVerifier.verify(whale, 'W IY L') as Verdict;
  assert.equal(v.correct, false);
  assert.ok(Math.abs(v.reward - 2 / 3) < 1e-12);
  assert.equal((g2pPerVerifier.verify(whale, 'A B C D E F G H') as Verdict).reward, 0); // clipped at 0
});
