// Gated linear units as one autograd node (Shazeer 2020, "GLU Variants Improve Transformer"):
// act(gate) ⊙ up, act SiLU (SwiGLU: Llama, Qwen, Mistral) or tanh-GELU (GeGLU: Gemma). As two ops
// the graph kept act(gate) beside gate and up until the backward; here the backward recomputes it
// (one elementwise pass) with the same kernels, so forward and gradients equal the composed ops'
// bit for bit, one MLP-wide activation per layer lighter (issue 22).
import { backend } from '../../backend/index.js';
import { gradOf, gradSlot, needsGrad, record, recycleGradBuffer, takeGradBuffer } from '../../autograd/index.js';
import { Tensor, empty } from '../../tensor/index.js';
import { expectFloat, shapeMismatch } from '../errors.js';

export type GluActivation = 'silu' | 'gelu_tanh';

function activate(act: GluActivation, out: Float32Array, x: Float32Array, n: number): void {
  if (act === 'silu') backend().siluForward(out, x, n);
  else backend().geluForward(out, x, n);
}

/** act(gate) ⊙ up, gate and up of one shape. */
export function glu(gate: Tensor, up: Tensor, act: GluActivation): Tensor {
  const op = act === 'silu' ? 'swiglu' : 'geglu';
  expectFloat(op, gate, 'gate');
  expectFloat(op, up, 'up');
  if (gate.shape.join() !== up.shape.join()) throw shapeMismatch(op, gate.shape, up.shape, 'gate and up of one shape');
  const n = gate.size, be = backend(), flat = [n], unit = [1];
  const out = empty(gate.shape);
  be.gluForward(out.f32, gate.f32, up.f32, n, act === 'gelu_tanh'); // act(gate) ⊙ up in one pass, in cache
  if (!needsGrad(gate, up)) return out;
  return record(out, op, [gate, up], (g) => {
    // Scratch from the gradient pool, handed back at once: a layer's MLP width per backward.
    // Gradients written where this backward creates them (dAct, and up's when it has none yet),
    // not zero-filled and then added to, as elementwise mul's backward does (elementwise.ts).
    const recomputed = takeGradBuffer(n, false);
    activate(act, recomputed, gate.f32, n);
    const dAct = gate.requiresGrad ? takeGradBuffer(n, false) : null;
    if (dAct) be.binaryForward('mul', dAct, g, unit, up.f32, unit, flat);
    const du = gradSlot(up);
    if (du?.fresh) be.binaryForward('mul', du.grad, g, unit, recomputed, unit, flat);
    else if (du) be.binaryBackward('mul', null, du.grad, g, recomputed, unit, g, unit, flat);
    recycleGradBuffer(recomputed);
    if (!dAct) return;
    if (act === 'silu') be.siluBackward(gradOf(gate)!, gate.f32, dAct, n);
    else be.geluBackward(gradOf(gate)!, gate.f32, dAct, n);
    recycleGradBuffer(dAct);
  });
}
