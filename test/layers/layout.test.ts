// The shape rules of the source tree (README, "Layout"): no function longer than 70 lines, no
// folder with more than 15 files side by side (tests count: they sit next to the code).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import ts from 'typescript';

const src = fileURLToPath(new URL('../../../src/', import.meta.url));
const MAX_FUNCTION_LINES = 70;
const MAX_FILES_PER_FOLDER = 15;

function folders(dir: string, out: string[] = []): string[] {
  out.push(dir);
  for (const n of readdirSync(dir)) if (statSync(join(dir, n)).isDirectory()) folders(join(dir, n), out);
  return out;
}

const files = (dir: string) => readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile());

/** Every function, method, arrow and accessor with a body, and its length in lines. */
export function functionLengths(path: string, text: string): { name: string; line: number; lines: number }[] {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out: { name: string; line: number; lines: number }[] = [];
  const nameOf = (n: ts.Node): string => {
    const named = n as { name?: ts.Node };
    if (named.name) return named.name.getText(sf);
    const p = n.parent;
    if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return p.name.getText(sf);
    return '(anonymous)';
  };
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && (n as { body?: ts.Node }).body) {
      const first = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line, last = sf.getLineAndCharacterOfPosition(n.end).line;
      out.push({ name: nameOf(n), line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

test(`no function in src/ is longer than ${MAX_FUNCTION_LINES} lines`, () => {
  const long: string[] = [];
  for (const dir of folders(src)) {
    for (const f of files(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts') && !n.endsWith('.d.ts'))) {
      const path = join(dir, f);
      for (const fn of functionLengths(path, readFileSync(path, 'utf8'))) {
        if (fn.lines > MAX_FUNCTION_LINES) long.push(`src/${relative(src, path)}:${fn.line} ${fn.name}: ${fn.lines} lines`);
      }
    }
  }
  assert.deepEqual(long, []);
});

test('the measure counts a function from its first line to its closing brace', () => {
  const body = Array.from({ length: 5 }, (_, i) => `  const x${i} = ${i};`).join('\n');
  const got = functionLengths('x.ts', `export function f() {\n${body}\n}\nconst g = () => {\n  return 1;\n};\n`);
  assert.deepEqual(got.map((x) => [x.name, x.line, x.lines]), [['f', 1, 7], ['g', 8, 3]]);
});

test(`no folder in src/ holds more than ${MAX_FILES_PER_FOLDER} files side by side`, () => {
  const crowded = folders(src).map((d) => [relative(src, d) || '.', files(d).length] as const).filter(([, n]) => n > MAX_FILES_PER_FOLDER);
  assert.deepEqual(crowded.map(([d, n]) => `src/${d}: ${n} files`), []);
});
