// LoRA (Hu et al. 2021): a frozen weight W plus a trainable low-rank update (alpha/r)·B·A,
// A (r, in) drawn small, B (out, r) zero so training starts from the base model exactly.
import { add, dropout, matmul, mul } from '../ops/index.js';
import { linear, loraLinear, normalParam, zerosParam, type WeightLayout } from '../nn/index.js';
import { Rng, Tensor } from '../tensor/index.js';
import { layoutOf, type Params } from './weights.js';
import { hasFusedProjections } from './families/fused.js';
import { SCALAR_HEADS } from './hf/weights.js';
import type { Transformer } from './transformer.js';

export interface LoraConfig {
  /** Rank of the update; 8 is the paper's common choice, small models do with 4. */
  rank: number;
  /** Scale numerator: the update is multiplied by alpha/rank (the paper sets alpha = rank·2 often). */
  alpha: number;
  /** Dropout on the adapter's input. */
  dropout: number;
  /** Which projections get adapters, by the last part of their name (e.g. q_proj, c_attn). */
  targets: string[];
}

export const defaultLoraTargets = {
  gpt2: ['c_attn', 'c_proj', 'c_fc'],
  llama: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
};

export interface LoraAdapter { A: Tensor; B: Tensor; scale: number; dropout: number }

/** Adds adapters for every targeted 2-D weight; returns them keyed by the weight's name. */
export function createLora(params: Params, layout: WeightLayout, cfg: LoraConfig, rng = new Rng(0)): Map<string, LoraAdapter> {
  if (!(cfg.rank > 0) || !Number.isInteger(cfg.rank)) throw new Error(`lora: rank = ${cfg.rank}, expected a positive integer`);
  const out = new Map<string, LoraAdapter>();
  for (const [name, w] of params) {
    if (w.rank !== 2 || !name.endsWith('.weight')) continue;
    const module = name.split('.').at(-2)!;
    if (!cfg.targets.includes(module)) continue;
    const [inDim, outDim] = layout === 'in-out' ? [w.shape[0]!, w.shape[1]!] : [w.shape[1]!, w.shape[0]!];
    const A = normalParam([cfg.rank, inDim], 1 / Math.sqrt(inDim), rng);
    const B = zerosParam([outDim, cfg.rank]);
    A.name = name.replace(/\.weight$/, '.lora_A.weight');
    B.name = name.replace(/\.weight$/, '.lora_B.weight');
    out.set(name, { A, B, scale: cfg.alpha / cfg.rank, dropout: cfg.dropout });
  }
  if (out.size === 0) throw new Error(`lora: no weight matches the targets [${cfg.targets.join(', ')}]`);
  return out;
}

/**
 * x·op(W) + bias + the adapter's update: one fused node (nn/lora-linear.ts) when the base is frozen
 * and no dropout applies, else the composition with loraDelta (same forward, bit for bit).
 */
export function loraProjection(x: Tensor, w: Tensor, bias: Tensor | null, transB: boolean, a: LoraAdapter, training: boolean, rng: Rng,
  bf16Compute = false): Tensor {
  if ((a.dropout === 0 || !training) && !w.requiresGrad && !bias?.requiresGrad) return loraLinear(x, w, bias, transB, a, bf16Compute);
  return add(matmul(x, w, { transB, bias, bf16Compute }), loraDelta(x, a, training, rng));
}

/** The adapter's contribution to y = linear(x, W): (alpha/r)·x·Aᵀ·Bᵀ. */
export function loraDelta(x: Tensor, a: LoraAdapter, training: boolean, rng: Rng): Tensor {
  const h = linear(dropout(x, a.dropout, training, rng), a.A);
  return mul(linear(h, a.B), a.scale);
}

/**
 * Folds every adapter into its base weight, in place; the adapters then contribute nothing. A
 * frozen 16-bit base weight is replaced in `params` by its float32 widening first: the merged
 * weight is no longer 16-bit exact.
 */
export function mergeLora(params: Params, adapters: Map<string, LoraAdapter>, layout: WeightLayout): void {
  for (const [name, a] of adapters) {
    const base = params.get(name)!;
    if (base.isHalf) {
      const wide = new Tensor(base.values(), base.shape);
      wide.name = base.name;
      params.set(name, wide);
    }
    const w = params.get(name)!.f32;
    const [r, inDim] = a.A.shape as [number, number];
    const outDim = a.B.shape[0]!;
    const A = a.A.f32, B = a.B.f32;
    for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += B[o * r + k]! * A[k * inDim + i]!;
      w[layout === 'in-out' ? i * outDim + o : o * inDim + i]! += a.scale * s;
    }
    a.B.f32.fill(0);
  }
}


/** The module names `--lora-targets` may name on this model: its adaptable 2-D weights, as PEFT spells them. */
export function loraModuleNames(model: Transformer): string[] {
  const names = new Set<string>();
  for (const [name, w] of model.params) {
    const parts = name.split('.');
    if (w.rank !== 2 || parts.at(-1) !== 'weight' || SCALAR_HEADS.includes(parts[0]!)) continue;
    const m = parts.at(-2)!;
    // Embeddings and the LM head are tables, not projections; PEFT's "all-linear" leaves the head out too.
    if (['wte', 'wpe', 'embed_tokens', 'lm_head'].includes(m)) continue;
    // Phi-3 fuses q/k/v and gate/up on disk: a PEFT adapter has no module by the split names.
    if (hasFusedProjections(model.config) && ['q_proj', 'k_proj', 'v_proj', 'gate_proj', 'up_proj'].includes(m)) continue;
    names.add(m);
  }
  return [...names];
}

/**
 * Adds adapters for `cfg` and freezes every weight of the base (scalar heads, a reward model's
 * score, stay trainable, as PEFT's modules_to_save): the optimiser then moves adapters and heads
 * only. `base` is the directory the base weights came from, unchanged (null when not on disk).
 */
export function freezeForLora(model: Transformer, cfg: LoraConfig, base: string | null, rng = new Rng(0)): void {
  if (model.lora.size > 0) throw new Error('freezeForLora: the model already has adapters; merge them first (mergeLora)');
  model.lora = createLora(model.params, layoutOf(model.config), cfg, rng);
  for (const [name, t] of model.params) if (!SCALAR_HEADS.includes(name.split('.')[0]!)) t.requireGrad(false);
  model.loraBase = base;
  model.saveAdapters = 'peft';
}
