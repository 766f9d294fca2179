// A model's weights and hyperparameters as llama.cpp reads them from GGUF: tensor names, the
// architecture's metadata keys, and the transforms llama.cpp expects where its graph differs from
// transformers' (names and keys as gguf-py's constants and llama.cpp's convert_hf_to_gguf.py
// define them). What llama.cpp cannot compute the same way is refused by name.
import type { GgufTensor, GgufType, GgufValue } from '../../io/gguf.js';
import { Q8_0_BLOCK } from '../../io/gguf.js';
import { headDim, type ModelConfig } from '../config.js';
import { joinFused } from '../families/fused.js';
import type { Params } from '../weights.js';

/** llama.cpp's architecture for each model_type alignkit runs (Mistral is llama's graph in llama.cpp). */
export const GGUF_ARCH: Record<string, string> = {
  gpt2: 'gpt2', llama: 'llama', mistral: 'llama', qwen2: 'qwen2', qwen3: 'qwen3', phi3: 'phi3', gemma2: 'gemma2', gemma3_text: 'gemma3',
};

export class ExportError extends Error {}

export interface GgufModel {
  arch: string;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensor[];
  /** What the file cannot carry exactly, said on stderr (e.g. a sliding window llama.cpp's graph lacks). */
  warnings: string[];
}

export const modelTypeOf = (c: ModelConfig): string => (c.family === 'gpt2' ? 'gpt2' : c.modelType ?? 'llama');

/** The GGUF name of a parameter (of an unfused weight, for Phi-3). */
export function ggufTensorName(c: ModelConfig, hf: string): string {
  const arch = GGUF_ARCH[modelTypeOf(c)];
  return c.family === 'gpt2' ? gpt2Name(hf) : decoderName(hf, arch === 'gemma2' || arch === 'gemma3');
}

/** Which layers llama.cpp runs with a sliding window, per architecture (its hard-coded patterns). */
function llamaCppWindows(arch: string, c: ModelConfig): (number | null)[] | null {
  const w = c.layerWindows?.find((x) => x !== null) ?? null;
  if (w === null) return null;
  if (arch === 'gemma2') return Array.from({ length: c.nLayer }, (_, i) => (i % 2 === 0 ? w : null));
  if (arch === 'gemma3') return Array.from({ length: c.nLayer }, (_, i) => (i % 6 < 5 ? w : null));
  if (arch === 'phi3') return Array<number | null>(c.nLayer).fill(w);
  return null;
}

/** The attention scale llama.cpp applies: 1/√head_dim, except Gemma's 27B sizes (1/√(n_embd/n_head)). */
function llamaCppAttnScale(arch: string, c: ModelConfig): number {
  const big = (arch === 'gemma2' && c.nLayer === 46) || (arch === 'gemma3' && c.nLayer === 62);
  return 1 / Math.sqrt(big ? c.dModel / c.nHead : headDim(c));
}

/** The factor folded into q (its norm's gain, or q_proj) so that llama.cpp's scale gives the model's own. */
export function attnFold(arch: string, c: ModelConfig): number {
  return c.attnScale !== undefined ? c.attnScale / llamaCppAttnScale(arch, c) : 1;
}

