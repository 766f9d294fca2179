import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createProgramVerifier, extractProgram, programVerifier } from './program-verifier.js';
import type { VerifiedProblem, Verdict } from '../verifier.js';

const ADD_PROBLEM: VerifiedProblem = {
  id: 'add', prompt: '// add(a, b): the sum\n', tests: ['assert.equal(add(2, 3), 5)', 'assert.equal(add(-1, 1), 0)'], meta: { entry: 'add' },
};
const verify = (c: string, p: VerifiedProblem = ADD_PROBLEM) => programVerifier.verify(p, c) as Promise<Verdict>;

describe('extractProgram', () => {
  test('takes the first ```js (or untagged) fenced block, whatever it holds', () => {
    assert.equal(extractProgram('Here:\n```js\nconst add = (a, b) => a + b;\n```\nand ```js\nnot this\n```'), 'const add = (a, b) => a + b;');
    assert.equal(extractProgram('```javascript\nfunction f() {}\n```'), 'function f() {}');
    assert.equal(extractProgram('```\nlet x = 1;\n```'), 'let x = 1;');
    // A completion cut off at the token limit still has its code.
    assert.equal(extractProgram('```js\nfunction f() { return 1; }\n'), 'function f() { return 1; }');
  });

  test('a fence in another language is not code; the declaration after it is', () => {
    assert.equal(extractProgram('```python\ndef add(a, b): return a + b\n```\nfunction add(a, b) { return a + b; }'), 'function add(a, b) { return a + b; }');
  });

  test('without a fence: from `function` to its matching brace, ignoring prose and trailing text', () => {
    const c = 'This function adds two numbers:\nfunction add(a, b) {\n  return a + b;\n}\nconsole.log(add(1, 2)); }}';
    assert.equal(extractProgram(c), 'function add(a, b) {\n  return a + b;\n}');
  });

  test('braces inside strings, templates, regexes and comments do not end the function', () => {
    const body = 'function f(s) {\n  const t = `}${ {a: 1}.a }}`;\n  const r = /[}]\\/}/g; // }\n  /* } */\n  return "}" + \'}\' + t + s.replace(r, "") + (1 / 2);\n}';
    assert.equal(extractProgram(`${body} trailing }`), body);
    const destructured = 'function g({ a, b } = { a: 1, b: 2 }) { return a / b / 2; }';
    assert.equal(extractProgram(`${destructured}\nx`), destructured);
  });

  test('declarations that follow one another are kept together (helpers before or after)', () => {
    const code = 'function helper(x) { return x * 2; }\n// the answer\nasync function twice(x) { return helper(x); }';
    assert.equal(extractProgram(`${code}\n\nconsole.log(twice(2));`), code);
  });

  test('null when there is no code, or the function never closes', () => {
    assert.equal(extractProgram('I think the function adds numbers.'), null);
    assert.equal(extractProgram('function add(a, b) { return a + b;'), null);
    assert.equal(extractProgram(''), null);
  });
});

describe('programVerifier', () => {
  test('a correct completion earns reward 1, with the code as extracted', async () => {
    const v = await verify('function add(a, b) {\n  return a + b;\n}\n<garbage after the function>');
    assert.deepEqual(v, { correct: true, reward: 1, extracted: 'function add(a, b) {\n  return a + b;\n}', detail: 'pass: 2/2 tests passed' });
    assert.equal(programVerifier.name, 'program');
  });

  test('a wrong completion earns 0 and says which test failed', async () => {
    const v = await verify('```js\nfunction add(a, b) { return a * b; }\n```');
    assert.equal(v.correct, false);
    assert.equal(v.reward, 0);
    assert.match(v.detail!, /^fail: 0\/2 tests passed; first failure: test 1/);
  });

  test('no code, a missing entry and a hostile completion all earn 0 with the reason', async () => {
    assert.deepEqual(await verify('I do not know.'), { correct: false, reward: 0, extracted: null, detail: 'no ```js block or function declaration in the completion' });
    assert.match((await verify('function plus(a, b) { return a + b; }')).detail!, /^error: solution does not define function add/);
    assert.match((await verify('function add(a, b) { return require("fs").readFileSync("/etc/passwd").length; }')).detail!, /^forbidden: require/);
    const slow = createProgramVerifier({ timeoutMs: 300 });
    assert.match((await slow.verify(ADD_PROBLEM, 'function add(a, b) { while (true) {} }')).detail!, /^timeout: /);
  });

  test('a problem without usable tests is the task\'s bug and throws, naming the problem', async () => {
    await assert.rejects(programVerifier.verify({ id: 'p7', prompt: '' }, 'function f() {}') as Promise<Verdict>, /problem "p7" needs tests/);
    await assert.rejects(programVerifier.verify({ id: 'p8', prompt: '', tests: [] }, 'function f() {}') as Promise<Verdict>, /problem "p8"/);
  });
});
