#!/usr/bin/env node
// Fails when a file under src/ imports from a higher layer than its own (DESIGN.md, "Layers").
// Imports may point down the list or stay within the same rank.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

// Rank of each top-level directory under src/; a larger rank is a higher layer.
export const LAYERS = {
  native: 0,
  tensor: 1,
  backend: 2,
  ops: 3, autograd: 3,
  nn: 4,
  tokenizer: 5, io: 5,
  model: 6,
  rewards: 7, runs: 7, data: 7,
  align: 8,
  recipes: 9,
  cli: 10,
};

const ROOT = resolve(process.argv[2] ?? 'src');

function files(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function layerOf(file) {
  const rel = relative(ROOT, file);
  if (rel.startsWith('..')) return null;
  const top = rel.split(sep)[0];
  if (!rel.includes(sep)) return { name: '(root)', rank: Infinity };
  if (!(top in LAYERS)) return { name: top, rank: undefined };
  return { name: top, rank: LAYERS[top] };
}

const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const file of files(ROOT)) {
  const own = layerOf(file);
  if (own.rank === undefined) {
    problems.push(`${relative('.', file)}: directory "src/${own.name}" is not in the layer table (scripts/check-layers.mjs, DESIGN.md)`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = layerOf(resolve(dirname(file), spec));
    if (!target) {
      if (!/\.test\.ts$/.test(file)) problems.push(`${relative('.', file)}: imports "${spec}" from outside src/`);
      continue;
    }
    if (target.rank !== undefined && target.rank > own.rank) {
      problems.push(`${relative('.', file)}: layer "${own.name}" imports "${spec}" from the higher layer "${target.name}"`);
    }
  }
}

if (problems.length) {
  console.error(`check-layers: ${problems.length} import(s) point up the layer order:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-layers: ${files(ROOT).length} files, all imports point down`);
