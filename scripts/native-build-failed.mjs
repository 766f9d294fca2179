#!/usr/bin/env node
// Runs when `node-gyp rebuild` fails during `npm install` (package.json "install"): the package
// still works on the JS backend, so the install succeeds with one line that says what happened.
console.error('alignkit: the native backend did not build (see the node-gyp output above); alignkit will use the JS backend');
