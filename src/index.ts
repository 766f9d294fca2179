// The library API: `import { tensor, matmul, noGrad } from 'alignkit'`.
export * from './tensor/index.js';
export * from './autograd/index.js';
export * from './ops/index.js';
export { backend, setBackend, jsBackend } from './backend/index.js';
export type { Backend } from './backend/index.js';
