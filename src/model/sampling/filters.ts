// Turning one row of logits into one token: temperature, top-k, top-p (nucleus), then an inverse-CDF
// draw. Pure functions on typed arrays so that the distribution they define can be tested exactly.
//
// Order as in Hugging Face's logits warpers: temperature first, then top-k, then top-p on the
// distribution renormalised over the top-k set (Holtzman et al. 2020 for top-p).
import { backend } from '../../backend/index.js';
import type { Rng } from '../../tensor/index.js';
import { nucleusIds, sortedIds, topKIds } from './select.js';

export interface FilterOptions {
  /** Softmax temperature; 0 means greedy (argmax). Default 1. */
  temperature?: number;
  /** Keep the k most probable tokens; 0 (default) keeps all. */
  topK?: number;
  /** Keep the smallest set of most probable tokens whose mass reaches p; 1 (default) keeps all. */
  topP?: number;
}

/** A truncated distribution: candidate ids, most probable first, and their renormalised probabilities. */
export interface Candidates {
  ids: Int32Array;
  probs: Float64Array;
}

/**
 * log softmax(logits / T) in float64. T = 0 (greedy) is read as T = 1, so that greedy decoding
 * reports the model's own log-probabilities rather than a degenerate 0 / −∞.
 */
export function logSoftmaxT(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const t = temperature === 0 ? 1 : temperature;
  const V = logits.length;
  const out = new Float64Array(V);
  let m = -Infinity;
  for (let i = 0; i < V; i++) {
    const z = logits[i]! / t;
    out[i] = z;
    if (z > m) m = z;
  }
  let s = 0;
  for (let i = 0; i < V; i++) s += Math.exp(out[i]! - m);
  const lse = m + Math.log(s);
  for (let i = 0; i < V; i++) out[i] = out[i]! - lse;
  return out;
}

/** Index of the largest value; the lowest index wins a tie, so greedy decoding is reproducible. */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/**
 * Greedy decoding's pick: argmax(logits) and its entry of logSoftmaxT(logits, 0), the same float64
 * operations in the same order (so the same bits), without the (V) float64 array logSoftmaxT
 * fills: at batch 32 over a 49,152–151,936 vocabulary that array was 12–39 MB of garbage per
 * step and one pass of three (issue 20, batch-32 decoding). Throws on NaN logits as pickToken does.
 */
export function greedyPick(logits: ArrayLike<number>): { token: number; logprob: number } {
  // argmax's token (ties to the lower id) holds logSoftmaxT's max, unless a NaN makes the sum NaN.
  const token = argmax(logits), m = logits[token]!;
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp(logits[i]! - m);
  return { token, logprob: greedyLogprob(m, s) };
}

/**
 * log softmax at the maximum m from Σ exp(x − m), as logSoftmaxT rounds it (m − (m + log s)).
 * Its every entry is NaN exactly when its normaliser is: a NaN logit, or none above −∞.
 */
function greedyLogprob(m: number, s: number): number {
  const lse = m + Math.log(s);
  if (Number.isNaN(lse)) throw new RangeError('pickToken: logits contain NaN (has the model diverged?)');
  return m - lse;
}

/**
 * greedyPick for every row of a step's logits (B, V) in one backend call (greedyRows: natively the
 * rows split over the threads, the exps 8 at a time), made the first time a row asks: the same
 * tokens and log-probabilities, bit for bit (test/conformance/greedy.test.ts). Buffers are kept
 * from step to step.
 */
export class GreedyRows {
  private token = new Int32Array(0);
  private sum = new Float64Array(0);
  private logits: Float32Array = new Float32Array(0);
  private B = 0;
  private V = 0;
  private done = true;

  /** The rows to pick from next: logits (B, V), not read until a row is asked for. */
  over(logits: Float32Array, B: number, V: number): this {
    this.logits = logits; this.B = B; this.V = V; this.done = false;
    return this;
  }

  /** Row b's greedy token and its log softmax(logits) entry. */
  pick(b: number): { token: number; logprob: number } {
    if (!this.done) {
      if (this.token.length < this.B) { this.token = new Int32Array(this.B); this.sum = new Float64Array(this.B); }
      backend().greedyRows(this.token, this.sum, this.logits, this.B, this.V);
      this.done = true;
    }
    const token = this.token[b]!;
    return { token, logprob: greedyLogprob(this.logits[b * this.V + token]!, this.sum[b]!) };
  }
}

/**
 * The distribution top-k then top-p leave of `logp` (log-probabilities), renormalised. Top-p keeps
 * the smallest prefix whose mass within the top-k set reaches p, and never fewer than one token.
 */
