import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findNumbers, makeMatcher, parseNumber } from './matchers.js';
import type { Verdict, VerifiedProblem } from './verifier.js';

const p = (answer: string): VerifiedProblem => ({ id: 'p1', prompt: 'Q?', answer });
const run = (name: string, answer: string, completion: string, opts = {}): Verdict =>
  makeMatcher(name, opts).verify(p(answer), completion) as Verdict;

test('exact compares trimmed text', () => {
  assert.deepEqual(run('exact', 'Paris', '  Paris\n'), { correct: true, reward: 1, extracted: 'Paris' });
  assert.equal(run('exact', 'Paris', 'paris').correct, false);
  assert.equal(run('exact', 'Paris', 'paris', { ignoreCase: true }).correct, true);
  assert.equal(run('exact', 'Paris', 'Paris, France').reward, 0);
});

test('numeric parses the number and applies the tolerances', () => {
  assert.equal(run('numeric', '31', ' 31.0 ').correct, true);
  assert.equal(run('numeric', '1234', '1,234').correct, true);
  assert.equal(run('numeric', '0.3', String(0.1 + 0.2)).correct, true); // float noise is within rtol 1e-9
  assert.equal(run('numeric', '100000', '100001').correct, false); // the default is strict
  assert.equal(run('numeric', '3.14159', '3.14').correct, false);
  assert.equal(run('numeric', '3.14159', '3.14', { atol: 0.01 }).correct, true);
  assert.equal(run('numeric', '200', '201', { rtol: 0.01 }).correct, true); // |1| ≤ 0.01·200
  assert.equal(run('numeric', '200', '203', { rtol: 0.01 }).correct, false);
  const v = run('numeric', '31', 'thirty-one');
  assert.equal(v.correct, false);
  assert.match(v.detail!, /not a number/);
  assert.deepEqual(run('numeric', '31', 'The answer is 31.0 apples.', { extract: String.raw`answer is (\S+?)\s` }), { correct: true, reward: 1, extracted: '31' });
  assert.equal(run('numeric', '31', 'no answer here', { extract: 'answer is (\\S+)' }).extracted, null);
});

test('regex matches the gold pattern, or extracts and compares', () => {
  assert.equal(run('regex', '^(yes|yep)\\b', 'yes, it is').correct, true);
  assert.equal(run('regex', '^(yes|yep)\\b', 'no').correct, false);
  assert.equal(run('regex', '^yes', 'YES', { ignoreCase: true }).correct, true);
  const v = run('regex', 'Paris', 'Final: Paris.', { extract: 'Final: (\\w+)' });
  assert.deepEqual(v, { correct: true, reward: 1, extracted: 'Paris' });
  assert.equal(run('regex', 'Paris', 'Final: Rome.', { extract: 'Final: (\\w+)' }).correct, false);
  assert.match(makeMatcher('regex').checkAnswer('(unclosed')!, /invalid regular expression/);
  assert.equal(makeMatcher('regex').checkAnswer('a+b'), null);
});

test('last-number reads the last number in the completion', () => {
  assert.deepEqual(run('last-number', '31', '23 + 15 = 38, 38 - 7 = 31'), { correct: true, reward: 1, extracted: '31' });
  assert.equal(run('last-number', '31', 'It is 31, not 30').correct, false);
  assert.equal(run('last-number', '-4', 'so x = -4').correct, true);
  assert.equal(run('last-number', '1000', 'total: 1,000.').correct, true);
  assert.equal(run('last-number', '2', '5-3').correct, false); // "3" is not "-3" and not 2
  const none = run('last-number', '31', 'I do not know');
  assert.equal(none.extracted, null);
  assert.match(none.detail!, /no number/);
  assert.match(makeMatcher('last-number').checkAnswer('thirty')!, /expected a number/);
});

test('number helpers', () => {
  assert.deepEqual(findNumbers('3-2 is 1; x=-4, 1,234.5 and 2e3'), ['3', '2', '1', '-4', '1,234.5', '2e3']);
  assert.equal(parseNumber(' 1,234 '), 1234);
  assert.equal(parseNumber('12 apples'), null);
  assert.equal(parseNumber('1,23'), null);
});

test('makeMatcher names the known matchers and options', () => {
  assert.throws(() => makeMatcher('fuzzy'), { message: 'unknown matcher "fuzzy"; known matchers: exact, numeric, regex, last-number' });
  assert.throws(() => makeMatcher('exact', { atol: 1 }), { message: 'matcher "exact": unknown option "atol"; known options: ignoreCase' });
  assert.throws(() => makeMatcher('numeric', { atol: '0.1' as unknown as number }), /option "atol" must be a number >= 0, got "0.1"/);
  assert.throws(() => makeMatcher('numeric', { extract: '(' }), /option "extract" is not a valid regular expression/);
  assert.throws(() => makeMatcher('exact').verify({ id: 'x', prompt: 'Q' }, 'a'), /problem "x" has no "answer"/);
});
