// README points only to files and folders the repository has: every `src/…`, `test/…`,
// `scripts/…`, `bench/…`, `examples/…` or `native/…` path it names exists (globs: their folder).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export function repoPaths(markdown: string): string[] {
  const found = markdown.match(/(?<![\w./-])(?:src|test|scripts|bench|examples|native)\/[\w./*<>-]*/g) ?? [];
  // A glob or a placeholder names its folder; a sentence's full stop is not part of the path.
  return [...new Set(found.map((p) => p.replace(/[.,;:]+$/, '').replace(/\/?[^/]*[*<].*$/, '').replace(/\/$/, '')))];
}

test('the paths README names exist in the repository', () => {
  const missing = repoPaths(readFileSync(join(root, 'README.md'), 'utf8')).filter((p) => !existsSync(join(root, p)));
  assert.deepEqual(missing, []);
});

test('the path finder reads paths, folders of globs, and leaves prose alone', () => {
  assert.deepEqual(repoPaths('see `src/align/dpo/job.ts`, then src/**/*.test.ts and test/golden/. Not xsrc/a.'), ['src/align/dpo/job.ts', 'src', 'test/golden']);
});
