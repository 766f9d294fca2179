import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arithmeticProblems, arithmeticSplitOf, arithmeticTask, arithmeticVerifier, extractAnswer, generateArithmetic, type ArithmeticProblem,
} from './arithmetic.js';
import type { Verdict } from '../../../rewards/verifier.js';

const verify = (p: ArithmeticProblem, c: string) => arithmeticVerifier.verify(p, c) as Verdict;

// Oracle: recompute every scratchpad line from the prompt's numbers, independently of the generator.
function checkWorked(p: ArithmeticProblem): void {
  const nums = (p.prompt.match(/\d+/g) ?? []).map(Number);
  const lines = p.reference.split('\n');
  assert.equal(lines.length, p.meta.steps + 1, p.reference);
  let cur = nums[0]!;
  lines.slice(0, -1).forEach((line, i) => {
    const m = /^(\d+) ([+-]) (\d+) = (\d+)$/.exec(line);
    assert.ok(m, `bad line ${JSON.stringify(line)}`);
    assert.equal(Number(m[1]), cur);
    assert.equal(Number(m[3]), nums[i + 1]);
    cur = m[2] === '+' ? cur + Number(m[3]) : cur - Number(m[3]);
    assert.equal(Number(m[4]), cur);
    assert.ok(cur >= 0);
  });
  assert.equal(lines.at(-1), `#### ${cur}`);
  assert.equal(p.answer, String(cur));
}

test('the first problem of seed 0, exactly', () => {
  const p = generateArithmetic(0, 0);
  assert.deepEqual({ prompt: p.prompt, reference: p.reference, answer: p.answer }, {
    prompt: 'Ann has 31 shells. She finds 79 and sells 65. How many now?\n',
    reference: '31 + 79 = 110\n110 - 65 = 45\n#### 45',
    answer: '45',
  });
  assert.equal(p.id, 'arithmetic-s0-0');
});

test('problems are a pure function of (seed, index, difficulty)', () => {
  assert.deepEqual(generateArithmetic(7, 42, { digits: 3 }), generateArithmetic(7, 42, { digits: 3 }));
  assert.notDeepEqual(generateArithmetic(7, 42).prompt, generateArithmetic(8, 42).prompt);
  assert.notDeepEqual(generateArithmetic(7, 42).prompt, generateArithmetic(7, 43).prompt);
  const a = arithmeticTask({ seed: 3, trainSize: 50, testSize: 20 });
  assert.deepEqual(arithmeticTask({ seed: 3, trainSize: 50, testSize: 20 }), a);
  // A longer list starts with the shorter one: asking for more never reshuffles.
  assert.deepEqual(arithmeticTask({ seed: 3, trainSize: 80, testSize: 20 }).train.slice(0, 50), a.train);
  for (const p of [...a.train, ...a.test]) {
    assert.deepEqual(generateArithmetic(p.meta.seed, p.meta.index), p);
  }
});

test('train and test are disjoint, by prompt and by equation, and have no duplicates', () => {
  for (const opts of [{ seed: 0 }, { seed: 1, digits: 1, steps: 1, trainSize: 60, testSize: 20 }]) {
    const { train, test: held } = arithmeticProblems(opts);
    const trainPrompts = new Set(train.map((p) => p.prompt));
    const trainEq = new Set(train.map((p) => p.meta.equation));
    assert.equal(trainPrompts.size, train.length);
    assert.equal(new Set(held.map((p) => p.prompt)).size, held.length);
    for (const p of held) {
      assert.ok(!trainPrompts.has(p.prompt) && !trainEq.has(p.meta.equation), p.prompt);
      assert.equal(arithmeticSplitOf(p.meta.equation), 'test');
    }
  }
  // Disjoint across seeds too: seed 5's train set never contains seed 6's test equations.
  const other = new Set(arithmeticProblems({ seed: 6 }).test.map((p) => p.meta.equation));
  assert.ok(arithmeticProblems({ seed: 5 }).train.every((p) => !other.has(p.meta.equation)));
});

