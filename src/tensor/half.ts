// 16-bit floating point storage (issue 18): frozen weights kept as the checkpoint stores them,
// bfloat16 or IEEE binary16, two bytes a value, and widened to float32 only as kernels read them.
// Both widen exactly (every 16-bit value has an identical float32), so a model on 16-bit weights
// computes what the same model on the widened weights computes.

export type HalfDType = 'bfloat16' | 'float16';

export function isHalf(dtype: string): dtype is HalfDType {
  return dtype === 'bfloat16' || dtype === 'float16';
}

let f16Values: Float32Array | undefined;

// The value of each binary16 pattern, from the format's definition (sign, 5-bit exponent biased
// by 15, 10-bit fraction; exponent 0 subnormal, 31 infinity or NaN), built once: 256 KiB.
function f16Table(): Float32Array {
  if (!f16Values) {
    f16Values = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
      f16Values[h] = e === 31 ? (m ? NaN : s * Infinity) : e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
    }
  }
  return f16Values;
}

/** The float32 values of 16-bit patterns (exact). */
export function widenHalf(bits: Uint16Array, dtype: HalfDType, out = new Float32Array(bits.length)): Float32Array {
  if (dtype === 'bfloat16') {
    const o = new Uint32Array(out.buffer, out.byteOffset, bits.length);
    for (let i = 0; i < bits.length; i++) o[i] = bits[i]! << 16;
  } else {
    const t = f16Table();
    for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]!]!;
  }
  return out;
}

/** The float32 value of one 16-bit pattern. */
export function halfValue(bits: number, dtype: HalfDType): number {
  return widenHalf(Uint16Array.of(bits), dtype)[0]!;
}

/**
 * The 16-bit patterns of float32 values that `dtype` holds exactly, or null when one does not
 * (so that narrowing never rounds: a weight that was trained, or never was 16-bit, stays float32).
 */
export function narrowExact(values: Float32Array, dtype: HalfDType): Uint16Array | null {
  const out = new Uint16Array(values.length);
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  if (dtype === 'bfloat16') {
    for (let i = 0; i < u.length; i++) {
      if (u[i]! & 0xffff) return null;
      out[i] = u[i]! >>> 16;
    }
    return out;
  }
  for (let i = 0; i < u.length; i++) {
    const b = u[i]!, sign = (b >>> 16) & 0x8000, e = (b >>> 23) & 0xff, m = b & 0x7fffff;
    let h: number;
    if (e === 0xff) h = m ? -1 : sign | 0x7c00; // NaN payloads are not carried: refuse them
    else if (e === 0 && m === 0) h = sign;
    else if (e >= 113 && e <= 142 && (m & 0x1fff) === 0) h = sign | ((e - 112) << 10) | (m >>> 13);
    else if (e >= 103 && e < 113) {
      // A binary16 subnormal f·2^-24: the float32 must be an integer multiple of 2^-24.
      const shift = 126 - e, full = m | 0x800000;
      h = (full & ((1 << shift) - 1)) === 0 ? sign | (full >>> shift) : -1;
    } else h = -1;
    if (h < 0) return null;
    out[i] = h;
  }
  return out;
}

/**
 * float32 values rounded to the nearest bfloat16 (ties to even; a NaN stays a quiet NaN), as
 * float32: what the bf16-compute products do to their activations (AVX-512 BF16's
 * vcvtne2ps2bf16, torch's cast to bfloat16).
 */
export function roundToBf16(values: Float32Array, out = new Float32Array(values.length)): Float32Array {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length), o = new Uint32Array(out.buffer, out.byteOffset, values.length);
  for (let i = 0; i < u.length; i++) o[i] = bf16Bits(u[i]!) << 16;
  return out;
}

/**
 * `rows` rows of `width` float32 values of src (row r at r·width) rounded to bfloat16 bits into dst
 * at at(r): what a bfloat16 KV cache stores (RowCache, the decoder's step).
 */
export function roundRowsToBf16(dst: Uint16Array, src: Float32Array, rows: number, width: number, at: (r: number) => number): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, rows * width);
  for (let r = 0; r < rows; r++) {
    const o = at(r), i0 = r * width;
    for (let i = 0; i < width; i++) dst[o + i] = bf16Bits(u[i0 + i]!);
  }
}

/** The bfloat16 pattern nearest the float32 pattern `b` (ties to even; a NaN stays a quiet NaN). */
export function bf16Bits(b: number): number {
  return (b & 0x7fffffff) > 0x7f800000 ? ((b >>> 16) | 0x40) & 0xffff : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}
