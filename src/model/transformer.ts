// The decoder-only transformer for both block layouts, forward only: autograd supplies the backward.
// Pre-norm blocks: x = x + attn(norm₁(x)); x = x + mlp(norm₂(x)) (GPT-2 and Llama alike). The
// Llama-layout block carries the switches of config.ts for the other RoPE families; Gemma's
// "sandwich" adds a norm on each branch's output: x = x + norm(attn(norm(x))).
import { add, attention, crossEntropy, lmHeadCrossEntropy, type LmHeadLossOptions, attentionDecode, projectionAttention, embedding, gelu, glu, layerNorm, matmul, mul, projectionHeads, rmsNorm, rotary, stridedView, dropout, div, tanh } from '../ops/index.js';
import { checkpoint, needsGrad } from '../autograd/index.js';
import { linear } from '../nn/index.js';
import { Rng, Tensor, narrowExact, shapeStr } from '../tensor/index.js';
import { headDim, validateConfig, type ModelConfig } from './config.js';
import type { KVCache } from './sampling/kv-cache.js';
import { loraProjection, type LoraAdapter } from './lora.js';
import { ropeFrequencies, ropeTables, type RopeTables } from './rope.js';
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
  /**
   * Runs each decoder layer as one activation checkpoint while recording (autograd/checkpoint.ts):
   * its activations are recomputed in the backward instead of kept. Default: the model's
   * `gradientCheckpointing`. Never with a cache.
   */
  checkpoint?: boolean;
}

export class Transformer {
  readonly config: ModelConfig;
  readonly params: Params;
  /** LoRA adapters keyed by the name of the weight they adapt. */
  lora = new Map<string, LoraAdapter>();
  /**
   * Where the frozen base weights under `lora` are a checkpoint on disk, unchanged: a save then
   * writes the adapter alone with base_model_name_or_path pointing there (checkpoint-dir.ts).
   */
  loraBase: string | null = null;
  /**
   * What a save does with the adapters unless told: 'merge' folds them into a plain checkpoint;
   * 'peft', for a model trained as LoRA (freezeForLora) or read from a PEFT adapter, keeps them one.
   */
  saveAdapters: 'merge' | 'peft' = 'merge';
  /**
   * Trades one more forward of each layer for its saved activations in a training step (TRL's
   * gradient_checkpointing): see ForwardOptions.checkpoint. Off by default; clones keep it.
   */
  gradientCheckpointing = false;
  private rng = new Rng(0);
  private bf16 = false;

  /**
   * Opt-in bfloat16 compute (issue 20, --bf16-compute): the products with bfloat16 weights round
   * their activations to bfloat16 and run AVX-512 BF16's dot products (ops/matmul.ts
   * halfProduct), as torch's autocast to bf16 does: faster at batch ≥ 4, no longer the float32
   * model's numbers. Attention's products then take bfloat16 operands too where the CPU has AMX
   * tiles (ops/attention.ts `bf16`). Off by default (exact). float32 weights are unaffected; a model holding
   * float16 weights refuses it. Clones and withoutAdapters() keep it. Sampling (generate, the
   * engine) then keeps its KV cache in bfloat16 too (running-batch.ts cacheDtype).
   */
  get bf16Compute(): boolean { return this.bf16; }
  set bf16Compute(on: boolean) {
    const f16 = on ? [...this.params].find(([, t]) => t.dtype === 'float16') : undefined;
    if (f16) {
      throw new Error(`model.bf16Compute: "${f16[0]}" is a float16 weight; bf16 compute rounds activations for bfloat16 weights and would have to ` +
        'round this one too, changing the model. Load it with --frozen-dtype float32, or leave --bf16-compute off');
    }
    this.bf16 = on;
  }

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

  /** An independent copy of the weights and of the adapters (each tensor keeps whether it trains). */
  clone(): Transformer {
    const copy = (v: Tensor, name: string): Tensor => {
      const t = new Tensor(v.data.slice(), v.shape, v.requiresGrad, v.half); // 16-bit weights stay 16-bit
      t.name = name;
      return t;
    };
    const m = new Transformer(this.config, new Map([...this.params].map(([k, v]) => [k, copy(v, k)])));
    for (const [k, a] of this.lora) m.lora.set(k, { ...a, A: copy(a.A, a.A.name!), B: copy(a.B, a.B.name!) });
    m.loraBase = this.loraBase;
    m.saveAdapters = this.saveAdapters;
    m.gradientCheckpointing = this.gradientCheckpointing;
    m.bf16Compute = this.bf16Compute;
    return m;
  }