test('every reference solution is arithmetically right and verifies; a perturbed answer fails', () => {
  const { train, test: held } = arithmeticProblems({ seed: 2, trainSize: 200, testSize: 50, steps: 3 });
  for (const p of [...train, ...held]) {
    checkWorked(p);
    assert.deepEqual(verify(p, p.reference), { correct: true, reward: 1, extracted: p.answer });
    const wrong = p.reference.replace(/#### (\d+)$/, (_, n: string) => `#### ${Number(n) + 1}`);
    const v = verify(p, wrong);
    assert.equal(v.correct, false);
    assert.equal(v.reward, 0);
    assert.equal(v.detail, `expected ${p.answer}`);
  }
});

test('extractAnswer reads the first "#### <int>"', () => {
  assert.equal(extractAnswer('1 + 2 = 3\n#### 3'), '3');
  assert.equal(extractAnswer('#### 12\n#### 13'), '12');
  assert.equal(extractAnswer('####-4'), '-4');
  assert.equal(extractAnswer('the answer is 31'), null);
  assert.equal(extractAnswer('#### thirty'), null);
  const p = generateArithmetic(0, 0);
  assert.deepEqual(verify(p, '31 + 79 = 110'), { correct: false, reward: 0, extracted: null, detail: "no '#### <number>' line" });
  assert.equal(verify(p, '#### 045').correct, true); // compared as integers
  assert.equal(verify(p, '#### 450').correct, false);
});

test('the difficulty knob sets digit counts, steps and carries', () => {
  const numbersIn = (p: ArithmeticProblem) => p.prompt.match(/\d+/g)!;
  for (const digits of [1, 2, 4]) {
    const { train } = arithmeticProblems({ digits, trainSize: 60, testSize: 10 });
    for (const p of train) assert.ok(numbersIn(p).every((n) => n.length === digits), `${digits}: ${p.prompt}`);
  }
  for (const steps of [1, 2, 4]) {
    const { train } = arithmeticProblems({ steps, trainSize: 30, testSize: 5 });
    for (const p of train) {
      assert.equal(numbersIn(p).length, steps + 1);
      assert.equal(p.reference.split('\n').length, steps + 1);
    }
  }
  const columns = (a: number, b: number, digits: number) => Array.from({ length: digits }, (_, i) => [Math.floor(a / 10 ** i) % 10, Math.floor(b / 10 ** i) % 10] as const);
  let carried = 0;
  for (const carries of [false, true]) {
    const { train } = arithmeticProblems({ digits: 3, steps: 3, carries, trainSize: 100, testSize: 10 });
    for (const p of train) {
      for (const line of p.reference.split('\n').slice(0, -1)) {
        const [, a, op, b] = /^(\d+) ([+-]) (\d+)/.exec(line)!;
        const hard = columns(Number(a), Number(b), 3).some(([x, y]) => (op === '+' ? x + y > 9 : x < y));
        if (!carries) assert.ok(!hard, `carry or borrow in ${line} with carries: false`);
        else if (hard) carried++;
      }
    }
  }
  assert.ok(carried > 100, `only ${carried} carrying lines with carries: true`);
});

test('texts stay short for a small character-level model', () => {
  const { train } = arithmeticProblems({});
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const prompts = train.map((p) => p.prompt.length), refs = train.map((p) => p.reference.length);
  assert.ok(Math.min(...prompts) >= 40 && Math.max(...prompts) <= 75, `prompts ${Math.min(...prompts)}..${Math.max(...prompts)}`);
  assert.ok(mean(refs) >= 20 && mean(refs) <= 40, `mean reference ${mean(refs)}`);
  const words = new Set(train.flatMap((p) => p.prompt.match(/[A-Za-z]+/g)!));
  assert.ok(words.size <= 30, `vocabulary of ${words.size} words`);
});

test('bad options and exhausted problem spaces fail with the reason', () => {
  assert.throws(() => arithmeticTask({ digits: 9 }), { message: 'arithmetic: option "digits" must be an integer in [1, 6], got 9' });
  assert.throws(() => arithmeticTask({ digit: 2 } as never), /arithmetic: unknown option "digit"; known options: seed, trainSize, testSize, digits, steps, carries/);
  assert.throws(() => arithmeticTask({ carries: 'no' as never }), /option "carries" must be true or false, got "no"/);
  assert.throws(
    () => arithmeticTask({ digits: 1, steps: 1, carries: false, trainSize: 50_000, testSize: 10 }),
    /arithmetic: found only \d+\/50000 train and 10\/10 test distinct problems \(none new in the last 20000 draws\) with digits=1, steps=1, carries=false/,
  );
});
