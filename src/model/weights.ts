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

/** Fresh parameters; residual projections scaled by 1/√(2·nLayer) as GPT-2 does. */
export function initParams(c: ModelConfig, rng = new Rng(0)): Params {
  const p: Params = new Map();
  const C = c.dModel, F = c.dFF, std = c.initStd, projStd = std / Math.sqrt(2 * c.nLayer);
  const set = (name: string, t: Tensor): void => { t.name = name; p.set(name, t); };
  // Matrices are created in their stored layout: (in, out) for GPT-2, (out, in) for Llama.
  const mat = (inDim: number, outDim: number, s: number): Tensor =>
    normalParam(c.family === 'gpt2' ? [inDim, outDim] : [outDim, inDim], s, rng);
  if (c.family === 'gpt2') {
    set('transformer.wte.weight', normalParam([c.vocabSize, C], std, rng));
    set('transformer.wpe.weight', normalParam([c.maxSeqLen, C], 0.01, rng));
    for (let i = 0; i < c.nLayer; i++) {
      const h = `transformer.h.${i}`;
      set(`${h}.ln_1.weight`, onesParam([C])); set(`${h}.ln_1.bias`, zerosParam([C]));
      set(`${h}.attn.c_attn.weight`, mat(C, 3 * C, std)); set(`${h}.attn.c_attn.bias`, zerosParam([3 * C]));
      set(`${h}.attn.c_proj.weight`, mat(C, C, projStd)); set(`${h}.attn.c_proj.bias`, zerosParam([C]));
      set(`${h}.ln_2.weight`, onesParam([C])); set(`${h}.ln_2.bias`, zerosParam([C]));
      set(`${h}.mlp.c_fc.weight`, mat(C, F, std)); set(`${h}.mlp.c_fc.bias`, zerosParam([F]));
      set(`${h}.mlp.c_proj.weight`, mat(F, C, projStd)); set(`${h}.mlp.c_proj.bias`, zerosParam([C]));
    }
    set('transformer.ln_f.weight', onesParam([C])); set('transformer.ln_f.bias', zerosParam([C]));
    if (!c.tieEmbeddings) set('lm_head.weight', normalParam([c.vocabSize, C], std, rng));
  } else {
    const D = headDim(c), g = c.normOffset ? zerosParam : onesParam; // Gemma's gains are stored as w in (1 + w)
    set('model.embed_tokens.weight', normalParam([c.vocabSize, C], std, rng));
    for (let i = 0; i < c.nLayer; i++) {
      const l = `model.layers.${i}`, a = `${l}.self_attn`;
      set(`${l}.input_layernorm.weight`, g([C]));
      set(`${a}.q_proj.weight`, mat(C, c.nHead * D, std));
      if (c.qkvBias) set(`${a}.q_proj.bias`, zerosParam([c.nHead * D]));
      set(`${a}.k_proj.weight`, mat(C, c.nKvHead * D, std));
      if (c.qkvBias) set(`${a}.k_proj.bias`, zerosParam([c.nKvHead * D]));
      set(`${a}.v_proj.weight`, mat(C, c.nKvHead * D, std));
      if (c.qkvBias) set(`${a}.v_proj.bias`, zerosParam([c.nKvHead * D]));
      set(`${a}.o_proj.weight`, mat(c.nHead * D, C, projStd));
      if (c.qkNorm) { set(`${a}.q_norm.weight`, g([D])); set(`${a}.k_norm.weight`, g([D])); }
      set(`${l}.post_attention_layernorm.weight`, g([C]));
      if (c.sandwichNorms) { set(`${l}.pre_feedforward_layernorm.weight`, g([C])); set(`${l}.post_feedforward_layernorm.weight`, g([C])); }
      set(`${l}.mlp.gate_proj.weight`, mat(C, F, std));
      set(`${l}.mlp.up_proj.weight`, mat(C, F, std));
      set(`${l}.mlp.down_proj.weight`, mat(F, C, projStd));
    }
    set('model.norm.weight', g([C]));
    if (!c.tieEmbeddings) set('lm_head.weight', normalParam([c.vocabSize, C], std, rng));
  }
  return p;
}

/** The expected stored shape of every parameter, for checking a loaded checkpoint. */
export function expectedShapes(c: ModelConfig): Map<string, number[]> {
  return new Map([...initParams(c, new Rng(0))].map(([k, v]) => [k, [...v.shape]]));
}

export function embeddingName(c: ModelConfig): string {
  return c.family === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight';
}
