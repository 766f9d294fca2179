// The layer check must catch upward, same-rank, cyclic and cross-command imports and accept downward ones.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../src/io/temp-dir.test.js';

function tree(files: Record<string, string>): string {
  const root = tempDir('layers-');
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

const run = (root: string) => spawnSync(process.execPath, ['scripts/check-layers.mjs', root], { encoding: 'utf8' });

test('check-layers rejects an import from a higher layer and names it', () => {
  const root = tree({
    'tensor/a.ts': "import { m } from '../model/m.js';\nexport const a = m;\n",
    'model/m.ts': 'export const m = 1;\n',
  });
  const r = run(root);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /tensor\/a\.ts: layer "tensor" imports "\.\.\/model\/m\.js" from the higher layer "model"/);
});

test('check-layers accepts downward and same-rank imports', () => {
  const root = tree({
    'model/m.ts': "import { t } from '../tensor/t.js';\nimport { n } from '../nn/n.js';\nexport const m = t + n;\n",
    'tensor/t.ts': 'export const t = 1;\n',
    'nn/n.ts': "export { t as n } from '../tensor/t.js';\n",
    'ops/o.ts': "import { g } from '../autograd/g.js';\nexport const o = g;\n",
    'autograd/g.ts': 'export const g = 1;\n',
  });
  const r = run(root);
  assert.equal(r.status, 0, r.stderr);
});

test('check-layers rejects a directory missing from the layer table', () => {
  const r = run(tree({ 'mystery/x.ts': 'export const x = 1;\n' }));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /src\/mystery" is not in the layer table/);
});

test('check-layers rejects an import between two folders of the same rank', () => {
  const r = run(tree({ 'rewards/a.ts': "import { b } from '../runs/b.js';\nexport const a = b;\n", 'runs/b.ts': 'export const b = 1;\n' }));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /rewards\/a\.ts: layer "rewards" imports "\.\.\/runs\/b\.js" from "runs", a folder of the same rank/);
});

test('check-layers rejects subfolders that import each other in a cycle, and accepts the same imports one way', () => {
  const files = { 'align/a/x.ts': "import { y } from '../b/y.js';\nexport const x = y;\n", 'align/b/y.ts': 'export const y = 1;\n' };
  assert.equal(run(tree(files)).status, 0);
  const r = run(tree({ ...files, 'align/b/z.ts': "import { x } from '../a/x.js';\nexport const z = x;\n" }));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /folders import each other in a cycle: src\/align\/(a -> src\/align\/b -> src\/align\/a|b -> src\/align\/a -> src\/align\/b)/);
});

test('check-layers rejects a command that imports another command', () => {
  const r = run(tree({ 'cli/commands/a.ts': "import { b } from './b.js';\nexport const a = b;\n", 'cli/commands/b.ts': 'export const b = 1;\n' }));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cli\/commands\/a\.ts: a command imports another command/);
});

test('check-layers lets a test, and only a test, import a fixture from outside src/', () => {
  const fixtures = { 'fixtures/f.ts': 'export const f = 1;\n' };
  const ok = tree({ ...fixtures, 'src/model/m.test.ts': "import { f } from '../../fixtures/f.js';\nexport const m = f;\n" });
  assert.equal(run(join(ok, 'src')).status, 0);
  const bad = tree({ ...fixtures, 'src/model/m.ts': "import { f } from '../../fixtures/f.js';\nexport const m = f;\n" });
  const r = run(join(bad, 'src'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /model\/m\.ts: imports "\.\.\/\.\.\/fixtures\/f\.js" from outside src\//);
});

test('check-layers rejects an import that resolves to no file', () => {
  const r = run(tree({ 'model/m.ts': "import { x } from './missing.js';\nexport const m = x;\n" }));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /model\/m\.ts: imports "\.\/missing\.js", which does not resolve to a file/);
});
