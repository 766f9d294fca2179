// A LoRA adapter as llama.cpp's `--lora` reads it (llama-adapter.cpp, convert_lora_to_gguf.py):
// general.type "adapter", adapter.type "lora", one adapter.lora.alpha, and for each adapted weight
// W (GGUF name N) the tensors N.lora_a (r, in) and N.lora_b (out, r); llama.cpp adds
// (alpha / r)·B·A·x. Each adapter's own scale is folded into B so one alpha serves all, and B's
// rows get what the base tensor's rows got (llama's RoPE permutation of q and k, Gemma 2's
// attention-scale factor in q).
import type { GgufTensor, GgufValue } from '../../io/gguf.js';
import type { Transformer } from '../transformer.js';
import { attnFold, ExportError, GGUF_ARCH, ggufTensorName, modelTypeOf, permuteRope } from './gguf-model.js';

export function ggufLora(model: Transformer, name: string): { metadata: Map<string, GgufValue>; tensors: GgufTensor[] } {
  const c = model.config, adapters = [...model.lora];
  if (adapters.length === 0) throw new ExportError('the model directory has no LoRA adapter (adapter_config.json); --format gguf-lora exports one');
  const arch = GGUF_ARCH[modelTypeOf(c)];
  if (!arch) throw new ExportError(`model_type ${JSON.stringify(modelTypeOf(c))} has no llama.cpp architecture`);
  for (const [w] of adapters) {
    if (arch === 'phi3' && /\.(q_proj|k_proj|v_proj|gate_proj|up_proj)\.weight$/.test(w)) {
      throw new ExportError(`phi3: llama.cpp fuses q/k/v and gate/up, so the adapter on ${w} has no GGUF tensor of its own; export --format gguf (merged)`);
    }
  }
  const alpha = adapters[0]![1].scale * adapters[0]![1].A.shape[0]!;
  const tensors: GgufTensor[] = [];
  for (const [w, a] of adapters) {
    const n = ggufTensorName(c, w), [r, inDim] = a.A.shape as [number, number], out = a.B.shape[0]!;
    let B: Float32Array = a.B.f32.map((v) => (v * a.scale * r) / alpha);
    // The base GGUF scales q_proj by Gemma's attention-scale fold when no q-norm carries it; so does B.
    if (!c.qkNorm && /\.q_proj\.weight$/.test(w)) B = B.map((v) => v * attnFold(arch, c));
    if (arch === 'llama' && /\.(q_proj|k_proj)\.weight$/.test(w)) B = permuteRope(B, out, r, /q_proj/.test(w) ? c.nHead : c.nKvHead);
    tensors.push({ name: `${n}.lora_a`, shape: [r, inDim], type: 'f32', data: a.A.f32 });
    tensors.push({ name: `${n}.lora_b`, shape: [out, r], type: 'f32', data: B });
  }
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: arch }],
    ['general.type', { type: 'string', value: 'adapter' }],
    ['general.name', { type: 'string', value: name }],
    ['adapter.type', { type: 'string', value: 'lora' }],
    ['adapter.lora.alpha', { type: 'f32', value: alpha }],
  ]);
  return { metadata, tensors };
}
