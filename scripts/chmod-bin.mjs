// Marks package.json's bin targets executable after tsc has written them. npm sets the mode of a
// package's bin files when it links them, but a project's own bin is compiled by `prepare`, so on
// a fresh clone the file may not exist yet at that moment and `npx alignkit` then fails with
// "Permission denied".
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
for (const rel of bins) {
  const file = join(root, rel);
  if (!existsSync(file)) {
    console.error(`chmod-bin: ${rel} (package.json "bin") does not exist; did tsc run?`);
    process.exit(1);
  }
  chmodSync(file, 0o755);
}
