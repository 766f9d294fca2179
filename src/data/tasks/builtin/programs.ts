// Short JavaScript program problems for ReST-EM's code setting (Singh et al. 2023 use APPS; this
// is its pocket version): a prompt names the function and says what it returns, the reference
// is a solution a person would write, and the tests are assertions the sandboxed program
// verifier (src/rewards/sandbox/program-verifier.ts) runs; program-task.ts pairs the two.
import type { Problem } from '../task.js';
import { hashUnit } from './hash.js';

export interface ProgramProblem extends Problem {
  reference: string;
  /** JS statements using `assert`, `assert.equal` and `assert.deepEqual`; each runs on its own. */
  tests: string[];
  /** `entry` is the function the solution must define; the verifier checks it exists. */
  meta: { entry: string; signature: string };
}

/** Default share held out for testing; a quarter of 32 leaves enough on both sides. */
export const PROGRAM_TEST_FRACTION = 0.25;

// [signature, what it returns, reference body, tests]. The prompt is "// signature: description"
// and the reference a complete function, so prompt + reference is a training text and a
// completion that repeats the format is exactly what the verifier extracts.
const TABLE: readonly (readonly [string, string, string, readonly string[]])[] = [
  ['add(a, b)', 'the sum of the numbers a and b', 'return a + b;',
    ['assert.equal(add(2, 3), 5)', 'assert.equal(add(-4, 4), 0)', 'assert.equal(add(0.5, 0.25), 0.75)']],
  ['isEven(n)', 'true if the integer n is even, false otherwise', 'return n % 2 === 0;',
    ['assert.equal(isEven(4), true)', 'assert.equal(isEven(7), false)', 'assert.equal(isEven(0), true)', 'assert.equal(isEven(-3), false)']],
  ['maxOf(xs)', 'the largest number in the non-empty array xs', 'let best = xs[0];\n  for (const x of xs) if (x > best) best = x;\n  return best;',
    ['assert.equal(maxOf([3, 9, 2]), 9)', 'assert.equal(maxOf([-5, -2, -8]), -2)', 'assert.equal(maxOf([7]), 7)']],
  ['minOf(xs)', 'the smallest number in the non-empty array xs', 'let best = xs[0];\n  for (const x of xs) if (x < best) best = x;\n  return best;',
    ['assert.equal(minOf([3, 9, 2]), 2)', 'assert.equal(minOf([-5, -2, -8]), -8)', 'assert.equal(minOf([4]), 4)']],
  ['sum(xs)', 'the sum of the numbers in the array xs (0 for an empty array)', 'let total = 0;\n  for (const x of xs) total += x;\n  return total;',
    ['assert.equal(sum([1, 2, 3]), 6)', 'assert.equal(sum([]), 0)', 'assert.equal(sum([-1, 1, 10]), 10)']],
  ['reverseString(s)', 'the string s with its characters in reverse order', "return s.split('').reverse().join('');",
    ["assert.equal(reverseString('abc'), 'cba')", "assert.equal(reverseString(''), '')", "assert.equal(reverseString('racecar'), 'racecar')", "assert.equal(reverseString('ab cd'), 'dc ba')"]],
  ['factorial(n)', 'n! for an integer n >= 0 (0! is 1)', 'let out = 1;\n  for (let i = 2; i <= n; i++) out *= i;\n  return out;',
    ['assert.equal(factorial(0), 1)', 'assert.equal(factorial(1), 1)', 'assert.equal(factorial(5), 120)', 'assert.equal(factorial(10), 3628800)']],
  ['fizzBuzz(n)', "'FizzBuzz' if n is divisible by 15, 'Fizz' by 3, 'Buzz' by 5, else n as a string",
    "if (n % 15 === 0) return 'FizzBuzz';\n  if (n % 3 === 0) return 'Fizz';\n  if (n % 5 === 0) return 'Buzz';\n  return String(n);",
    ["assert.equal(fizzBuzz(9), 'Fizz')", "assert.equal(fizzBuzz(10), 'Buzz')", "assert.equal(fizzBuzz(30), 'FizzBuzz')", "assert.equal(fizzBuzz(7), '7')"]],
  ['countVowels(s)', 'how many letters of s are vowels (a, e, i, o, u in either case)', 'let n = 0;\n  for (const c of s.toLowerCase()) if (\'aeiou\'.includes(c)) n++;\n  return n;',
    ["assert.equal(countVowels('hello'), 2)", "assert.equal(countVowels('AEIOU'), 5)", "assert.equal(countVowels('rhythm'), 0)", "assert.equal(countVowels(''), 0)"]],
  ['isPalindrome(s)', 'true if the string s reads the same backwards', "return s === s.split('').reverse().join('');",
    ["assert.equal(isPalindrome('level'), true)", "assert.equal(isPalindrome('levels'), false)", "assert.equal(isPalindrome(''), true)", "assert.equal(isPalindrome('ab'), false)"]],
  ['fib(n)', 'the n-th Fibonacci number, with fib(0) = 0 and fib(1) = 1', 'let a = 0, b = 1;\n  for (let i = 0; i < n; i++) [a, b] = [b, a + b];\n  return a;',
    ['assert.equal(fib(0), 0)', 'assert.equal(fib(1), 1)', 'assert.equal(fib(10), 55)', 'assert.equal(fib(30), 832040)']],
  ['abs(n)', 'the absolute value of the number n', 'return n < 0 ? -n : n;',
    ['assert.equal(abs(-3), 3)', 'assert.equal(abs(4), 4)', 'assert.equal(abs(0), 0)']],
  ['square(n)', 'n multiplied by itself', 'return n * n;',
    ['assert.equal(square(3), 9)', 'assert.equal(square(-4), 16)', 'assert.equal(square(0), 0)']],
  ['average(xs)', 'the mean of the numbers in the non-empty array xs', 'let total = 0;\n  for (const x of xs) total += x;\n  return total / xs.length;',
    ['assert.equal(average([1, 2, 3]), 2)', 'assert.equal(average([5]), 5)', 'assert.equal(average([1, 2]), 1.5)']],
  ['countChar(s, c)', 'how many times the character c occurs in the string s', 'let n = 0;\n  for (const x of s) if (x === c) n++;\n  return n;',
    ["assert.equal(countChar('banana', 'a'), 3)", "assert.equal(countChar('banana', 'z'), 0)", "assert.equal(countChar('', 'a'), 0)", "assert.equal(countChar('Aa', 'a'), 1)"]],
  ['capitalize(s)', 'the string s with its first character in upper case', "return s.length === 0 ? s : s[0].toUpperCase() + s.slice(1);",
    ["assert.equal(capitalize('hello'), 'Hello')", "assert.equal(capitalize('a'), 'A')", "assert.equal(capitalize(''), '')", "assert.equal(capitalize('hello world'), 'Hello world')"]],
  ['isPrime(n)', 'true if the integer n is a prime number', 'if (n < 2) return false;\n  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;\n  return true;',
    ['assert.equal(isPrime(2), true)', 'assert.equal(isPrime(1), false)', 'assert.equal(isPrime(97), true)', 'assert.equal(isPrime(91), false)', 'assert.equal(isPrime(0), false)']],
  ['gcd(a, b)', 'the greatest common divisor of the positive integers a and b', 'while (b !== 0) [a, b] = [b, a % b];\n  return a;',
    ['assert.equal(gcd(12, 18), 6)', 'assert.equal(gcd(7, 13), 1)', 'assert.equal(gcd(10, 5), 5)']],
  ['range(n)', 'the array [0, 1, ..., n - 1] (empty when n is 0)', 'const out = [];\n  for (let i = 0; i < n; i++) out.push(i);\n  return out;',
    ['assert.deepEqual(range(4), [0, 1, 2, 3])', 'assert.deepEqual(range(0), [])', 'assert.deepEqual(range(1), [0])']],
  ['evens(xs)', 'the even numbers of the array xs, in their original order', 'return xs.filter((x) => x % 2 === 0);',
    ['assert.deepEqual(evens([1, 2, 3, 4]), [2, 4])', 'assert.deepEqual(evens([1, 3]), [])', 'assert.deepEqual(evens([0, -2, 5]), [0, -2])']],
  ['doubleAll(xs)', 'a new array with every number of xs doubled', 'return xs.map((x) => 2 * x);',
    ['assert.deepEqual(doubleAll([1, 2, 3]), [2, 4, 6])', 'assert.deepEqual(doubleAll([]), [])', 'assert.deepEqual(doubleAll([-1]), [-2])']],
  ['last(xs)', 'the last element of the array xs, or undefined when it is empty', 'return xs[xs.length - 1];',
    ['assert.equal(last([1, 2, 3]), 3)', "assert.equal(last(['a']), 'a')", 'assert.equal(last([]), undefined)']],
  ['unique(xs)', 'the elements of xs without repeats, each at its first position', 'const out = [];\n  for (const x of xs) if (!out.includes(x)) out.push(x);\n  return out;',
    ['assert.deepEqual(unique([1, 2, 1, 3, 2]), [1, 2, 3])', 'assert.deepEqual(unique([]), [])', "assert.deepEqual(unique(['b', 'a', 'b']), ['b', 'a'])"]],
  ['countWords(s)', 'how many words the string s has, words being separated by whitespace', 'return s.split(/\\s+/).filter((w) => w.length > 0).length;',
    ["assert.equal(countWords('the quick fox'), 3)", "assert.equal(countWords(''), 0)", "assert.equal(countWords('  two   words '), 2)", "assert.equal(countWords('one'), 1)"]],
  ['clamp(x, lo, hi)', 'x limited to the interval [lo, hi]', 'return x < lo ? lo : x > hi ? hi : x;',
    ['assert.equal(clamp(5, 0, 10), 5)', 'assert.equal(clamp(-1, 0, 10), 0)', 'assert.equal(clamp(11, 0, 10), 10)']],
  ['sign(n)', '-1 for a negative number n, 1 for a positive one and 0 for zero', 'return n > 0 ? 1 : n < 0 ? -1 : 0;',
    ['assert.equal(sign(-7), -1)', 'assert.equal(sign(3), 1)', 'assert.equal(sign(0), 0)']],
  ['power(b, e)', 'b raised to the integer power e >= 0', 'let out = 1;\n  for (let i = 0; i < e; i++) out *= b;\n  return out;',
    ['assert.equal(power(2, 10), 1024)', 'assert.equal(power(5, 0), 1)', 'assert.equal(power(-3, 3), -27)']],
  ['repeatString(s, n)', 'the string s repeated n times (empty when n is 0)', "let out = '';\n  for (let i = 0; i < n; i++) out += s;\n  return out;",
    ["assert.equal(repeatString('ab', 3), 'ababab')", "assert.equal(repeatString('x', 0), '')", "assert.equal(repeatString('', 4), '')"]],
  ['digitSum(n)', 'the sum of the decimal digits of the integer n >= 0', 'let total = 0;\n  for (const d of String(n)) total += Number(d);\n  return total;',
    ['assert.equal(digitSum(123), 6)', 'assert.equal(digitSum(0), 0)', 'assert.equal(digitSum(9999), 36)']],
  ['isSorted(xs)', 'true if every number in xs is at most the one after it', 'for (let i = 1; i < xs.length; i++) if (xs[i - 1] > xs[i]) return false;\n  return true;',
    ['assert.equal(isSorted([1, 2, 2, 5]), true)', 'assert.equal(isSorted([3, 1]), false)', 'assert.equal(isSorted([]), true)', 'assert.equal(isSorted([1, 3, 2]), false)']],
  ['indexOfMax(xs)', 'the index of the first largest number in the non-empty array xs', 'let best = 0;\n  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;\n  return best;',
    ['assert.equal(indexOfMax([3, 9, 2]), 1)', 'assert.equal(indexOfMax([5]), 0)', 'assert.equal(indexOfMax([4, 7, 7]), 1)']],
  ['toFahrenheit(c)', 'the temperature c in degrees Celsius converted to Fahrenheit', 'return c * 9 / 5 + 32;',
    ['assert.equal(toFahrenheit(0), 32)', 'assert.equal(toFahrenheit(100), 212)', 'assert.equal(toFahrenheit(-40), -40)']],
];