/** Checks what llama.cpp can compute; returns the context length to write and warnings. */
function checkSupport(arch: string, c: ModelConfig): { context: number; warnings: string[] } {
  const mt = modelTypeOf(c), warnings: string[] = [];
  const rope = c.rope?.type ?? 'default';
  if (rope === 'dynamic' || rope === 'yarn') {
    throw new ExportError(`${mt}: RoPE scaling "${rope}" cannot be exported to GGUF: llama.cpp's ${rope === 'dynamic' ? 'graph has no dynamic NTK scaling' : 'YaRN differs from transformers\' in its attention factor and ramp'}; export --format hf`);
  }
  if (c.localRopeTheta !== undefined && c.localRopeTheta !== 10000 && arch === 'gemma3') {
    throw new ExportError(`${mt}: local RoPE base ${c.localRopeTheta} cannot be exported to GGUF: llama.cpp's gemma3 fixes the sliding layers' base at 10000`);
  }
  if (c.attnSoftcap != null && arch !== 'gemma2') throw new ExportError(`${mt}: attention soft-cap has no GGUF key for llama.cpp's ${arch}`);
  if (c.finalSoftcap != null && arch !== 'gemma2' && arch !== 'gemma3') throw new ExportError(`${mt}: final logit soft-cap has no GGUF key for llama.cpp's ${arch}`);
  let context = c.maxSeqLen;
  // A window as long as the context hides nothing: it is no window.
  const norm = (ws: (number | null)[] | null | undefined): string => JSON.stringify((ws ?? Array<null>(c.nLayer).fill(null)).map((w) => (w !== null && w < c.maxSeqLen ? w : null)));
  const want = c.layerWindows ?? null;
  if (norm(want) !== norm(llamaCppWindows(arch, c))) {
    const w = Math.min(...want!.filter((x): x is number => x !== null));
    context = Math.min(context, w);
    warnings.push(`${mt}: llama.cpp's ${arch} graph cannot run this model's sliding windows (${JSON.stringify(want)}); the GGUF's context_length is the window, ${w}, within which both agree`);
  }
  return { context, warnings };
}

// HF decoder names → GGUF names (gguf-py's tensor_mapping.py); `post_attention_layernorm` is the
// pre-MLP norm except in Gemma, where the MLP has its own pre-norm.
function decoderName(hf: string, gemma: boolean): string {
  const top: Record<string, string> = { 'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight' };
  if (top[hf]) return top[hf]!;
  const m = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(hf);
  if (!m) throw new ExportError(`no GGUF name for tensor ${hf}`);
  const leaf: Record<string, string> = {
    input_layernorm: 'attn_norm', 'self_attn.q_proj': 'attn_q', 'self_attn.k_proj': 'attn_k', 'self_attn.v_proj': 'attn_v',
    'self_attn.o_proj': 'attn_output', 'self_attn.qkv_proj': 'attn_qkv', 'self_attn.q_norm': 'attn_q_norm', 'self_attn.k_norm': 'attn_k_norm',
    post_attention_layernorm: gemma ? 'post_attention_norm' : 'ffn_norm', pre_feedforward_layernorm: 'ffn_norm',
    post_feedforward_layernorm: 'post_ffw_norm', 'mlp.gate_proj': 'ffn_gate', 'mlp.up_proj': 'ffn_up', 'mlp.gate_up_proj': 'ffn_up', 'mlp.down_proj': 'ffn_down',
  };
  const g = leaf[m[2]!];
  if (!g) throw new ExportError(`no GGUF name for tensor ${hf}`);
  return `blk.${m[1]}.${g}.${m[3]}`;
}

function gpt2Name(hf: string): string {
  const top: Record<string, string> = { 'transformer.wte.weight': 'token_embd.weight', 'transformer.wpe.weight': 'position_embd.weight', 'lm_head.weight': 'output.weight' };
  if (top[hf]) return top[hf]!;
  const f = /^transformer\.ln_f\.(weight|bias)$/.exec(hf);
  if (f) return `output_norm.${f[1]}`;
  const m = /^transformer\.h\.(\d+)\.(.+)\.(weight|bias)$/.exec(hf);
  const leaf: Record<string, string> = { ln_1: 'attn_norm', 'attn.c_attn': 'attn_qkv', 'attn.c_proj': 'attn_output', ln_2: 'ffn_norm', 'mlp.c_fc': 'ffn_up', 'mlp.c_proj': 'ffn_down' };
  if (!m || !leaf[m[2]!]) throw new ExportError(`no GGUF name for tensor ${hf}`);
  return `blk.${m[1]}.${leaf[m[2]!]}.${m[3]}`;
}

