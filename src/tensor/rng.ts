// A seedable generator whose streams are identical on every machine: integer arithmetic only
// (Math.imul and shifts) for the raw bits, and float64 Box–Muller for normals. xoshiro128** by
// Blackman and Vigna, seeded through splitmix32 so that nearby seeds give unrelated streams.

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.spare = null;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal by the Box–Muller transform, caching the second value. */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * The generator's full state as six finite numbers (JSON-safe), for checkpoints. The words are
   * written unsigned whatever sign the arithmetic left them with, so that one state has one
   * spelling: a resumed run's checkpoints then match an unbroken run's byte for byte (issue 16).
   */
  state(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0, this.spare === null ? 0 : 1, this.spare ?? 0];
  }

  setState(st: readonly number[]): void {
    if (st.length !== 6 || !st.every(Number.isFinite)) throw new Error(`Rng.setState: expected 6 finite numbers, got [${st.join(', ')}]`);
    [this.s0, this.s1, this.s2, this.s3] = st.map((v) => v | 0) as [number, number, number, number];
    this.spare = st[4] ? st[5]! : null;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

let globalRng = new Rng(0);

/** The process-wide generator used when an op or initialiser is given none. */
export function defaultRng(): Rng {
  return globalRng;
}

export function manualSeed(seed: number): void {
  globalRng = new Rng(seed);
}
