#!/usr/bin/env node
// Builds the dashboard page (web/) into dist/web with esbuild: app.ts and what it imports,
// uPlot included, as one app.js and one app.css, beside index.html. Run by `npm run build`,
// `npm test` and `prepare` after tsc; nothing is fetched at run time (issue 21).
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

mkdirSync('dist/web', { recursive: true });
await build({
  entryPoints: ['web/app.ts'], bundle: true, outfile: 'dist/web/app.js', format: 'iife', target: 'es2020', minify: true,
  legalComments: 'none', logLevel: 'warning',
});
copyFileSync('web/index.html', 'dist/web/index.html');
