// Reverse-mode autograd. Every op that sees an input needing a gradient (while grad mode is on)
// hangs a GradNode on its output; `backward` orders the graph from the loss by depth-first
// search and runs the nodes in reverse, each accumulating into its inputs' `.grad`.
// Gradients of intermediate tensors are dropped as soon as they have been propagated, unless
// `retainGrad` asked to keep them, and their buffers recycled (grad-pool.ts); parameters
// (leaves) keep and accumulate theirs.
import { backend } from '../backend/index.js';
import { Tensor, registerBackward, shapeStr, type GradNode } from '../tensor/index.js';
import { recycleGradBuffer, takeGradBuffer } from './grad-pool.js';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` with recording off: ops inside it build no graph, even on parameters. */
export function noGrad<R>(fn: () => R): R {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs `fn` with recording on (inside a noGrad scope, for example). */
export function enableGrad<R>(fn: () => R): R {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** True when an op on these inputs must be recorded. */
export function needsGrad(...inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/** The gradient buffer of `t`, allocated (zeroed) on first use; null when t needs none. */
export function gradOf(t: Tensor | null | undefined): Float32Array | null {
  if (!t || !t.requiresGrad) return null;
  if (!t.grad) t.grad = new Tensor(takeGradBuffer(t.size), t.shape);
  return t.grad.f32;
}

/**
 * The gradient buffer of `t` for a writer that can either overwrite or accumulate (a product's
 * `accumulate` flag): `fresh` when this call created it, its contents then undefined, and the
 * caller must write every element; otherwise it holds what earlier uses added, to accumulate
 * onto. Skips zero-filling the megabytes of an activation's gradient that the first write would
 * replace anyway. null when t needs no gradient.
 */
export function gradSlot(t: Tensor | null | undefined): { grad: Float32Array; fresh: boolean } | null {
  if (!t || !t.requiresGrad) return null;
  if (t.grad) return { grad: t.grad.f32, fresh: false };
  t.grad = new Tensor(takeGradBuffer(t.size, false), t.shape);
  return { grad: t.grad.f32, fresh: true };
}

const retained = new WeakSet<Tensor>();

/** Keeps the gradient of an intermediate tensor after backward (for inspection and tests). */
export function retainGrad(t: Tensor): Tensor {
  retained.add(t);
  return t;
}

/** Marks `out` as produced by `op` from `inputs`; `backward` receives d(loss)/d(out). */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: (gradOut: Float32Array) => void): Tensor {
  if (!needsGrad(...inputs)) return out;
  out.requiresGrad = true;
  const node: GradNode = { op, inputs, backward };
  out.node = node;
  return out;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: deep graphs (long sequences, many layers) must not overflow the JS stack.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i]!;
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

export function backward(root: Tensor, grad?: Float32Array): void {
  if (!root.requiresGrad) {
    throw new Error('backward(): the tensor does not require a gradient (no parameter reached it, or it was computed under noGrad)');
  }
  if (!grad && root.size !== 1) {
    throw new Error(`backward(): called on a tensor of shape ${shapeStr(root.shape)}; expected a scalar, or pass the output gradient`);
  }
  if (grad && grad.length !== root.size) {
    throw new RangeError(`backward(): gradient has ${grad.length} elements, expected ${root.size}`);
  }
  const g = gradOf(root)!;
  if (grad) for (let i = 0; i < g.length; i++) g[i] += grad[i]!;
  else g[0] += 1;
  const order = topoOrder(root);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    if (!t.node || !t.grad) continue;
    t.node.backward(t.grad.f32);
    // Its node's closure holds what its backward read (a layer's activations): dropped once run,
    // with the order's reference, those buffers can go while the layers below still run theirs
    // (issue 22: the SmolLM2-135M step's peak). The tensor is a constant from here on.
    t.node = null;
    t.requiresGrad = false;
    order[i] = null!;
    if (retained.has(t)) continue;
    // Nothing else holds an intermediate's gradient: its buffer can serve a later one.
    recycleGradBuffer(t.grad.f32);
    t.grad = null;
  }
}

registerBackward(backward);

/** √(Σ‖g‖²) over the gradients of `params` (those without a gradient count as zero). */
export function gradNorm(params: Iterable<Tensor>): number {
  const be = backend();
  let s = 0;
  for (const p of params) if (p.grad) s += be.sumSquares(p.grad.f32, p.grad.size);
  return Math.sqrt(s);
}

/**
 * Bytes of values the graph below `root` holds until its backward: every recorded tensor reachable
 * through the nodes' inputs whose values were not released (Tensor.release). Leaves (parameters,
 * inputs) are not counted: they live on without the graph.
 */
export function tapeBytes(root: Tensor): number {
  const seen = new Set<Tensor>(), stack = [root];
  let bytes = 0;
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.node && !t.released) bytes += t.data.BYTES_PER_ELEMENT * t.size;
    for (const x of t.node?.inputs ?? []) stack.push(x);
  }
  return bytes;
}
