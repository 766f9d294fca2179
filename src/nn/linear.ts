// Linear layers in the two storage layouts of the checkpoints we read and write:
// PyTorch's nn.Linear keeps W as (out, in) and computes x·Wᵀ; GPT-2's Conv1D keeps (in, out)
// and computes x·W. The leading axes of x are folded into one so that a single matmul runs.
import { add, matmul, reshape } from '../ops/index.js';
import type { Tensor } from '../tensor/index.js';

export type WeightLayout = 'out-in' | 'in-out';

/** y = x·Wᵀ + b (layout 'out-in') or x·W + b ('in-out'); x (..., in) → (..., out). */
export function linear(x: Tensor, w: Tensor, b: Tensor | null = null, layout: WeightLayout = 'out-in'): Tensor {
  const inDim = x.shape[x.rank - 1]!;
  const outDim = layout === 'out-in' ? w.shape[0]! : w.shape[1]!;
  const x2 = x.rank === 2 ? x : reshape(x, [-1, inDim]); // (N, in)
  let y = matmul(x2, w, { transB: layout === 'out-in' }); // (N, out)
  if (b) y = add(y, b);
  return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), outDim]);
}