/**
 * Rows of each head reordered from transformers' rotate-half RoPE to llama.cpp's adjacent pairs
 * (its llama graph rotates (x[2i], x[2i+1]); convert_hf_to_gguf.py's permute for q and k).
 */
export function permuteRope(data: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const D = rows / heads, half = D / 2, out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++) for (let i = 0; i < half; i++) for (let j = 0; j < 2; j++) {
    const src = h * D + j * half + i, dst = h * D + 2 * i + j;
    out.set(data.subarray(src * cols, (src + 1) * cols), dst * cols);
  }
  return out;
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = data[r * cols + k]!;
  return out;
}

/** llama3 RoPE as llama.cpp takes it: a rope_freqs tensor of per-frequency divisors (convert_hf_to_gguf.py). */
function llama3Factors(c: ModelConfig): Float32Array {
  const r = c.rope as Extract<ModelConfig['rope'], { type: 'llama3' }>, D = headDim(c);
  const lowWave = r.originalMax / r.lowFreqFactor, highWave = r.originalMax / r.highFreqFactor;
  return Float32Array.from({ length: D / 2 }, (_, i) => {
    const wave = (2 * Math.PI) / (1 / Math.pow(c.ropeTheta, (2 * i) / D));
    if (wave < highWave) return 1;
    if (wave > lowWave) return r.factor;
    const smooth = (r.originalMax / wave - r.lowFreqFactor) / (r.highFreqFactor - r.lowFreqFactor);
    return 1 / ((1 - smooth) / r.factor + smooth);
  });
}

/** The type a tensor is stored in: 1-D ones in F32 as convert_hf_to_gguf.py keeps them; Q8_0 rows that are not whole blocks fall back to F16, as it does. */
export function storedType(shape: readonly number[], dtype: GgufType): GgufType {
  if (shape.length < 2) return 'f32';
  return dtype === 'q8_0' && shape.at(-1)! % Q8_0_BLOCK !== 0 ? 'f16' : dtype;
}

/** Tensors (merged weights) in llama.cpp's names and layouts. */
function ggufTensorsOf(arch: string, c: ModelConfig, params: Params, dtype: GgufType): GgufTensor[] {
  const out: GgufTensor[] = [];
  const add = (name: string, shape: number[], data: Float32Array): void => { out.push({ name, shape, type: storedType(shape, dtype), data }); };
  if (c.family === 'gpt2') {
    for (const [n, t] of params) {
      const conv = t.rank === 2 && /\.(c_attn|c_proj|c_fc)\.weight$/.test(n); // Conv1D stores (in, out)
      add(gpt2Name(n), conv ? [t.shape[1]!, t.shape[0]!] : [...t.shape], conv ? transpose(t.f32, t.shape[0]!, t.shape[1]!) : t.f32);
    }
    if (c.tieEmbeddings) out.push({ ...out.find((t) => t.name === 'token_embd.weight')!, name: 'output.weight' });
    return out;
  }
  const gemma = arch === 'gemma2' || arch === 'gemma3';
  const fold = attnFold(arch, c);
  let named: Map<string, { shape: readonly number[]; data: Float32Array }> = new Map([...params].map(([n, t]) => [n, { shape: t.shape, data: t.f32 }]));
  if (arch === 'phi3') named = joinFused(c, named, (shape, data) => ({ shape, data }));
  if (arch === 'llama' && c.rope?.type === 'llama3') add('rope_freqs.weight', [headDim(c) / 2], llama3Factors(c));
  for (const [n, t] of named) {
    let data = t.data;
    const rows = t.shape[0]!, cols = t.shape[1] ?? 1;
    // Gemma's norms compute x·(1 + w); llama.cpp's compute x·w, so the file holds 1 + w.
    if (gemma && /norm\.weight$/.test(n)) data = data.map((v) => v + 1);
    if (fold !== 1 && (c.qkNorm ? /q_norm\.weight$/ : /q_proj\.(weight|bias)$/).test(n)) data = data.map((v) => v * fold);
    if (arch === 'llama' && /\.(q_proj|k_proj)\.(weight|bias)$/.test(n)) data = permuteRope(data, rows, cols, /q_proj/.test(n) ? c.nHead : c.nKvHead);
    add(decoderName(n, gemma), [...t.shape], data);
  }
  if (c.tieEmbeddings && !gemma && arch === 'phi3') out.push({ ...out.find((t) => t.name === 'token_embd.weight')!, name: 'output.weight' });
  return out;
}

