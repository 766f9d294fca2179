// The tensor: a flat row-major typed array and a shape. Float32 for values, Int32 for token ids.
// Autograd state (requiresGrad, grad, node) is carried here as plain data; the tape that fills
// it lives in autograd/, which registers `backward` below so that `loss.backward()` reads well
// without this layer importing a higher one.
import { numel, shapeStr, type Shape } from './shape.js';

export type DType = 'float32' | 'int32';
export type Data = Float32Array | Int32Array;

/** One recorded op on the tape: how to push a gradient back into its inputs. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Accumulates the inputs' gradients given the output's gradient. */
  backward(gradOut: Float32Array): void;
}

let backwardImpl: ((t: Tensor, grad?: Float32Array) => void) | null = null;

/** Called once by autograd/ to provide `Tensor.backward`. */
export function registerBackward(fn: (t: Tensor, grad?: Float32Array) => void): void {
  backwardImpl = fn;
}

export class Tensor {
  readonly data: Data;
  readonly shape: readonly number[];
  readonly dtype: DType;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  node: GradNode | null = null;
  name: string | undefined;

  constructor(data: Data, shape: Shape, requiresGrad = false) {
    const n = numel(shape);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new TypeError(`Tensor: shape ${shapeStr(shape)} must hold non-negative integers`);
    }
    if (data.length !== n) {
      throw new RangeError(`Tensor: data has ${data.length} elements but shape ${shapeStr(shape)} needs ${n}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = data instanceof Int32Array ? 'int32' : 'float32';
    if (requiresGrad && this.dtype !== 'float32') {
      throw new TypeError('Tensor: only float32 tensors can require a gradient');
    }
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The float32 data; throws for int32 tensors so that ids never reach float kernels silently. */
  get f32(): Float32Array {
    if (!(this.data instanceof Float32Array)) throw new TypeError(`expected a float32 tensor, got ${this.dtype}`);
    return this.data;
  }

  get i32(): Int32Array {
    if (!(this.data instanceof Int32Array)) throw new TypeError(`expected an int32 tensor, got ${this.dtype}`);
    return this.data;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item(): tensor of shape ${shapeStr(this.shape)} has ${this.size} elements, expected 1`);
    return this.data[0]!;
  }

  toArray(): number[] {
    return Array.from(this.data);
  }

  /** Nested arrays in the tensor's shape. */
  toNested(): unknown {
    const rec = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return this.data[off];
      const stride = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => rec(dim + 1, off + i * stride));
    };
    return rec(0, 0);
  }

  /** The same data, cut off from the tape. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, false);
  }

  /** Marks a leaf as a parameter whose gradient is accumulated. */
  requireGrad(flag = true): this {
    if (flag && this.dtype !== 'float32') throw new TypeError('requireGrad: only float32 tensors can require a gradient');
    this.requiresGrad = flag;
    return this;
  }

  zeroGrad(): void {
    if (this.grad) this.grad.f32.fill(0);
  }

  /** Back-propagates from this scalar (or with an explicit output gradient). */
  backward(grad?: Float32Array): void {
    if (!backwardImpl) throw new Error('backward(): autograd is not loaded; import alignkit or autograd/ first');
    backwardImpl(this, grad);
  }

  toString(): string {
    const head = Array.from(this.data.slice(0, 8)).map((v) => +v.toPrecision(5));
    return `Tensor(${shapeStr(this.shape)}, ${this.dtype}, [${head.join(', ')}${this.size > 8 ? ', …' : ''}])`;
  }
}
