// Activation checkpointing (Chen et al. 2016, "Training deep nets with sublinear memory cost"):
// a block's forward runs with recording off, so that none of its intermediate tensors outlive
// it; only its inputs are kept. Its backward runs the block again with recording on and
// back-propagates through that copy at once, so at most one block's activations are alive at a
// time. The price is one more forward of the block per step (issue 18: the LoRA step at the
// Qwen2.5-0.5B shape).
//
// The recompute must compute what the forward computed: every random draw inside the block comes
// from the generator handed to `fn`, which the recompute replays from the state it had at the
// forward (a copy; the caller's generator stays where the plain forward leaves it).
import { Rng, Tensor } from '../tensor/index.js';
import { recycleGradBuffer } from './grad-pool.js';
import { backward, enableGrad, isGradEnabled, noGrad, record } from './tape.js';

/** The checkpointed block: its inputs in the order given, and the generator to draw from. */
export type CheckpointFn = (inputs: readonly Tensor[], rng: Rng | undefined) => Tensor;

/**
 * fn(inputs, rng), keeping for the backward only `inputs` and the generator's state. Every tensor
 * inside `fn` that needs a gradient must be one of `inputs` or of `params` (a block that reached
 * another tensor of the graph through its closure would back-propagate into it out of order).
 * `params` are the trainable leaves `fn` reads (LoRA adapters over a frozen base): the block is
 * recorded when one of them needs a gradient even if no input does (the first layer above a
 * frozen embedding), and they accumulate their own gradients during the recompute's backward.
 * Outside grad mode, or with nothing to train, it is fn itself.
 */
export function checkpoint(fn: CheckpointFn, inputs: readonly Tensor[], params: readonly Tensor[], rng?: Rng): Tensor {
  const trainable = params.filter((p) => p.requiresGrad);
  if (!isGradEnabled() || !(inputs.some((x) => x.requiresGrad) || trainable.length)) return fn(inputs, rng);
  const state = rng?.state();
  const out = noGrad(() => fn(inputs, rng));
  if (inputs.includes(out) || params.includes(out)) throw new Error('checkpoint: the block returned one of its inputs; expected a tensor it computed');
  return record(out, 'checkpoint', [...inputs, ...trainable], (gOut) => {
    // Detached copies share the inputs' data: the recompute reads them, and its graph stops there.
    const detached = inputs.map((x) => (x.requiresGrad ? new Tensor(x.data, x.shape, true) : x));
    let replay: Rng | undefined;
    if (state) { replay = new Rng(); replay.setState(state); }
    const y = enableGrad(() => fn(detached, replay));
    if (y.requiresGrad) backward(y, gOut); // a nested pass: its own order, node by node as the outer one
    inputs.forEach((x, i) => { if (detached[i] !== x) passGrad(detached[i]!, x); });
  });
}

/** Adds the detached copy's gradient into the input's (moving the buffer when the input has none yet). */
function passGrad(from: Tensor, to: Tensor): void {
  const g = from.grad;
  if (!g) return;
  from.grad = null;
  if (!to.grad) { to.grad = g; return; }
  const dst = to.grad.f32, src = g.f32;
  for (let i = 0; i < dst.length; i++) dst[i] += src[i]!;
  recycleGradBuffer(src);
}

/** Whether `t` is the output of a checkpointed block (for tests and tools). */
export function isCheckpointed(t: Tensor): boolean {
  return t.node?.op === 'checkpoint';
}