  /**
   * The base model under the adapters, sharing this model's tensors (no copy): under LoRA the
   * frozen reference of DPO-style losses and of the KL penalty is the base with adapters off.
   */
  withoutAdapters(): Transformer {
    const m = new Transformer(this.config, this.params);
    m.bf16Compute = this.bf16Compute;
    return m;
  }

  /** Trained as LoRA: adapters present and the weights they adapt frozen (freezeForLora, a loaded PEFT adapter). */
  get loraTrained(): boolean {
    return this.lora.size > 0 && [...this.lora.keys()].every((k) => !this.p(k).requiresGrad);
  }

  /**
   * Overwrites this model's weights with another's (same config). A 16-bit weight takes only
   * values it holds exactly (a frozen weight saved widened and read back), never a rounding.
   */
  copyFrom(other: Transformer): void {
    for (const [k, v] of this.params) {
      const o = other.params.get(k);
      if (!o || o.size !== v.size) throw new Error(`model.copyFrom: parameter "${k}" is missing or differs in size`);
      if (!v.half) { v.f32.set(o.values()); continue; }
      const bits = o.dtype === v.dtype ? o.u16 : narrowExact(o.values(), v.half);
      if (!bits) throw new Error(`model.copyFrom: parameter "${k}" is a frozen ${v.dtype} weight and the source holds values ${v.dtype} cannot represent (was it trained?)`);
      v.u16.set(bits);
    }
  }

  private proj(x: Tensor, name: string, bias: string | null, training: boolean): Tensor {
    // nn.linear's product without its two reshapes and separate bias add: matmul folds (B, T)
    // into one GEMM and adds the bias in place, one output and one gradient buffer instead of four.
    const w = this.p(`${name}.weight`), b = bias ? this.p(bias) : null, transB = layoutOf(this.config) === 'out-in';
    const a = this.lora.get(`${name}.weight`);
    const bf16Compute = this.bf16;
    return a ? loraProjection(x, w, b, transB, a, training, this.rng, bf16Compute) : matmul(x, w, { transB, bias: b, bf16Compute });
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
    let ropes: LayerRopes | null = null;
    if (c.family === 'gpt2') x = add(x, embedding(this.p('transformer.wpe.weight'), new Tensor(positions, [B, T])));
    else {
      // Gemma scales by √C rounded to the weights' dtype (float32 here), as its embedding does.
      if (c.embedScale) x = mul(x, Math.fround(Math.sqrt(c.dModel)));
      ropes = layerRopes(c, positions, B, T);
    }
    x = dropout(x, c.dropout, training, this.rng);
    const at: LayerInputs = { B, T, past, ropes, mask, cache: opts.cache, training };
    const ckpt = (opts.checkpoint ?? this.gradientCheckpointing) && !opts.cache;
    for (let l = 0; l < c.nLayer; l++) {
      // One checkpoint per decoder layer, as transformers' gradient checkpointing has it: only the
      // layer's input is kept, and the recompute replays its dropout and LoRA-dropout masks from
      // the generator's state here.
      x = ckpt
        ? checkpoint(([h], rng) => this.withRng(rng!, () => this.layer(h!, l, at)), [x], this.layerParams(l), this.rng)
        : this.layer(x, l, at);
    }
    opts.cache?.advance(T);
    return c.family === 'gpt2'
      ? layerNorm(x, this.p('transformer.ln_f.weight'), this.p('transformer.ln_f.bias'), c.normEps)
      : this.norm(x, 'model.norm.weight');
  }

  /** Decoder layer l: x + attn(norm(x)), then + mlp(norm(x)), each branch through dropout. */
  private layer(x: Tensor, l: number, at: LayerInputs): Tensor {
    const c = this.config, { B, T, past, ropes, mask, cache, training } = at;
    const w = c.layerWindows?.[l] ?? null;
    // A window no shorter than every query's reach hides nothing; a shorter one the kernels honour.
    const win = w !== null && w < past + T ? w : null;
    const rope = ropes && (w !== null && ropes.local ? ropes.local : ropes.global);
    const a = this.attentionBlock(x, l, B, T, rope, mask, win, cache, training);
    const ad = dropout(a, c.dropout, training, this.rng);
    x = add(x, ad);
    release(a, ad);
    const m = this.mlpBlock(x, l, training);
    const md = dropout(m, c.dropout, training, this.rng);
    const out = add(x, md);
    release(m, md);
    return out;
  }

