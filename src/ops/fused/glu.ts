// Gated linear units as one autograd node (Shazeer 2020, "GLU Variants Improve Transformer"):
// act(gate) ⊙ up, act SiLU (SwiGLU: Llama, Qwen, Mistral) or tanh-GELU (GeGLU: Gemma). As two ops
// the graph kept act(gate) beside gate and up until the backward; here the backward recomputes it
// inside one pass that also makes both gradients (gluBackward: at Qwen2.5-0.5B's MLP width 48
// products and 24 activations a LoRA step were separate passes over 10 MB arrays), and forward and
// gradients equal the composed ops' bit for bit, one MLP-wide activation per layer lighter (issue 22).
import { backend } from '../../backend/index.js';
import { gradOf, gradSlot, needsGrad, record } from '../../autograd/index.js';
import { Tensor, empty } from '../../tensor/index.js';
import { expectFloat, shapeMismatch } from '../errors.js';

export type GluActivation = 'silu' | 'gelu_tanh';

/** act(gate) ⊙ up, gate and up of one shape. */
export function glu(gate: Tensor, up: Tensor, act: GluActivation): Tensor {
  const op = act === 'silu' ? 'swiglu' : 'geglu';
  expectFloat(op, gate, 'gate');
  expectFloat(op, up, 'up');
  if (gate.shape.join() !== up.shape.join()) throw shapeMismatch(op, gate.shape, up.shape, 'gate and up of one shape');
  const n = gate.size, be = backend();
  const out = empty(gate.shape);
  be.gluForward(out.f32, gate.f32, up.f32, n, act === 'gelu_tanh'); // act(gate) ⊙ up in one pass, in cache
  if (!needsGrad(gate, up)) return out;
  return record(out, op, [gate, up], (g) => {
    // One pass (gluBackward): the activation recomputed in registers, up's gradient written where
    // this backward creates it (not zero-filled and added to) and gate's added to — bit for bit the
    // activation, the two products and silu/geluBackward as separate passes over the MLP width.
    const du = gradSlot(up), dGate = gate.requiresGrad ? gradOf(gate) : null;
    be.gluBackward(dGate, du ? du.grad : null, g, gate.f32, up.f32, n, act === 'gelu_tanh', du?.fresh ?? false);
  });
}
