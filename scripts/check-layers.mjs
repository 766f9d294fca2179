#!/usr/bin/env node
// The layer check (README, "Layers"), on the real module graph that dependency-cruiser resolves
// (type-only imports included):
//   - a file imports from its own top-level folder or from a folder of LOWER rank: never up, and
//     never sideways into another folder of the same rank;
//   - inside any folder, its subfolders import each other without a cycle (folder-level DAG);
//   - no command (cli/commands/*) imports another command;
//   - nothing under src/ but a test imports a test module, a test fixture or anything outside src/;
//     tests themselves may import across layers (an integration test of ops reaches autograd);
//   - every relative import resolves.
// Usage: node scripts/check-layers.mjs [SRC_DIR]   (exit 1 with one line per problem)
import { existsSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { cruise } from 'dependency-cruiser';

// Rank of each top-level folder under src/; an import must point to a strictly lower rank.
// hub (Hugging Face Hub ids and cache) needs only io and config, and model resolves its ids, so
// it sits beside nn and tokenizer, below model. dashboard (the run dashboard and the terminal views,
// issue 21) reads runs, data and align's reports and is served by a cli command: beside recipes.
// serve (the OpenAI-compatible server, issue 19) runs model's batch engine on tokenizer's chat
// templates and is started by a cli command: beside recipes and dashboard too.
export const LAYERS = {
  tensor: 1, io: 1, config: 1,
  backend: 2,
  autograd: 3,
  ops: 4,
  nn: 5, tokenizer: 5, hub: 5,
  model: 6,
  rewards: 7, runs: 7,
  data: 8,
  align: 9,
  recipes: 10, dashboard: 10, serve: 10,
  cli: 11,
};

const root = resolve(process.argv[2] ?? 'src');
if (!existsSync(root)) {
  console.error(`check-layers: ${root}: no such directory`);
  process.exit(2);
}
const cwd = process.cwd();
const rel = (abs) => relative(root, abs).split(sep).join('/');
const shown = (abs) => relative(cwd, abs).split(sep).join('/');

const result = await cruise([shown(root)], {
  tsPreCompilationDeps: true,
  doNotFollow: { path: 'node_modules' },
  exclude: { path: '(^|/)node_modules/' },
  enhancedResolveOptions: { extensionAlias: { '.js': ['.ts', '.js'] }, extensions: ['.ts', '.js', '.mjs'] },
});

const isTest = (p) => /\.test\.ts$/.test(p);
const topOf = (r) => (r.includes('/') ? r.split('/')[0] : null);
const problems = [];
const edges = []; // [from, to] as paths relative to root, both inside it

for (const m of result.output.modules) {
  const fromAbs = resolve(cwd, m.source);
  const from = rel(fromAbs);
  if (from.startsWith('..') || m.coreModule || m.couldNotResolve) continue;
  const top = topOf(from);
  if (top !== null && !(top in LAYERS)) {
    problems.push(`${shown(fromAbs)}: folder "src/${top}" is not in the layer table (scripts/check-layers.mjs, README "Layers")`);
    continue;
  }
  for (const d of m.dependencies) {
    if (d.coreModule || (!d.module.startsWith('.') && !d.couldNotResolve)) continue; // a package
    if (d.couldNotResolve) {
      problems.push(`${shown(fromAbs)}: imports "${d.module}", which does not resolve to a file`);
      continue;
    }
    const to = rel(resolve(cwd, d.resolved));
    if (to.startsWith('..')) {
      if (!isTest(from)) problems.push(`${shown(fromAbs)}: imports "${d.module}" from outside src/ (a test fixture or script); only tests may`);
      continue;
    }
    if (isTest(from)) continue; // tests may reach across layers; the rules below are about shipped code
    if (isTest(to)) problems.push(`${shown(fromAbs)}: imports the test module "${d.module}"; shipped code must not depend on tests`);
    edges.push([from, to, d.module]);
  }
}

const rankOf = (path) => (topOf(path) === null ? Infinity : LAYERS[topOf(path)]);
for (const [from, to, spec] of edges) {
  const a = topOf(from), b = topOf(to);
  if (a === b || b === null) continue;
  if (rankOf(to) > rankOf(from)) problems.push(`src/${from}: layer "${a ?? '(root)'}" imports "${spec}" from the higher layer "${b}"`);
  else if (rankOf(to) === rankOf(from)) problems.push(`src/${from}: layer "${a}" imports "${spec}" from "${b}", a folder of the same rank; same-rank folders stay independent`);
}
for (const [from, to, spec] of edges) {
  if (from.startsWith('cli/commands/') && to.startsWith('cli/commands/') && from !== to) {
    problems.push(`src/${from}: a command imports another command ("${spec}"); move what they share into the library or cli/`);
  }
}

// Folder-level DAG: for every folder, the graph between its child folders must have no cycle.
const folderEdges = new Map(); // parent -> Map(childA -> Set(childB))
for (const [from, to] of edges) {
  const a = from.split('/'), b = to.split('/');
  let i = 0;
  while (i < a.length - 1 && i < b.length - 1 && a[i] === b[i]) i++;
  if (i >= a.length - 1 || i >= b.length - 1) continue; // one side is a file of the common folder
  const parent = a.slice(0, i).join('/');
  const children = folderEdges.get(parent) ?? new Map();
  folderEdges.set(parent, children);
  const set = children.get(a[i]) ?? new Set();
  children.set(a[i], set);
  set.add(b[i]);
}
for (const [parent, graph] of folderEdges) {
  const state = new Map();
  const stack = [];
  const visit = (n) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 1) {
        const cycle = [...stack.slice(stack.indexOf(m)), m].map((x) => `src/${parent ? parent + '/' : ''}${x}`);
        problems.push(`folders import each other in a cycle: ${cycle.join(' -> ')}`);
      } else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
}

const unique = [...new Set(problems)];
if (unique.length) {
  console.error(`check-layers: ${unique.length} problem(s) with imports:\n  ${unique.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-layers: ${result.output.modules.filter((m) => !rel(resolve(cwd, m.source)).startsWith('..')).length} files, every import points down, no folder cycles`);
