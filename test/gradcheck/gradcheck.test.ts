// Every op's gradient against central finite differences of a float64 reference (issue 2).
import { test } from 'node:test';
import { cases } from './cases.js';
import { checkCase } from './harness.js';

for (const c of cases) test(`gradcheck: ${c.name}`, () => checkCase(c));
