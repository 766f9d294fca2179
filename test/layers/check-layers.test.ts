// The layer check must catch an upward import and accept downward ones.
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
