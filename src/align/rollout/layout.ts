// Moving per-token numbers between the three layouts the online trainers meet:
//   per sample   number[][], one array of L_b values per completion (what a rollout keeps);
//   bookkeeping  (B, W) rows, completions from column 0, right-padded to W = max L_b, with a 0/1
//                mask: the layout of klPenaltyRewards, gae and whiten;
//   training     (B, T) of tokenLogprobs: completion token j of row b at column start[b] + j.
// Plus the per-token value forward (in the training layout), the entropy monitor and the
// deterministic batching that makes a resumed run draw what the uninterrupted one drew.
import { noGrad } from '../../autograd/index.js';
import { lmHeadRows, mul } from '../../ops/index.js';
import { scalarPerToken, type Transformer } from '../../model/index.js';
import { Rng, Tensor } from '../../tensor/index.js';
import { entropyFromLogits } from '../losses/index.js';
import type { PromptCompletion, TokenLogprobs } from '../trainer/logprobs.js';

/** Per-sample values right-padded with 0 to width W (default the longest). */
export function padRows(perSample: readonly (readonly number[])[], width = Math.max(1, ...perSample.map((r) => r.length))): number[][] {
  return perSample.map((r) => {
    const row = new Array<number>(width).fill(0);
    for (let t = 0; t < r.length; t++) row[t] = r[t]!;
    return row;
  });
}

/** 1 on the first L_b columns of each row, 0 after. */
export function maskRows(lengths: readonly number[], width = Math.max(1, ...lengths)): number[][] {
  return lengths.map((n) => Array.from({ length: width }, (_, t) => (t < n ? 1 : 0)));
}

/** The first L_b values of each bookkeeping row. */
export function unpadRows(rows: readonly (readonly number[])[], lengths: readonly number[]): number[][] {
  return lengths.map((n, b) => rows[b]!.slice(0, n));
}

/** Per-sample values placed at the completion positions of a tokenLogprobs layout, (B, T), 0 elsewhere. */
export function placeRows(perSample: readonly (readonly number[])[], t: Pick<TokenLogprobs, 'B' | 'T' | 'start' | 'length'>): Tensor {
  if (perSample.length !== t.B) throw new RangeError(`placeRows: ${perSample.length} rows for a batch of ${t.B}`);
  const out = new Float32Array(t.B * t.T);
  perSample.forEach((r, b) => {
    if (r.length !== t.length[b]) throw new RangeError(`placeRows: row ${b} has ${r.length} values, its completion ${t.length[b]} tokens`);
    out.set(r, b * t.T + t.start[b]!);
  });
  return new Tensor(out, [t.B, t.T]);
}

/**
 * The scalar head `head` at every completion position, in tokenLogprobs' layout: V(sₜ) sits where
 * the token it precedes is predicted, so values line up with log-probabilities token for token.
 * (B, T), 0 off the completion; carries the graph when the model's weights do.
 */
export function completionValues(model: Transformer, head: string, batch: readonly PromptCompletion[]): { values: Tensor; layout: Pick<TokenLogprobs, 'B' | 'T' | 'start' | 'length'> } {
  const B = batch.length;
  const T = Math.max(...batch.map((x) => x.prompt.length + x.completion.length)) - 1;
  if (B === 0 || T < 1) throw new RangeError('completionValues: empty batch or sequences shorter than two tokens');
  const ids = new Int32Array(B * T), mask = new Float32Array(B * T);
  const start: number[] = [], length: number[] = [];
  batch.forEach((x, b) => {
    const seq = [...x.prompt, ...x.completion];
    for (let t = 0; t < seq.length - 1; t++) ids[b * T + t] = seq[t]!;
    const s = x.prompt.length - 1;
    mask.fill(1, b * T + s, b * T + s + x.completion.length);
    start.push(s);
    length.push(x.completion.length);
  });
  const v = scalarPerToken(model, model.hidden(new Tensor(ids, [B, T])), head); // (B, T)
  return { values: mul(v, new Tensor(mask, [B, T])), layout: { B, T, start, length } };
}

/** Per-sample values of `head` for each completion token, no graph, in chunks of batchSize. */
export function rolloutValues(model: Transformer, head: string, batch: readonly PromptCompletion[], batchSize: number): number[][] {
  const out: number[][] = [];
  noGrad(() => {
    for (let s = 0; s < batch.length; s += batchSize) {
      const { values, layout } = completionValues(model, head, batch.slice(s, s + batchSize));
      layout.start.forEach((st, b) => out.push(Array.from(values.f32.subarray(b * layout.T + st, b * layout.T + st + layout.length[b]!))));
    }
  });
  return out;
}

/** Mean entropy (nats) of the temperature-scaled policy over the completion tokens; a monitor, no graph. */
export function maskedEntropy(model: Transformer, t: TokenLogprobs, temperature: number): number {
  return noGrad(() => {
    // Chunk by chunk of rows: (B, T, V) logits never exist at once.
    const h = model.config.finalSoftcap
      ? entropyFromLogits(mul(model.lmHead(t.hidden), 1 / temperature)).data // (B, T)
      : lmHeadRows(t.hidden, model.headWeight(), (logits) => entropyFromLogits(logits).f32, { temperature });
    let s = 0, n = 0;
    for (let i = 0; i < h.length; i++) if (t.mask[i]) { s += h[i]!; n++; }
    return n ? s / n : 0;
  });
}

/** Largest |logp − oldLogp| over the completion tokens: 0 (up to rounding) when the ratio is 1. */
export function maxLogRatio(logp: Tensor, oldLogp: Tensor, mask: Float32Array): number {
  let m = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) m = Math.max(m, Math.abs(logp.data[i]! - oldLogp.data[i]!));
  return m;
}

/** A seed for step `step` of a run seeded `seed`: sampling and shuffling depend on nothing else, so a resume redraws them. */
export function stepSeed(seed: number, step: number, salt = 0): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(step, 0x85ebca6b) + salt) >>> 0;
}

/** 0..n−1 shuffled by `rng` and cut into minibatches of `size` (0: one batch of all). */
export function minibatches(n: number, size: number, rng: Rng): number[][] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const m = size > 0 ? size : n;
  const out: number[][] = [];
  for (let s = 0; s < n; s += m) out.push(idx.slice(s, s + m));
  return out;
}

/**
 * The items of step `step` (1-based): `size` per step, walking epochs of the items, each epoch in
 * its own shuffled order. A pure function of its arguments.
 */
export function itemsForStep<T>(items: readonly T[], step: number, size: number, seed: number): T[] {
  const N = items.length;
  if (N === 0) throw new RangeError('itemsForStep: no items to draw from');
  const out: T[] = [];
  let epoch = -1, perm: number[] = [];
  for (let q = (step - 1) * size; q < step * size; q++) {
    const e = Math.floor(q / N);
    if (e !== epoch) {
      epoch = e;
      perm = minibatches(N, 0, new Rng(stepSeed(seed, e, 0x5eed)))[0]!;
    }
    out.push(items[perm[q % N]!]!);
  }
  return out;
}

/** The mean of a non-empty list of numbers (NaN for an empty one). */
export function meanOf(x: readonly number[]): number {
  return x.reduce((s, v) => s + v, 0) / x.length;
}