export function truncate(logp: Float64Array, topK = 0, topP = 1): Candidates {
  const V = logp.length;
  const k = topK > 0 ? Math.min(topK, V) : V;
  // Only the candidates are ever sorted (select.ts): the k best, or those above top-p's bound.
  const nucleus = k === V && topP < 1 ? nucleusIds(logp, topP) : null;
  const ids = nucleus ? nucleus.ids : k < V ? topKIds(logp, k) : sortedIds(logp);
  const probs = Array.from(ids, (i) => Math.exp(logp[i]!));
  let mass = probs.reduce((a, b) => a + b, 0) + (nucleus?.restMass ?? 0);
  let keep = ids.length;
  if (topP < 1) {
    let c = 0, reached = false;
    for (keep = 0; keep < ids.length;) {
      c += probs[keep++]!;
      if (c >= topP * mass) { reached = true; break; }
    }
    // The bound keeps a bucket to spare for rounding; should even that fall short, sort everything.
    if (nucleus && !reached) return truncateSorted(logp, sortedIds(logp), topP);
    mass = c;
  }
  const out = new Float64Array(keep);
  for (let i = 0; i < keep; i++) out[i] = probs[i]! / mass;
  return { ids: ids.slice(0, keep), probs: out };
}

/** Top-p over ids already in the filters' order (all of them): the reference the bound must equal. */
function truncateSorted(logp: Float64Array, ids: Int32Array, topP: number): Candidates {
  const probs = Array.from(ids, (i) => Math.exp(logp[i]!));
  const mass = probs.reduce((a, b) => a + b, 0);
  let c = 0, keep = 0;
  while (keep < ids.length) { c += probs[keep++]!; if (c >= topP * mass) break; }
  return { ids: ids.slice(0, keep), probs: Float64Array.from(probs.slice(0, keep), (p) => p / c) };
}

/** Inverse CDF: the first candidate whose cumulative probability exceeds u ∈ [0, 1). */
export function drawFrom(c: Candidates, u: number): number {
  let acc = 0;
  for (let i = 0; i < c.ids.length; i++) {
    acc += c.probs[i]!;
    if (u < acc) return c.ids[i]!;
  }
  // Rounding can leave the total a hair under 1; the last candidate takes that sliver.
  return c.ids[c.ids.length - 1]!;
}

const sums = new Float64Array(2);

/**
 * pickToken without top-k or top-p over float32 logits, in two backend calls (softmaxSums,
 * inverseCdf: natively the exps 8 at a time) instead of logSoftmaxT's (V) float64 array and
 * two passes of Math.exp in JavaScript: the same float64 operations in the same order, so the
 * same token and log-probability bit for bit (test/conformance/sample.test.ts).
 */
function drawUntruncated(logits: Float32Array, T: number, rng: Rng): { token: number; logprob: number } {
  const be = backend(), V = logits.length;
  be.softmaxSums(sums, logits, 1, V, T);
  const lse = sums[0]! + Math.log(sums[1]!);
  if (Number.isNaN(lse)) throw new RangeError('pickToken: logits contain NaN (has the model diverged?)');
  let token = be.inverseCdf(logits, V, T, lse, rng.uniform());
  // The rounding sliver, as in drawFrom: the last token that has any probability.
  for (let i = V - 1; i >= 0 && token < 0; i--) if (logits[i]! / T - lse > -Infinity) token = i;
  return { token, logprob: logits[token]! / T - lse };
}

/**
 * Picks the next token from one row of logits. `logprob` is log softmax(logits / T)[token] BEFORE
 * top-k/top-p truncation (T = 1 when greedy): the probability under the policy's smooth
 * distribution, which is what PPO's ratio and the KL penalty need, and what scoreTokens
 * recomputes by teacher forcing.
 */
export function pickToken(logits: ArrayLike<number>, opts: FilterOptions, rng: Rng): { token: number; logprob: number } {
  const T = opts.temperature ?? 1, topK = opts.topK ?? 0, topP = opts.topP ?? 1;
  if (T === 0) return greedyPick(logits);
  if (topK === 0 && topP >= 1 && logits instanceof Float32Array && T > 0 && Number.isFinite(T)) return drawUntruncated(logits, T, rng);
  const logp = logSoftmaxT(logits, T);
  // One NaN logit makes the normaliser, and so every entry, NaN: a diverged model, not a draw.
  if (Number.isNaN(logp[0])) throw new RangeError('pickToken: logits contain NaN (has the model diverged?)');
  let token: number;
  if (topK === 0 && topP >= 1) {
    // No truncation: draw over the vocabulary in id order, without sorting it.
    const u = rng.uniform();
    let acc = 0;
    token = -1;
    for (let i = 0; i < logp.length; i++) {
      acc += Math.exp(logp[i]!);
      if (u < acc) { token = i; break; }
    }
    // The rounding sliver, as in drawFrom: the last token that has any probability.
    for (let i = logp.length - 1; i >= 0 && token < 0; i--) if (logp[i]! > -Infinity) token = i;
  } else {
    token = drawFrom(truncate(logp, topK, topP), rng.uniform());
  }
  return { token, logprob: logp[token]! };
}