  /** The tensors layer l reads that may train: its weights and their adapters. */
  private layerParams(l: number): Tensor[] {
    const pre = this.config.family === 'gpt2' ? `transformer.h.${l}.` : `model.layers.${l}.`;
    const out: Tensor[] = [];
    for (const [k, t] of this.params) if (k.startsWith(pre)) out.push(t);
    for (const [k, a] of this.lora) if (k.startsWith(pre)) out.push(a.A, a.B);
    return out;
  }

  /** fn with `rng` as the model's generator (a checkpoint's recompute replays a copy). */
  private withRng<R>(rng: Rng, fn: () => R): R {
    const saved = this.rng;
    this.rng = rng;
    try {
      return fn();
    } finally {
      this.rng = saved;
    }
  }

  /** RMSNorm by the named gain, times (offset + w) where the family stores gains around 0 (Gemma). */
  private norm(x: Tensor, name: string): Tensor {
    const c = this.config, w = this.p(name);
    return rmsNorm(x, c.normOffset ? add(w, c.normOffset) : w, c.normEps);
  }

  private attentionBlock(x: Tensor, l: number, B: number, T: number, rope: RopeTables | null, mask: Tensor | null, window: number | null,
    cache: KVCache | undefined, training: boolean): Tensor {
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
          { of: qkv, heads: H, channel: 2 * C }, D, { causal: true, mask, bf16: this.bf16 });
        return this.proj(o, `${pre}.attn.c_proj`, `${pre}.attn.c_proj.bias`, training);
      }
      q = heads(qkv, H, 0); k = heads(qkv, H, C); v = heads(qkv, H, 2 * C);
    } else {
      const pre = `model.layers.${l}.self_attn`;
      const h = this.norm(x, `model.layers.${l}.input_layernorm.weight`);
      const bias = (n: string): string | null => (c.qkvBias ? `${pre}.${n}.bias` : null);
      const qp = this.proj(h, `${pre}.q_proj`, bias('q_proj'), training);
      const kp = this.proj(h, `${pre}.k_proj`, bias('k_proj'), training);
      const vp = this.proj(h, `${pre}.v_proj`, bias('v_proj'), training);
      v = heads(vp, Hkv);
      if (c.qkNorm) {
        // Qwen3 and Gemma 3 normalise each head of q and k before rotating it.
        q = rotary(this.norm(heads(qp, H), `${pre}.q_norm.weight`), rope!.cos, rope!.sin);
        k = rotary(this.norm(heads(kp, Hkv), `${pre}.k_norm.weight`), rope!.cos, rope!.sin);
      } else {
        // Rotated straight from the projections: no copy of the heads to keep for the backward.
        q = rotary(qp, rope!.cos, rope!.sin, projectionHeads(qp, H, D));
        k = rotary(kp, rope!.cos, rope!.sin, projectionHeads(kp, Hkv, D));
      }
      // Read only by copies and rotations from here, whose gradients need none of their values.
      release(qp, kp, vp);
    }
    // A one-token step reads a cache that keeps buffers in place (no per-token concatenation).
    const stored = cache && T === 1 && !needsGrad(q, k, v) ? cache.store(l, k, v) : null;
    let o: Tensor; // (B, H, T, D)
    const how = { mask, window, scale: c.attnScale, softcap: c.attnSoftcap ?? null, bf16: this.bf16 };
    if (stored) o = attentionDecode(q, stored.k, stored.v, stored.rows, how);
    else {
      if (cache) [k, v] = cache.append(l, k, v);
      o = attention(q, k, v, { causal: true, ...how });
    }
    const merged = stridedView(o, [B, T, H, D], [H * T * D, D, T * D, 1], 0, [B, T, H * D]); // (B, T, H·D)
    if (c.family === 'gpt2') return this.proj(merged, `transformer.h.${l}.attn.c_proj`, `transformer.h.${l}.attn.c_proj.bias`, training);
    const out = this.proj(merged, `model.layers.${l}.self_attn.o_proj`, null, training); // (B, T, C)
    return c.sandwichNorms ? this.norm(out, `model.layers.${l}.post_attention_layernorm.weight`) : out;
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
    const h = this.norm(x, `${pre}.${c.sandwichNorms ? 'pre_feedforward_layernorm' : 'post_attention_layernorm'}.weight`);
    // SwiGLU, or GeGLU for Gemma (Shazeer 2020): down(act(gate(h)) ⊙ up(h)).
    const gate = this.proj(h, `${pre}.mlp.gate_proj`, null, training);
    const u = this.proj(h, `${pre}.mlp.up_proj`, null, training);
    const out = this.proj(glu(gate, u, c.mlpAct === 'gelu_tanh' ? 'gelu_tanh' : 'silu'), `${pre}.mlp.down_proj`, null, training);
    return c.sandwichNorms ? this.norm(out, `${pre}.post_feedforward_layernorm.weight`) : out;
  }

  /** Language-model logits (…, V) from hidden states (…, C). */
  lmHead(hidden: Tensor): Tensor {
    const c = this.config;
    const w = this.headWeight();
    // (…, V): both heads store (V, C); matmul folds the leading axes (no reshapes to record).
    const logits = hidden.rank >= 2 ? matmul(hidden, w, { transB: true, bf16Compute: this.bf16 }) : linear(hidden, w, null, 'out-in');
    // Gemma 2's final soft-cap: cap·tanh(logits / cap).
    return c.finalSoftcap ? mul(tanh(div(logits, c.finalSoftcap)), c.finalSoftcap) : logits;
  }

  /** The (V, C) matrix the LM head multiplies by: its own, or the tied embedding. */
  headWeight(): Tensor {
    return this.p(this.config.tieEmbeddings ? embeddingName(this.config) : 'lm_head.weight');
  }

  /**
   * −log softmax(lmHead(hidden)/τ)[target] per position: hidden (…, C), targets (…) → (…), 0 where
   * ignored. Chunked (ops/lm-head.ts), never holding (…, V) logits; Gemma 2's soft-capped head
   * takes the unfused path.
   */
  tokenLosses(hidden: Tensor, targets: Tensor, opts: LmHeadLossOptions = {}): Tensor {
    if (!this.config.finalSoftcap) return lmHeadCrossEntropy(hidden, this.headWeight(), targets, { bf16Compute: this.bf16, ...opts });
    const t = opts.temperature ?? 1;
    const logits = t === 1 ? this.lmHead(hidden) : mul(this.lmHead(hidden), 1 / t);
    return crossEntropy(logits, targets, { reduction: 'none', ignoreIndex: opts.ignoreIndex });
  }

  logits(ids: Tensor, opts: ForwardOptions = {}): Tensor {
    return this.lmHead(this.hidden(ids, opts));
  }
}

