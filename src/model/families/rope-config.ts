// RoPE keys of config.json ↔ the engine's RopeScaling. transformers 4.x writes rope_theta and
// rope_scaling ({type | rope_type, factor, ...}); 5.x folds both into rope_parameters, per layer
// type for Gemma 3 ({full_attention: {...}, sliding_attention: {...}}). The scaling types and their
// keys are modeling_rope_utils.py's; a type the engine lacks (longrope, proportional, ...) or a
// partial rotary factor is refused by name.
import type { RopeScaling } from '../config.js';
import type { HfReader } from './reader.js';

export interface RopeRead { theta: number; rope: RopeScaling; localTheta?: number }

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the RoPE keys; `maxPos` is max_position_embeddings, `defaultTheta` the class's base. */
export function readRope(r: HfReader, maxPos: number, defaultTheta: number, localDefault?: number): RopeRead {
  const rp = r.j.rope_parameters;
  if (isDict(rp) && (isDict(rp.full_attention) || isDict(rp.sliding_attention))) {
    const full = scaling(r, 'rope_parameters.full_attention', (rp.full_attention ?? {}) as Dict, maxPos);
    const local = scaling(r, 'rope_parameters.sliding_attention', (rp.sliding_attention ?? {}) as Dict, maxPos);
    if (local.rope.type !== 'default') r.bad('rope_parameters.sliding_attention.rope_type', local.rope.type, '"default" (scaled local RoPE is not implemented)');
    return { theta: full.theta ?? defaultTheta, rope: full.rope, localTheta: local.theta ?? localDefault ?? defaultTheta };
  }
  let d: Dict = {}, key = 'rope_parameters';
  if (isDict(rp)) d = rp;
  else if (rp != null) r.bad('rope_parameters', rp, 'an object');
  else if (isDict(r.j.rope_scaling)) { d = r.j.rope_scaling; key = 'rope_scaling'; }
  else if (r.j.rope_scaling != null) r.bad('rope_scaling', r.j.rope_scaling, 'null or an object');
  const s = scaling(r, key, d, maxPos);
  const theta = s.theta ?? r.j.rope_theta ?? defaultTheta;
  if (!(typeof theta === 'number' && theta > 0)) r.bad(s.theta !== undefined ? `${key}.rope_theta` : 'rope_theta', theta, 'a positive number');
  const localTheta = r.j.rope_local_base_freq ?? localDefault;
  if (localTheta !== undefined && !(typeof localTheta === 'number' && localTheta > 0)) r.bad('rope_local_base_freq', localTheta, 'a positive number');
  return { theta: theta as number, rope: s.rope, ...(localTheta !== undefined ? { localTheta: localTheta as number } : {}) };
}

function scaling(r: HfReader, key: string, d: Dict, maxPos: number): { theta?: number; rope: RopeScaling } {
  const num = (k: string, fallback?: number): number => {
    const v = d[k] ?? fallback;
    return typeof v === 'number' && v > 0 ? v : r.bad(`${key}.${k}`, v, 'a positive number');
  };
  const prf = d.partial_rotary_factor;
  if (prf !== undefined && prf !== null && prf !== 1) r.bad(`${key}.partial_rotary_factor`, prf, '1 (partial rotary embeddings are not implemented)');
  const theta = d.rope_theta === undefined || d.rope_theta === null ? undefined : num('rope_theta');
  const type = (d.rope_type ?? d.type ?? 'default') as string;
  switch (type) {
    case 'default': return { theta, rope: { type: 'default' } };
    case 'linear': return { theta, rope: { type, factor: num('factor') } };
    case 'dynamic': return { theta, rope: { type, factor: num('factor'), originalMax: maxPos } };
    case 'llama3':
      return { theta, rope: { type, factor: num('factor'), lowFreqFactor: num('low_freq_factor'), highFreqFactor: num('high_freq_factor'), originalMax: num('original_max_position_embeddings') } };
    case 'yarn': {
      const originalMax = num('original_max_position_embeddings', maxPos);
      const factor = num('factor', maxPos / originalMax);
      const mscale = (s: number, m = 1): number => (s <= 1 ? 1 : 0.1 * m * Math.log(s) + 1);
      const m = d.mscale as number | undefined, mAll = d.mscale_all_dim as number | undefined;
      const attentionFactor = typeof d.attention_factor === 'number' ? d.attention_factor : m && mAll ? mscale(factor, m) / mscale(factor, mAll) : mscale(factor);
      return { theta, rope: { type, factor, originalMax, betaFast: (d.beta_fast as number) || 32, betaSlow: (d.beta_slow as number) || 1, attentionFactor, truncate: d.truncate !== false } };
    }
    default: return r.bad(`${key}.rope_type`, type, '"default", "linear", "dynamic", "llama3" or "yarn" (the RoPE types alignkit implements)');
  }
}

/** config.json's rope keys (the 4.x spelling, which 5.x still reads) for an engine RoPE. */
export function writeRope(theta: number, rope: RopeScaling | undefined): Dict {
  const s = rope ?? { type: 'default' };
  const { type, ...rest } = s;
  const keys: Record<string, string> = { factor: 'factor', lowFreqFactor: 'low_freq_factor', highFreqFactor: 'high_freq_factor', originalMax: 'original_max_position_embeddings', betaFast: 'beta_fast', betaSlow: 'beta_slow', attentionFactor: 'attention_factor', truncate: 'truncate' };
  if (type === 'default') return { rope_theta: theta, rope_scaling: null };
  const out: Dict = { rope_type: type };
  for (const [k, v] of Object.entries(rest)) if (!(type === 'dynamic' && k === 'originalMax')) out[keys[k]!] = v;
  return { rope_theta: theta, rope_scaling: out };
}
