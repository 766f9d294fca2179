// Which backend runs the kernels. Everything above this layer calls `backend()` and never
// knows which implementation answered. The native backend registers itself here when it loads.
import type { Backend } from './kernels.js';
import { jsBackend } from './js/index.js';

export type { Backend, BinaryOp, F32, I32, Strides, UnaryOp } from './kernels.js';
export { jsBackend } from './js/index.js';

let current: Backend = jsBackend;

export function backend(): Backend {
  return current;
}

export function setBackend(b: Backend): void {
  current = b;
}
