// The decoder-only transformer for both families, forward only: autograd supplies the backward.
// Pre-norm blocks: x = x + attn(norm₁(x)); x = x + mlp(norm₂(x)) (GPT-2 and Llama alike).
import { add, attention, attentionDecode, projectionAttention, embedding, gelu, layerNorm, matmul, mul, rmsNorm, silu, stridedView, dropout } from '../ops/index.js';
import { needsGrad } from '../autograd/index.js';
import { linear } from '../nn/index.js';
import { Rng, Tensor, shapeStr } from '../tensor/index.js';
import { headDim, validateConfig, type ModelConfig } from './config.js';
import type { KVCache } from './sampling/kv-cache.js';
import { loraDelta, type LoraAdapter } from './lora.js';
import { applyRope, ropeTables, type RopeTables } from './rope.js';
import { embeddingName, initParams, layoutOf, type Params } from './weights.js';

export interface ForwardOptions {
  /** Position ids (B·T); by default cache.length + t, the same for every row. */
  positions?: Int32Array;
  /** Additive mask over keys (B·Tk, 0 or −∞) where Tk = cached + new tokens: hides left padding. */
  keyMask?: Float32Array;
  cache?: KVCache;
  /** Enables dropout. */
  training?: boolean;
  rng?: Rng;
}

export class Transformer {
  readonly config: ModelConfig;
  readonly params: Params;
  /** LoRA adapters keyed by the name of the weight they adapt. */
  lora = new Map<string, LoraAdapter>();
  private rng = new Rng(0);

  constructor(config: ModelConfig, params?: Params, seed = 0) {
    this.config = validateConfig(config);
    this.params = params ?? initParams(config, new Rng(seed));
  }

