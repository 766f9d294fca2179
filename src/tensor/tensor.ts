// The tensor: a flat row-major typed array and a shape. Float32 for values, Int32 for token ids,
// and bfloat16 / float16 bit patterns (Uint16Array) for frozen weights that stay in a checkpoint's
// 16-bit type (half.ts): those never require a gradient, and `f32` refuses them, so that only the
// ops that widen them (matmul's right operand, embedding's table) ever see them.
// Autograd state (requiresGrad, grad, node) is carried here as plain data; the tape that fills
// it lives in autograd/, which registers `backward` below so that `loss.backward()` reads well
// without this layer importing a higher one.
import { isHalf, widenHalf, type HalfDType } from './half.js';
import { numel, shapeStr, type Shape } from './shape.js';

export type DType = 'float32' | 'int32' | HalfDType;
export type Data = Float32Array | Int32Array | Uint16Array;

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
  #data: Data | null;
  /** Elements, from the shape (it outlives the values of a released tensor). */
  readonly size: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  node: GradNode | null = null;
  name: string | undefined;

  /** `half` says which 16-bit type a Uint16Array holds (required for one, refused otherwise). */
  constructor(data: Data, shape: Shape, requiresGrad = false, half?: HalfDType) {
    const n = numel(shape);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new TypeError(`Tensor: shape ${shapeStr(shape)} must hold non-negative integers`);
    }
    if (data.length !== n) {
      throw new RangeError(`Tensor: data has ${data.length} elements but shape ${shapeStr(shape)} needs ${n}`);
    }
    this.#data = data;
    this.size = n;
    this.shape = Object.freeze([...shape]);
    if ((data instanceof Uint16Array) !== (half !== undefined) || (half !== undefined && !isHalf(half))) {
      throw new TypeError(`Tensor: a Uint16Array needs its 16-bit type ('bfloat16' or 'float16'), got ${String(half)} for a ${data.constructor.name}`);
    }
    this.dtype = half ?? (data instanceof Int32Array ? 'int32' : 'float32');
    if (requiresGrad) checkTrainable(this.dtype, 'Tensor');
    this.requiresGrad = requiresGrad;
  }

  get data(): Data {
    if (!this.#data) {
      throw new Error(`Tensor: the values of this ${shapeStr(this.shape)} tensor were released (release()) and read again; ` +
        `only a tensor whose consumers' gradients read none of its values may be released`);
    }
    return this.#data;
  }

  /**
   * Lets the values go while the tensor stays on the tape: its shape, node and gradient remain.
   * For the forward pass of a model that knows a tensor's values are read by no one again, not
   * by later ops nor by the backward of the nodes that consume it (an add, a copy, a rotation),
   * only its identity, to route a gradient: the graph then stops holding them until the backward
   * (issue 22). Reading them afterwards throws.
   */
  release(): void {
    this.#data = null;
  }

  /** Whether release() let the values go. */
  get released(): boolean {
    return this.#data === null;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The float32 data; throws for int32 tensors so that ids never reach float kernels silently. */
  get f32(): Float32Array {
    if (!(this.data instanceof Float32Array)) throw new TypeError(`expected a float32 tensor, got ${this.dtype}`);
    return this.data;
  }

  /** The 16-bit patterns of a bfloat16 or float16 tensor. */
  get u16(): Uint16Array {
    if (!(this.data instanceof Uint16Array)) throw new TypeError(`expected a bfloat16 or float16 tensor, got ${this.dtype}`);
    return this.data;
  }

  /** Whether the data are 16-bit patterns (bfloat16 or float16). */
  get isHalf(): boolean {
    return this.data instanceof Uint16Array;
  }

  /** The values as float32: the data itself for a float32 tensor, a widened copy for a 16-bit one. */
  values(): Float32Array {
    return this.data instanceof Uint16Array ? widenHalf(this.data, this.dtype as HalfDType) : this.f32;
  }

  get i32(): Int32Array {
    if (!(this.data instanceof Int32Array)) throw new TypeError(`expected an int32 tensor, got ${this.dtype}`);
    return this.data;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item(): tensor of shape ${shapeStr(this.shape)} has ${this.size} elements, expected 1`);
    return this.isHalf ? this.values()[0]! : this.data[0]!;
  }

  toArray(): number[] {
    return Array.from(this.isHalf ? this.values() : this.data);
  }

  /** Nested arrays in the tensor's shape. */
  toNested(): unknown {
    const data = this.isHalf ? this.values() : this.data;
    const rec = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return data[off];
      const stride = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => rec(dim + 1, off + i * stride));
    };
    return rec(0, 0);
  }

  /** The same data, cut off from the tape. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false, this.half);
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, false, this.half);
  }

  /** The 16-bit type of a half tensor, else undefined. */
  get half(): HalfDType | undefined {
    return isHalf(this.dtype) ? this.dtype : undefined;
  }

  /** Marks a leaf as a parameter whose gradient is accumulated. */
  requireGrad(flag = true): this {
    if (flag) checkTrainable(this.dtype, 'requireGrad');
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
    const head = Array.from((this.isHalf ? this.values() : this.data).slice(0, 8)).map((v) => +v.toPrecision(5));
    return `Tensor(${shapeStr(this.shape)}, ${this.dtype}, [${head.join(', ')}${this.size > 8 ? ', …' : ''}])`;
  }
}

function checkTrainable(dtype: DType, where: string): void {
  if (dtype === 'float32') return;
  if (isHalf(dtype)) {
    throw new TypeError(`${where}: a ${dtype} tensor is a frozen weight and cannot require a gradient; `
      + 'train float32 parameters (load the model with frozen dtype float32, --frozen-dtype float32, to train every weight)');
  }
  throw new TypeError(`${where}: only float32 tensors can require a gradient`);
}
