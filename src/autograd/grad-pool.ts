// Recycled gradient buffers. Autograd alone holds the gradient of an intermediate tensor, and
// backward drops it as soon as it has been propagated, so its buffer can serve the next gradient
// of the same size instead of waiting for the garbage collector. A fresh Float32Array of a few MB
// costs a calloc (a memset, or page faults on fresh mmap'd pages) on the JS thread, and a training
// step makes hundreds of them; a recycled one is usually still in cache. Measured on config A of
// `alignkit bench` (2 cores): about 9% less time per step.
//
// Only buffers that backward itself owned come back here: parameters keep their gradients, and
// so do tensors marked with retainGrad.

import { uninitializedF32 } from '../tensor/index.js';

/** Smaller buffers are cheap to allocate and not worth tracking. */
const MIN_ELEMENTS = 4096;
/** Spare buffers kept per size: a backward rarely frees more of one size before it needs one. */
const PER_SIZE = 8;
/** Cap on the bytes the pool keeps alive. */
const MAX_BYTES = 256 * 2 ** 20;

const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;

/**
 * A buffer of n floats, a recycled one when the pool has one of that size: zero-filled, or with
 * `zero` false of undefined contents (for a writer that overwrites it in full).
 */
export function takeGradBuffer(n: number, zero = true): Float32Array {
  const spare = n >= MIN_ELEMENTS ? free.get(n)?.pop() : undefined;
  if (!spare) return zero ? new Float32Array(n) : uninitializedF32(n);
  pooledBytes -= spare.byteLength;
  return zero ? spare.fill(0) : spare;
}

/**
 * Hands a buffer back once nothing will read or write it again. Views into a larger buffer,
 * small buffers and buffers beyond the caps are left to the garbage collector.
 */
export function recycleGradBuffer(buf: Float32Array): void {
  const n = buf.length;
  if (n < MIN_ELEMENTS || buf.byteOffset !== 0 || buf.buffer.byteLength !== buf.byteLength) return;
  if (pooledBytes + buf.byteLength > MAX_BYTES) return;
  const list = free.get(n) ?? [];
  if (list.length >= PER_SIZE) return;
  list.push(buf);
  free.set(n, list);
  pooledBytes += buf.byteLength;
}

/** Drops every spare buffer (the garbage collector then returns the memory). */
export function releaseGradBuffers(): void {
  free.clear();
  pooledBytes = 0;
}

/** Spare buffers and their bytes, for tests and tools. */
export function gradPoolStats(): { buffers: number; bytes: number } {
  let buffers = 0;
  for (const l of free.values()) buffers += l.length;
  return { buffers, bytes: pooledBytes };
}