  p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`model: no parameter named "${name}"`);
    return t;
  }

  /** Every trainable tensor with its name, adapters included. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.params];
    for (const a of this.lora.values()) out.push([a.A.name!, a.A], [a.B.name!, a.B]);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** An independent copy of the weights (adapters merged or not: the copy has none). */
  clone(): Transformer {
    const params: Params = new Map();
    for (const [k, v] of this.params) {
      const t = new Tensor(v.f32.slice(), v.shape, v.requiresGrad);
      t.name = k;
      params.set(k, t);
    }
    return new Transformer(this.config, params);
  }

  /** Overwrites this model's weights with another's (same config). */
  copyFrom(other: Transformer): void {
    for (const [k, v] of this.params) {
      const o = other.params.get(k);
      if (!o || o.size !== v.size) throw new Error(`model.copyFrom: parameter "${k}" is missing or differs in size`);
      v.f32.set(o.f32);
    }
  }

  private proj(x: Tensor, name: string, bias: string | null, training: boolean): Tensor {
    // nn.linear's product without its two reshapes and separate bias add: matmul folds (B, T)
    // into one GEMM and adds the bias in place, one output and one gradient buffer instead of four.
    const y = matmul(x, this.p(`${name}.weight`), { transB: layoutOf(this.config) === 'out-in', bias: bias ? this.p(bias) : null });
    const a = this.lora.get(`${name}.weight`);
    return a ? add(y, loraDelta(x, a, training, this.rng)) : y;
  }

  /** Final hidden states (B, T, C) for ids (B, T). */
  hidden(ids: Tensor, opts: ForwardOptions = {}): Tensor {
    const c = this.config;
    if (ids.dtype !== 'int32' || ids.rank !== 2) throw new TypeError(`model: ids must be int32 (B, T), got ${ids.dtype} ${shapeStr(ids.shape)}`);
    const [B, T] = ids.shape as [number, number];
    const past = opts.cache?.length ?? 0;
    if (past + T > c.maxSeqLen) throw new RangeError(`model: sequence of ${past + T} tokens exceeds maxSeqLen ${c.maxSeqLen}`);
    const positions = opts.positions ?? defaultPositions(B, T, past);
    if (positions.length !== B * T) throw new RangeError(`model: positions has ${positions.length} values, expected B·T = ${B * T}`);
    if (opts.keyMask && opts.keyMask.length !== B * (past + T)) {
      throw new RangeError(`model: keyMask has ${opts.keyMask.length} values, expected B·(cached + new) = ${B * (past + T)}`);
    }
    const training = opts.training ?? false;
    if (opts.rng) this.rng = opts.rng;
    const Tk = past + T;
    const mask = opts.keyMask ? new Tensor(opts.keyMask, [B, 1, 1, Tk]) : null;
    let x = embedding(this.p(embeddingName(c)), ids); // (B, T, C)
    let rope: RopeTables | null = null;
    if (c.family === 'gpt2') x = add(x, embedding(this.p('transformer.wpe.weight'), new Tensor(positions, [B, T])));
    else rope = ropeTables(positions, B, T, headDim(c), c.ropeTheta);
    x = dropout(x, c.dropout, training, this.rng);
    for (let l = 0; l < c.nLayer; l++) {
      const a = this.attentionBlock(x, l, B, T, rope, mask, opts.cache, training);
      x = add(x, dropout(a, c.dropout, training, this.rng));
      const m = this.mlpBlock(x, l, training);
      x = add(x, dropout(m, c.dropout, training, this.rng));
    }
    opts.cache?.advance(T);
    return c.family === 'gpt2'
      ? layerNorm(x, this.p('transformer.ln_f.weight'), this.p('transformer.ln_f.bias'), c.normEps)
      : rmsNorm(x, this.p('model.norm.weight'), c.normEps);
  }

  private attentionBlock(x: Tensor, l: number, B: number, T: number, rope: RopeTables | null, mask: Tensor | null, cache: KVCache | undefined, training: boolean): Tensor {
    const c = this.config, D = headDim(c), H = c.nHead, Hkv = c.nKvHead;
    // Heads (B, h, T, D) of `h` heads starting at channel `c0` of a (B, T, W) projection, in one copy.
    const heads = (t: Tensor, h: number, c0 = 0): Tensor => {
      const W = t.shape[2]!;
      return stridedView(t, [B, h, T, D], [T * W, D, W, 1], c0);
    };
    let q: Tensor, k: Tensor, v: Tensor;
    if (c.family === 'gpt2') {
      const pre = `transformer.h.${l}`;
      const h = layerNorm(x, this.p(`${pre}.ln_1.weight`), this.p(`${pre}.ln_1.bias`), c.normEps);
      const qkv = this.proj(h, `${pre}.attn.c_attn`, `${pre}.attn.c_attn.bias`, training); // (B, T, 3C)
      const C = c.dModel;
      if (!cache) {
        // Heads read in place from qkv and written merged: no split or merge copies.
        const o = projectionAttention({ of: qkv, heads: H }, { of: qkv, heads: H, channel: C },
          { of: qkv, heads: H, channel: 2 * C }, D, { causal: true, mask });
        return this.proj(o, `${pre}.attn.c_proj`, `${pre}.attn.c_proj.bias`, training);
      }
      q = heads(qkv, H, 0); k = heads(qkv, H, C); v = heads(qkv, H, 2 * C);
    } else {
      const pre = `model.layers.${l}`;
      const h = rmsNorm(x, this.p(`${pre}.input_layernorm.weight`), c.normEps);
      q = applyRope(heads(this.proj(h, `${pre}.self_attn.q_proj`, null, training), H), rope!);
      k = applyRope(heads(this.proj(h, `${pre}.self_attn.k_proj`, null, training), Hkv), rope!);
      v = heads(this.proj(h, `${pre}.self_attn.v_proj`, null, training), Hkv);
    }
    // A one-token step reads a cache that keeps buffers in place (no per-token concatenation).
    const stored = cache && T === 1 && !needsGrad(q, k, v) ? cache.store(l, k, v) : null;
    let o: Tensor; // (B, H, T, D)
    if (stored) o = attentionDecode(q, stored.k, stored.v, stored.rows, { mask });
    else {
      if (cache) [k, v] = cache.append(l, k, v);
      o = attention(q, k, v, { causal: true, mask });
    }
    const merged = stridedView(o, [B, T, H, D], [H * T * D, D, T * D, 1], 0, [B, T, H * D]); // (B, T, C)
    return c.family === 'gpt2'
      ? this.proj(merged, `transformer.h.${l}.attn.c_proj`, `transformer.h.${l}.attn.c_proj.bias`, training)
      : this.proj(merged, `model.layers.${l}.self_attn.o_proj`, null, training);
  }

  private mlpBlock(x: Tensor, l: number, training: boolean): Tensor {
    const c = this.config;
    if (c.family === 'gpt2') {
      const pre = `transformer.h.${l}`;
      const h = layerNorm(x, this.p(`${pre}.ln_2.weight`), this.p(`${pre}.ln_2.bias`), c.normEps);
      const u = gelu(this.proj(h, `${pre}.mlp.c_fc`, `${pre}.mlp.c_fc.bias`, training));
      return this.proj(u, `${pre}.mlp.c_proj`, `${pre}.mlp.c_proj.bias`, training);
    }
    const pre = `model.layers.${l}`;
    const h = rmsNorm(x, this.p(`${pre}.post_attention_layernorm.weight`), c.normEps);
    // SwiGLU (Shazeer 2020): down(silu(gate(h)) ⊙ up(h)).
    const g = silu(this.proj(h, `${pre}.mlp.gate_proj`, null, training));
    const u = this.proj(h, `${pre}.mlp.up_proj`, null, training);
    return this.proj(mul(g, u), `${pre}.mlp.down_proj`, null, training);
  }

  /** Language-model logits (…, V) from hidden states (…, C). */
  lmHead(hidden: Tensor): Tensor {
    const c = this.config;
    const w = c.tieEmbeddings ? this.p(embeddingName(c)) : this.p('lm_head.weight');
    // (…, V): both heads store (V, C); matmul folds the leading axes (no reshapes to record).
    return hidden.rank >= 2 ? matmul(hidden, w, { transB: true }) : linear(hidden, w, null, 'out-in');
  }

  logits(ids: Tensor, opts: ForwardOptions = {}): Tensor {
    return this.lmHead(this.hidden(ids, opts));
  }
}

export function defaultPositions(B: number, T: number, offset: number): Int32Array {
  const p = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) p[b * T + t] = offset + t;
  return p;
}