function build([signature, description, body, tests]: (typeof TABLE)[number]): ProgramProblem {
  const entry = signature.slice(0, signature.indexOf('('));
  return {
    id: `program-${entry}`,
    prompt: `// ${signature}: ${description}\n`,
    reference: `function ${signature} {\n  ${body}\n}`,
    tests: [...tests],
    meta: { entry, signature },
  };
}

/** Every built-in program problem, in table order; fresh objects, so callers may mutate them. */
export function programProblems(): ProgramProblem[] {
  return TABLE.map(build);
}

/** Which side a problem is on: fixed by its id alone, so every run agrees. */
export function programSplitOf(id: string, testFraction = PROGRAM_TEST_FRACTION): 'train' | 'test' {
  return hashUnit(`program:${id}`) < testFraction ? 'test' : 'train';
}

export function programSplit(testFraction = PROGRAM_TEST_FRACTION): { train: ProgramProblem[]; test: ProgramProblem[] } {
  if (!(testFraction >= 0 && testFraction < 1)) throw new RangeError(`programSplit: testFraction must be in [0, 1), got ${testFraction}`);
  const out = { train: [] as ProgramProblem[], test: [] as ProgramProblem[] };
  for (const p of programProblems()) out[programSplitOf(p.id, testFraction)].push(p);
  return out;
}
