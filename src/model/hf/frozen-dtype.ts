// How a frozen model holds its weights (issue 18 point 3): its matrices kept 16-bit where the
// checkpoint stores them so (or where their float32 values are exactly 16-bit ones, as a copy of
// a model widened from such a checkpoint is), at half the memory, or everything in float32. One
// option, declared here and nowhere else, for every command that loads a frozen model.
import { bool, choice } from '../../config/index.js';
import { Tensor, narrowExact } from '../../tensor/index.js';
import type { Transformer } from '../transformer.js';
import type { FrozenDtype } from './checkpoint-dir.js';

export const frozenDtypeOption = choice(['keep', 'float32'] as const, 'keep',
  "frozen models (reference, reward model, generation): 'keep' holds their matrices in the checkpoint's 16-bit type (bf16/f16, read by the kernels, exactly the float32 results); 'float32' widens them (debugging)",
  { aliases: ['frozen_dtype'] });

/**
 * Opt-in bfloat16 compute (issue 20; Transformer.bf16Compute), declared once for the training
 * commands (with --gradient-checkpointing) and generate. TRL and transformers have no such name:
 * theirs is torch.autocast(dtype=torch.bfloat16), which rounds activations the same way.
 */
export const bf16ComputeOption = bool(false,
  'products with bfloat16 weights round their activations to bfloat16 (as torch\'s autocast to bf16 does) and run AVX-512 BF16 dot products (AMX tiles where the CPU has them, for attention too): faster from batch 4, no longer the exact float32 numbers; the frozen weights must be bfloat16 (float16 ones are refused)');

const isMatrix = (name: string, t: Tensor): boolean => t.rank === 2 && !/^(score|v_head)\./.test(name);

/**
 * Narrows, in place, every float32 matrix of a frozen `model` whose values bfloat16 (else float16)
 * holds exactly: nothing is rounded, so the model computes what it computed. With 'float32', or
 * for weights that were trained, nothing changes. Returns the model.
 */
export function narrowFrozen(model: Transformer, dtype: FrozenDtype = 'keep'): Transformer {
  if (dtype !== 'keep') return model;
  for (const [name, t] of model.params) {
    if (t.isHalf || !isMatrix(name, t) || model.lora.has(name)) continue;
    for (const half of ['bfloat16', 'float16'] as const) {
      const bits = narrowExact(t.f32, half);
      if (!bits) continue;
      const n = new Tensor(bits, t.shape, false, half);
      n.name = t.name;
      model.params.set(name, n);
      break;
    }
  }
  return model;
}

/** Widens, in place, every 16-bit weight of `model` into a trainable float32 parameter (a critic made from a reward model). */
export function widenFrozen(model: Transformer): Transformer {
  for (const [name, t] of model.params) {
    if (!t.isHalf) continue;
    const w = new Tensor(t.values(), t.shape, true);
    w.name = t.name;
    model.params.set(name, w);
  }
  return model;
}
