#!/usr/bin/env node
// The `alignkit` command: dispatches to subcommands. Each command lives in its own file and
// registers a name, a one-line summary and a run function.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commands } from './commands.js';

function packageVersion(): string {
  // dist/src/cli/main.js → package.json three levels up (src/cli/main.ts in a source checkout).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'alignkit' && pkg.version) return pkg.version;
    } catch {
      // not here; look one level up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export function usage(): string {
  const width = Math.max(0, ...commands.map((c) => c.name.length));
  return [
    'alignkit — train language models with feedback, in Node.js',
    '',
    'Usage: alignkit <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  --help, -h     show this help (or a command\'s: alignkit <command> --help)',
    '  --version, -v  print the version',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    console.log(usage());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    console.log(packageVersion());
    return 0;
  }
  // Two-word commands (`runs list`, `runs show`) are found by their first two arguments.
  const two = commands.find((c) => c.name === `${first} ${rest[0]}`);
  if (two) return two.run(rest.slice(1));
  const cmd = commands.find((c) => c.name === first);
  const family = commands.filter((c) => c.name.startsWith(`${first} `));
  if (!cmd && family.length) {
    const width = Math.max(...family.map((c) => c.name.length));
    console.error(`alignkit ${first}: expected one of ${family.map((c) => c.name).join(', ')}\n\n${family.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}`);
    return 2;
  }
  if (!cmd) {
    console.error(`alignkit: unknown command "${first}"\n\n${usage()}`);
    return 2;
  }
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`alignkit: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
