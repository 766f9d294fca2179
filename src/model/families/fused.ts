// Phi-3 stores q, k and v as one qkv_proj (rows [q; k; v]) and the MLP's gate and up as one
// gate_up_proj (rows [gate; up]), modeling_phi3.py. The block keeps them apart (one weight per
// projection, so LoRA targets and the other families' code paths are the same), so the adapter
// splits them when a checkpoint is read and joins them again when one is written.
import type { SafetensorsDataOrHalf } from '../../io/safetensors.js';
import type { ModelConfig } from '../config.js';
import { headDim } from '../config.js';

interface Rows { shape: readonly number[]; data: SafetensorsDataOrHalf }
type Named<T> = ReadonlyMap<string, T>;

const QKV = /^(model\.layers\.\d+)\.self_attn\.qkv_proj\.weight$/;
const GATE_UP = /^(model\.layers\.\d+)\.mlp\.gate_up_proj\.weight$/;

export const hasFusedProjections = (c: ModelConfig): boolean => c.modelType === 'phi3';

function parts(c: ModelConfig): { qkv: [string, number][]; gateUp: [string, number][] } {
  const D = headDim(c);
  return {
    qkv: [['self_attn.q_proj', c.nHead * D], ['self_attn.k_proj', c.nKvHead * D], ['self_attn.v_proj', c.nKvHead * D]],
    gateUp: [['mlp.gate_proj', c.dFF], ['mlp.up_proj', c.dFF]],
  };
}

/** Checkpoint tensors with every fused weight split into the block's; others pass through. `what` builds a tensor of the same kind. */
export function splitFused<T extends Rows>(c: ModelConfig, tensors: Named<T>, what: (shape: number[], data: Float32Array | Uint16Array, from: T) => T): Map<string, T> {
  const out = new Map<string, T>();
  const p = parts(c);
  for (const [name, t] of tensors) {
    const m = QKV.exec(name) ?? GATE_UP.exec(name);
    // Float32, or 16-bit patterns kept for a frozen model (rows split the same way).
    if (!m || t.shape.length !== 2 || t.data instanceof Int32Array) { out.set(name, t); continue; }
    const list = QKV.test(name) ? p.qkv : p.gateUp;
    const rows = list.reduce((a, [, n]) => a + n, 0), cols = t.shape[1]!;
    if (t.shape[0] !== rows) { out.set(name, t); continue; } // left whole: the shape check names it
    let r0 = 0;
    for (const [leaf, n] of list) {
      out.set(`${m[1]}.${leaf}.weight`, what([n, cols], t.data.slice(r0 * cols, (r0 + n) * cols), t));
      r0 += n;
    }
  }
  return out;
}

/** The block's weights joined into the checkpoint's fused ones. */
export function joinFused<T extends Rows>(c: ModelConfig, tensors: Named<T>, what: (shape: number[], data: Float32Array) => T): Map<string, T> {
  const out = new Map<string, T>();
  const p = parts(c);
  const fused = new Map<string, string>();
  for (let l = 0; l < c.nLayer; l++) {
    for (const [leaf] of p.qkv) fused.set(`model.layers.${l}.${leaf}.weight`, `model.layers.${l}.self_attn.qkv_proj.weight`);
    for (const [leaf] of p.gateUp) fused.set(`model.layers.${l}.${leaf}.weight`, `model.layers.${l}.mlp.gate_up_proj.weight`);
  }
  for (const [name, t] of tensors) {
    const into = fused.get(name);
    if (!into) { out.set(name, t); continue; }
    if (out.has(into)) continue;
    const members = [...fused].filter(([, f]) => f === into).map(([n]) => tensors.get(n)!);
    const cols = members[0]!.shape[1]!, rows = members.reduce((a, m) => a + m.shape[0]!, 0);
    const data = new Float32Array(rows * cols);
    let at = 0;
    for (const m of members) { data.set(m.data as Float32Array, at); at += m.data.length; }
    out.set(into, what([rows, cols], data));
  }
  return out;
}