interface LayerRopes { global: RopeTables; local: RopeTables | null }

/** What every layer of one forward shares. */
interface LayerInputs {
  B: number; T: number; past: number;
  ropes: LayerRopes | null; mask: Tensor | null; cache: KVCache | undefined; training: boolean;
}

/** The RoPE tables of this forward: the global layers' (scaled) and, for Gemma 3, the sliding layers' own base. */
function layerRopes(c: ModelConfig, positions: Int32Array, B: number, T: number): LayerRopes {
  const D = headDim(c);
  let seqLen = 0;
  for (const p of positions) seqLen = Math.max(seqLen, p + 1);
  const f = ropeFrequencies(D, c.ropeTheta, c.rope ?? { type: 'default' }, seqLen);
  const global = ropeTables(positions, B, T, D, f);
  if (c.localRopeTheta === undefined) return { global, local: null };
  const lf = ropeFrequencies(D, c.localRopeTheta, { type: 'default' }, seqLen);
  return { global, local: ropeTables(positions, B, T, D, lf) };
}

export function defaultPositions(B: number, T: number, offset: number): Int32Array {
  const p = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) p[b * T + t] = offset + t;
  return p;
}

/**
 * Releases the values of recorded tensors that no one reads again (Tensor.release): a layer's
 * branch outputs once added to the residual stream, its projections once copied or rotated into
 * heads. The tape would otherwise hold them until the backward; their gradients still flow.
 */
function release(...ts: Tensor[]): void {
  for (const t of ts) if (t.requiresGrad && t.node) t.release();
}
