// Shared fixtures for the checkpoint-directory suites (a *.test.ts file so it never ships).
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, Tensor } from '../../tensor/index.js';
import { defaultConfig, type Family, type ModelConfig } from '../config.js';
import { Transformer } from '../transformer.js';

export function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'alignkit-ckptdir-'));
}

let n = 0;
export function freshDir(root: string): string {
  const d = join(root, `case-${n++}`);
  mkdirSync(d);
  return d;
}

/** Small configs of both families; the Llama one uses grouped-query attention (4 heads, 2 kv). */
export function smallConfig(family: Family, over: Partial<ModelConfig> = {}): ModelConfig {
  return family === 'gpt2'
    ? defaultConfig('gpt2', { vocabSize: 260, maxSeqLen: 16, dModel: 16, nLayer: 2, nHead: 2, ...over })
    : defaultConfig('llama', { vocabSize: 260, maxSeqLen: 16, dModel: 16, nLayer: 2, nHead: 4, nKvHead: 2, dFF: 40, ...over });
}

/** A model whose every parameter, norms and biases included, is random, so no tensor can go unchecked. */
export function randomModel(config: ModelConfig, seed = 7): Transformer {
  const m = new Transformer(config, undefined, seed);
  const rng = new Rng(seed + 1);
  for (const t of m.params.values()) for (let i = 0; i < t.size; i++) t.f32[i] = t.f32[i]! + 0.1 * rng.normal();
  return m;
}

export function ids(config: ModelConfig, B = 2, T = 7, seed = 3): Tensor {
  const rng = new Rng(seed);
  return new Tensor(Int32Array.from({ length: B * T }, () => Math.floor(rng.uniform() * config.vocabSize)), [B, T]);
}

export function logits(m: Transformer, x: Tensor): Float32Array {
  return m.logits(x).f32;
}

/** A safetensors file built by hand, for dtypes the library does not write (F16, BF16). */
export function rawSafetensors(entries: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] };
    off += e.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const e of entries) {
    out.set(e.bytes, at);
    at += e.bytes.length;
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of v, rounded to nearest even (finite inputs of modest size). */
export function f16Bits(v: number): number {
  f32[0] = v;
  const u = u32[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (h & 1))) h++;
    return sign | h;
  }
  let h = (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** The value of binary16 bits, by the textbook formula (not the library's table). */
export function f16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** bfloat16 bits of v, rounded to nearest even. */
export function bf16Bits(v: number): number {
  f32[0] = v;
  const u = u32[0]!;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16Value(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

/** Little-endian 16-bit encoding of `values` through `bits`, and the values the halves stand for. */
export function halves(values: Float32Array, bits: (v: number) => number, value: (h: number) => number): { bytes: Uint8Array; rounded: Float32Array } {
  const bytes = new Uint8Array(values.length * 2);
  const rounded = new Float32Array(values.length);
  values.forEach((v, i) => {
    const h = bits(v);
    bytes[2 * i] = h & 0xff;
    bytes[2 * i + 1] = h >> 8;
    rounded[i] = value(h);
  });
  return { bytes, rounded };
}
