// Parameters, named exactly as Hugging Face's GPT2LMHeadModel and LlamaForCausalLM name them,
// so a checkpoint maps one-to-one. GPT-2's Conv1D weights are stored (in, out); Llama's
// nn.Linear weights (out, in). The layout of each matrix is recorded for `linear`.
import { normalParam, onesParam, zerosParam, type WeightLayout } from '../nn/index.js';
import { Rng, type Tensor } from '../tensor/index.js';
import { headDim, type ModelConfig } from './config.js';

export type Params = Map<string, Tensor>;

export function layoutOf(c: ModelConfig): WeightLayout {
  return c.family === 'gpt2' ? 'in-out' : 'out-in';
}

/** How one parameter starts: normal(0, std), ones or zeros. */
type Init = number | 'ones' | 'zeros';

/**
 * Every parameter's name, stored shape and initialisation, in the canonical order (the order
 * initParams draws its random numbers in); residual projections scaled by 1/√(2·nLayer) as GPT-2 does.
 */
function eachParam(c: ModelConfig, add: (name: string, shape: number[], init: Init) => void): void {
  const C = c.dModel, F = c.dFF, std = c.initStd, projStd = std / Math.sqrt(2 * c.nLayer);
  // Matrices are created in their stored layout: (in, out) for GPT-2, (out, in) for Llama.
  const mat = (name: string, inDim: number, outDim: number, s: number): void =>
    add(name, c.family === 'gpt2' ? [inDim, outDim] : [outDim, inDim], s);
  if (c.family === 'gpt2') {
    add('transformer.wte.weight', [c.vocabSize, C], std);
    add('transformer.wpe.weight', [c.maxSeqLen, C], 0.01);
    for (let i = 0; i < c.nLayer; i++) {
      const h = `transformer.h.${i}`;
      add(`${h}.ln_1.weight`, [C], 'ones'); add(`${h}.ln_1.bias`, [C], 'zeros');
      mat(`${h}.attn.c_attn.weight`, C, 3 * C, std); add(`${h}.attn.c_attn.bias`, [3 * C], 'zeros');
      mat(`${h}.attn.c_proj.weight`, C, C, projStd); add(`${h}.attn.c_proj.bias`, [C], 'zeros');
      add(`${h}.ln_2.weight`, [C], 'ones'); add(`${h}.ln_2.bias`, [C], 'zeros');
      mat(`${h}.mlp.c_fc.weight`, C, F, std); add(`${h}.mlp.c_fc.bias`, [F], 'zeros');
      mat(`${h}.mlp.c_proj.weight`, F, C, projStd); add(`${h}.mlp.c_proj.bias`, [C], 'zeros');
    }
    add('transformer.ln_f.weight', [C], 'ones'); add('transformer.ln_f.bias', [C], 'zeros');
    if (!c.tieEmbeddings) add('lm_head.weight', [c.vocabSize, C], std);
    return;
  }
  const D = headDim(c), g: Init = c.normOffset ? 'zeros' : 'ones'; // Gemma's gains are stored as w in (1 + w)
  add('model.embed_tokens.weight', [c.vocabSize, C], std);
  for (let i = 0; i < c.nLayer; i++) {
    const l = `model.layers.${i}`, a = `${l}.self_attn`;
    add(`${l}.input_layernorm.weight`, [C], g);
    mat(`${a}.q_proj.weight`, C, c.nHead * D, std);
    if (c.qkvBias) add(`${a}.q_proj.bias`, [c.nHead * D], 'zeros');
    mat(`${a}.k_proj.weight`, C, c.nKvHead * D, std);
    if (c.qkvBias) add(`${a}.k_proj.bias`, [c.nKvHead * D], 'zeros');
    mat(`${a}.v_proj.weight`, C, c.nKvHead * D, std);
    if (c.qkvBias) add(`${a}.v_proj.bias`, [c.nKvHead * D], 'zeros');
    mat(`${a}.o_proj.weight`, c.nHead * D, C, projStd);
    if (c.qkNorm) { add(`${a}.q_norm.weight`, [D], g); add(`${a}.k_norm.weight`, [D], g); }
    add(`${l}.post_attention_layernorm.weight`, [C], g);
    if (c.sandwichNorms) { add(`${l}.pre_feedforward_layernorm.weight`, [C], g); add(`${l}.post_feedforward_layernorm.weight`, [C], g); }
    mat(`${l}.mlp.gate_proj.weight`, C, F, std);
    mat(`${l}.mlp.up_proj.weight`, C, F, std);
    mat(`${l}.mlp.down_proj.weight`, F, C, projStd);
  }
  add('model.norm.weight', [C], g);
  if (!c.tieEmbeddings) add('lm_head.weight', [c.vocabSize, C], std);
}

/** Fresh parameters. */
export function initParams(c: ModelConfig, rng = new Rng(0)): Params {
  const p: Params = new Map();
  eachParam(c, (name, shape, init) => {
    const t = init === 'ones' ? onesParam(shape) : init === 'zeros' ? zerosParam(shape) : normalParam(shape, init, rng);
    t.name = name;
    p.set(name, t);
  });
  return p;
}

/**
 * The expected stored shape of every parameter, for checking a loaded checkpoint, in initParams'
 * order. Nothing is allocated: a checkpoint of 500M parameters is not doubled in memory at load.
 */
export function expectedShapes(c: ModelConfig): Map<string, number[]> {
  const out = new Map<string, number[]>();
  eachParam(c, (name, shape) => out.set(name, shape));
  return out;
}

export function embeddingName(c: ModelConfig): string {
  return c.family === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight';
}