const FILE_TYPE: Record<GgufType, number> = { f32: 0, f16: 1, q8_0: 7, bf16: 32 }; // llama_ftype ALL_F32, MOSTLY_F16, MOSTLY_Q8_0, MOSTLY_BF16

/** The GGUF architecture, metadata (without the tokenizer's) and tensors of a model's merged weights. */
export function ggufModel(c: ModelConfig, params: Params, dtype: GgufType, name: string): GgufModel {
  const mt = modelTypeOf(c), arch = GGUF_ARCH[mt];
  if (!arch) throw new ExportError(`model_type ${JSON.stringify(mt)} has no llama.cpp architecture; export --format hf`);
  const { context, warnings } = checkSupport(arch, c);
  const m = new Map<string, GgufValue>();
  const u32 = (k: string, v: number): void => { m.set(k, { type: 'u32', value: v }); };
  const f32 = (k: string, v: number): void => { m.set(k, { type: 'f32', value: v }); };
  m.set('general.architecture', { type: 'string', value: arch });
  m.set('general.name', { type: 'string', value: name });
  u32('general.file_type', FILE_TYPE[dtype]);
  if (dtype === 'q8_0') u32('general.quantization_version', 2);
  u32(`${arch}.context_length`, context);
  u32(`${arch}.embedding_length`, c.dModel);
  u32(`${arch}.block_count`, c.nLayer);
  u32(`${arch}.feed_forward_length`, c.dFF);
  u32(`${arch}.attention.head_count`, c.nHead);
  u32(`${arch}.attention.head_count_kv`, c.nKvHead);
  if (c.family === 'gpt2') f32(`${arch}.attention.layer_norm_epsilon`, c.normEps);
  else {
    f32(`${arch}.attention.layer_norm_rms_epsilon`, c.normEps);
    f32(`${arch}.rope.freq_base`, c.ropeTheta);
    u32(`${arch}.rope.dimension_count`, headDim(c));
    u32(`${arch}.attention.key_length`, headDim(c));
    u32(`${arch}.attention.value_length`, headDim(c));
    if (c.rope?.type === 'linear') {
      m.set(`${arch}.rope.scaling.type`, { type: 'string', value: 'linear' });
      f32(`${arch}.rope.scaling.factor`, c.rope.factor);
    }
    const w = c.layerWindows?.find((x) => x !== null);
    if (w && llamaCppWindows(arch, c)) u32(`${arch}.attention.sliding_window`, w);
    // Gemma's graphs always slide some layers; a window of the whole context slides none.
    else if (arch === 'gemma2' || arch === 'gemma3') u32(`${arch}.attention.sliding_window`, c.maxSeqLen);
    // Gemma 2's graph always soft-caps attention scores; a cap this large makes cap·tanh(s/cap) = s in float32.
    if (arch === 'gemma2') f32(`${arch}.attn_logit_softcapping`, c.attnSoftcap ?? 1e9);
    if (c.finalSoftcap != null || arch === 'gemma2') f32(`${arch}.final_logit_softcapping`, c.finalSoftcap ?? 1e9);
  }
  u32(`${arch}.vocab_size`, c.vocabSize);
  return { arch, metadata: m, tensors: ggufTensorsOf(arch, c, params, dtype), warnings };
}
