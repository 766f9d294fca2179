// Half-precision (IEEE 754 binary16) and bfloat16 to float32. Both widen exactly: every F16 and
// BF16 value, subnormals, infinities and NaN payloads included, has an identical float32, so the
// conversion is pure bit placement with no rounding. The output is written through a Uint32Array
// view of the Float32Array so that NaN payloads survive (a float store may canonicalise them).
// Checked once against PyTorch 1.13 over all 65536 patterns of each: BF16 identical bit for bit;
// F16 identical except signalling NaNs, where the F16C instruction torch uses sets the quiet bit
// and we keep the payload as it is, as numpy does. Both are NaN.

let f16Table: Uint32Array | undefined;

/** Float32 bit pattern of one F16 bit pattern. */
function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  // All-ones exponent: infinity (mant 0) or NaN; the payload moves to the top of the F32 mantissa,
  // which keeps the quiet bit where IEEE 754 puts it.
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  // Rebias the exponent from 15 to 127.
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // F16 subnormal mant·2^-24 is a normal F32: shift the leading one up to the implicit bit.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

// 65536 entries (256 KiB), built on first use: a table lookup beats branching per element when a
// checkpoint holds hundreds of millions of F16 weights.
function table(): Uint32Array {
  if (!f16Table) {
    f16Table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32Bits(h);
  }
  return f16Table;
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Value of one F16 bit pattern (0..0xffff). */
export function f16ToF32(bits: number): number {
  scratchU32[0] = table()[bits & 0xffff]!;
  return scratchF32[0]!;
}

/** Value of one BF16 bit pattern (0..0xffff): BF16 is the top half of a float32. */
export function bf16ToF32(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0]!;
}

/** Widens little-endian F16 bytes (2 per element) into `out`. */
export function decodeF16(bytes: Uint8Array, out: Float32Array): void {
  const t = table();
  const o = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0, j = 0; i < o.length; i++, j += 2) o[i] = t[bytes[j]! | (bytes[j + 1]! << 8)]!;
}

/** Widens little-endian BF16 bytes (2 per element) into `out`. */
export function decodeBf16(bytes: Uint8Array, out: Float32Array): void {
  const o = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0, j = 0; i < o.length; i++, j += 2) o[i] = ((bytes[j]! << 16) | (bytes[j + 1]! << 24)) >>> 0;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** F16 bit pattern of a float32, rounded to nearest even as IEEE 754 (and ggml, and numpy) round; NaN stays NaN. */
export function f32ToF16Bits(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal (or zero) in F16: the implicit one joins the mantissa, shifted into place, then rounded.
    if (e < -10) return sign;
    const m = mant | 0x800000, shift = 14 - e;
    const half = 1 << (shift - 1), rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa moves into the exponent, which is the correctly rounded result (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** BF16 bit pattern of a float32: the top half, rounded to nearest even; NaN kept quiet. */
export function f32ToBf16Bits(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}
