// Constructors: from arrays and typed arrays, constants, and seeded random fills.
import { Rng, defaultRng } from './rng.js';
import { numel, shapeStr, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

type Nested = number | readonly Nested[];

function inferShape(x: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = (cur as readonly Nested[])[0] ?? 0;
  }
  return shape;
}

function flatten(x: Nested, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (typeof x !== 'number') throw new TypeError('tensor(): nested array is ragged or holds a non-number');
    out.push(x);
    return;
  }
  if (!Array.isArray(x) || x.length !== shape[dim]) {
    throw new TypeError(`tensor(): nested array is ragged at depth ${dim}: expected length ${shape[dim]}`);
  }
  for (const v of x as readonly Nested[]) flatten(v, shape, dim + 1, out);
}

export interface TensorOptions {
  dtype?: 'float32' | 'int32';
  requiresGrad?: boolean;
}

/** A tensor from nested arrays or a flat typed array (then `shape` is required unless 1-D). */
export function tensor(values: Nested | Float32Array | Int32Array | Float64Array, shape?: Shape, opts: TensorOptions = {}): Tensor {
  if (ArrayBuffer.isView(values)) {
    const s = shape ?? [values.length];
    if (values instanceof Int32Array && opts.dtype !== 'float32') return new Tensor(values, s, false);
    const data = opts.dtype === 'int32' ? Int32Array.from(values) : values instanceof Float32Array ? values : Float32Array.from(values);
    return new Tensor(data, s, opts.requiresGrad ?? false);
  }
  const inferred = inferShape(values as Nested);
  const flat: number[] = [];
  flatten(values as Nested, inferred, 0, flat);
  const s = shape ?? inferred;
  if (numel(s) !== flat.length) throw new RangeError(`tensor(): ${flat.length} values do not fill shape ${shapeStr(s)}`);
  const data = opts.dtype === 'int32' ? Int32Array.from(flat) : Float32Array.from(flat);
  return new Tensor(data, s, opts.requiresGrad ?? false);
}

export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
  const n = numel(shape);
  const data = opts.dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  return new Tensor(data, shape, opts.requiresGrad ?? false);
}

/**
 * n floats whose contents are undefined, for a buffer its writer fills in full. A new
 * Float32Array is zero-filled, which for the megabytes of a training step's activations is a
 * memset on the JS thread per op; Node's Buffer.allocUnsafeSlow skips it. Small sizes, and
 * runtimes without Buffer, get an ordinary array.
 */
export function uninitializedF32(n: number): Float32Array {
  if (n < 4096 || typeof Buffer === 'undefined') return new Float32Array(n);
  const b = Buffer.allocUnsafeSlow(n * 4);
  return new Float32Array(b.buffer, b.byteOffset, n);
}

/** A float tensor whose contents are undefined: only for outputs a kernel writes in full. */
export function empty(shape: Shape): Tensor {
  return new Tensor(uninitializedF32(numel(shape)), shape);
}

export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  const t = zeros(shape, opts);
  t.data.fill(value);
  return t;
}

export function ones(shape: Shape, opts: TensorOptions = {}): Tensor {
  return full(shape, 1, opts);
}

export function scalar(value: number): Tensor {
  return new Tensor(Float32Array.of(value), []);
}

export function arange(n: number, opts: TensorOptions = {}): Tensor {
  const t = zeros([n], opts);
  for (let i = 0; i < n; i++) t.data[i] = i;
  return t;
}

export interface RandomOptions {
  rng?: Rng;
  requiresGrad?: boolean;
}

/** Normal(mean, std) samples. */
export function randn(shape: Shape, opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const rng = opts.rng ?? defaultRng();
  const mean = opts.mean ?? 0;
  const std = opts.std ?? 1;
  const t = zeros(shape, { requiresGrad: opts.requiresGrad });
  const d = t.f32;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return t;
}

/** Uniform samples in [low, high). */
export function uniform(shape: Shape, low = 0, high = 1, opts: RandomOptions = {}): Tensor {
  const rng = opts.rng ?? defaultRng();
  const t = zeros(shape, { requiresGrad: opts.requiresGrad });
  const d = t.f32;
  for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * rng.uniform();
  return t;
}
