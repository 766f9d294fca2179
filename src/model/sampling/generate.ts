// Sampling text from a Transformer: many prompts decoded together with the KV cache, temperature /
// top-k / top-p, stop tokens and stop strings, and the per-token log-probabilities RL needs.
//
// Log-probability convention: Sample.logprobs[i] = log softmax(logits / T)[tokens[i]], with T the
// sampling temperature (T = 1 when greedy), taken BEFORE top-k/top-p truncation. That is the
// policy's smooth distribution, the one PPO's ratio and the KL penalty are defined on, and the one
// scoreTokens / sequenceLogprobs recompute by teacher forcing.
import { noGrad } from '../../autograd/index.js';
import { Rng, Tensor, defaultRng } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { Decoder } from './decode.js';
import { RowCache, checkTokens, gatherSteps, leftPad } from './batch.js';
import { pickToken, type FilterOptions } from './filters.js';
import type { Transformer } from '../transformer.js';

export { argmax, drawFrom, logSoftmaxT, pickToken, truncate, type Candidates, type FilterOptions } from './filters.js';
export { scoreTokens, sequenceLogprobs, type ScoreItem, type ScoreOptions } from './score.js';

export type FinishReason = 'stop' | 'length';

export interface Sample {
  promptIndex: number;
  /** Generated tokens only; a stop token that ended the sample is kept (its log-prob is the choice to stop). */
  tokens: number[];
  /** log softmax(logits / T)[token] per token, before truncation (see the top of this file). */
  logprobs: number[];
  /** 'stop': a stop token or stop string; 'length': maxNewTokens or maxSeqLen reached. */
  finishReason: FinishReason;
  /** tokenizer.decode(tokens, { skipSpecial: true }), when a tokenizer was given. */
  text?: string;
}

export interface TokenEvent {
  /** The sample's index in generate's result. */
  index: number;
  promptIndex: number;
  token: number;
  logprob: number;
}

export interface SampleOptions extends FilterOptions {
  /** Most tokens generated per sample; prompt + generated never exceeds model.config.maxSeqLen either. */
  maxNewTokens: number;
  /** Samples per prompt (N in ReST's Grow step, the group in GRPO). Default 1. */
  n?: number;
  /** Tokens that end a sample, typically the tokenizer's EOS. Not defaulted: specials are chosen on purpose. */
  stopTokens?: readonly number[];
  /**
   * Strings that end a sample (needs `tokenizer`). The sample is cut after the token that
   * completes the string, so its text may run a few characters past it: tokens and text agree.
   */
  stopStrings?: readonly string[];
  /** Decodes for stopStrings (specials rendered, so a special's string can stop) and for Sample.text. */
  tokenizer?: Tokenizer;
  /**
   * Each sample draws from its own stream, split off this seed in result order, so a sample does
   * not depend on batchSize or on which other samples share its batch.
   */
  seed?: number;
  /** Source of the per-sample streams instead of `seed` (advanced by one draw per sample). Default: the global Rng. */
  rng?: Rng;
  /** Most sequences decoded together; default all. Smaller bounds memory; results do not change. */
  batchSize?: number;
  onToken?: (e: TokenEvent) => void;
  /** Called as each sample finishes, e.g. for progress. */
  onSample?: (s: Sample, index: number) => void;
}

interface Checked extends Required<FilterOptions> {
  maxNewTokens: number;
  stopTokens: Set<number>;
  stopStrings: readonly string[];
  longestStop: number;
  tokenizer: Tokenizer | undefined;
  onToken: ((e: TokenEvent) => void) | undefined;
  onSample: ((s: Sample, index: number) => void) | undefined;
}

interface Row {
  index: number;
  promptIndex: number;
  prompt: readonly number[];
  rng: Rng;
  /** Tokens this row may still add: min(maxNewTokens, maxSeqLen − prompt). */
  budget: number;
  tokens: number[];
  logprobs: number[];
  /** This row's real tokens in the cache (prompt + generated fed back so far). */
  fed: number;
  /** Length of the decoded text already searched for stop strings. */
  scanned: number;
  sample: Sample | null;
}

/**
 * Samples `n` completions per prompt, returned prompt-major: sample j of prompt i is at i·n + j.
 * Runs without recording gradients.
 */
export function generate(model: Transformer, prompts: readonly (readonly number[])[], opts: SampleOptions): Sample[] {
  const o = checkOptions(model, prompts, opts);
  const n = opts.n ?? 1, total = prompts.length * n;
  const batchSize = opts.batchSize ?? Math.max(1, total);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`generate: opts.batchSize is ${batchSize}; expected a positive integer`);
  const source = opts.seed !== undefined ? new Rng(opts.seed) : (opts.rng ?? defaultRng());
  const rows: Row[] = [];
  prompts.forEach((prompt, promptIndex) => {
    for (let j = 0; j < n; j++) {
      const budget = Math.min(o.maxNewTokens, model.config.maxSeqLen - prompt.length);
      rows.push({ index: rows.length, promptIndex, prompt, rng: new Rng(source.nextU32()), budget, tokens: [], logprobs: [], fed: 0, scanned: 0, sample: null });
    }
  });
  noGrad(() => {
    for (let s = 0; s < rows.length; s += batchSize) decodeBatch(model, rows.slice(s, s + batchSize), o);
  });
  return rows.map((r) => r.sample!);
}

function decodeBatch(model: Transformer, rows: Row[], o: Checked): void {
  const live: Row[] = [];
  for (const r of rows) if (r.budget > 0) live.push(r); else finish(r, 'length', o);
  if (!live.length) return;
  const V = model.config.vocabSize;
  // Each distinct prompt is prefilled once; its n samples then start from copies of its cache rows.
  const uniqueOf = new Map<number, number>();
  const unique: (readonly number[])[] = [];
  const rowOf = live.map((r) => {
    let u = uniqueOf.get(r.promptIndex);
    if (u === undefined) uniqueOf.set(r.promptIndex, (u = unique.push(r.prompt) - 1));
    return u;
  });
  const cache = new RowCache(model.config.nLayer);
  const pb = leftPad(unique);
  const T = pb.ids.shape[1]!;
  const h = model.hidden(pb.ids, { positions: pb.positions, keyMask: pb.keyMask, cache }); // (U, T, C)
  let logits = model.lmHead(gatherSteps(h, unique.map((_, u) => ({ row: u, start: T - 1, len: 1 })))).f32; // (U, 1, V)
  let logitRow = rowOf;
  if (rowOf.some((u, a) => u !== a)) cache.select(rowOf);
  // Steps of one token go through the kernel-level decoder when the model allows it (decode.ts).
  const decoder = Decoder.supports(model) ? new Decoder(model, cache, live.length) : null;
  for (const r of live) r.fed = r.prompt.length;
  let active = live;
  for (;;) {
    const keep: number[] = [];
    active.forEach((r, a) => {
      const off = logitRow[a]! * V;
      const { token, logprob } = pickToken(logits.subarray(off, off + V), o, r.rng);
      r.tokens.push(token);
      r.logprobs.push(logprob);
      o.onToken?.({ index: r.index, promptIndex: r.promptIndex, token, logprob });
      const reason = stopReason(r, token, o);
      if (reason) finish(r, reason, o);
      else keep.push(a);
    });
    if (!keep.length) return;
    if (keep.length < active.length) {
      // Finished rows leave the batch, and so does padding no remaining row needs: the cache then
      // holds exactly the longest live row, which therefore never runs past maxSeqLen.
      const L = cache.length;
      const dropLeft = keep.reduce((m, a) => Math.min(m, L - active[a]!.fed), L);
      cache.select(keep, dropLeft);
      active = keep.map((a) => active[a]!);
    }
    const B = active.length, L = cache.length, Tk = L + 1;
    const ids = new Int32Array(B), positions = new Int32Array(B), keyMask = new Float32Array(B * Tk);
    active.forEach((r, b) => {
      ids[b] = r.tokens[r.tokens.length - 1]!;
      positions[b] = r.fed;
      keyMask.fill(-Infinity, b * Tk, b * Tk + L - r.fed); // this row's left padding
      r.fed++;
    });
    logits = decoder ? decoder.step(ids, positions, keyMask) : model.logits(new Tensor(ids, [B, 1]), { positions, keyMask, cache }).f32; // (B, 1, V)
    logitRow = active.map((_, b) => b);
  }
}

function stopReason(r: Row, token: number, o: Checked): FinishReason | null {
  if (o.stopTokens.has(token)) return 'stop';
  if (o.stopStrings.length && hitsStopString(r, o)) return 'stop';
  return r.tokens.length >= r.budget ? 'length' : null;
}

/** Searches only the new end of the text (plus a stop string's length, for matches straddling it). */
function hitsStopString(r: Row, o: Checked): boolean {
  const text = o.tokenizer!.decode(r.tokens);
  const from = Math.max(0, r.scanned - o.longestStop);
  r.scanned = text.length;
  return o.stopStrings.some((s) => text.indexOf(s, from) >= 0);
}

function finish(r: Row, finishReason: FinishReason, o: Checked): void {
  const s: Sample = { promptIndex: r.promptIndex, tokens: r.tokens, logprobs: r.logprobs, finishReason };
  if (o.tokenizer) s.text = o.tokenizer.decode(r.tokens, { skipSpecial: true });
  r.sample = s;
  o.onSample?.(s, r.index);
}

function checkOptions(model: Transformer, prompts: readonly (readonly number[])[], opts: SampleOptions): Checked {
  const { vocabSize: V, maxSeqLen } = model.config;
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new RangeError(`generate: opts.${field} is ${JSON.stringify(value)}; expected ${expected}`);
  };
  const int = (field: 'maxNewTokens' | 'topK' | 'n', v: number | undefined, min: number): void => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) bad(field, v, `an integer ≥ ${min}`);
  };
  if (!Array.isArray(prompts)) throw new TypeError(`generate: prompts is ${typeof prompts}; expected an array of token-id arrays`);
  prompts.forEach((p, i) => {
    checkTokens('generate', `prompts[${i}]`, p, V);
    if (p.length > maxSeqLen) throw new RangeError(`generate: prompts[${i}] has ${p.length} tokens; expected at most maxSeqLen ${maxSeqLen}`);
  });
  if (opts.maxNewTokens === undefined) bad('maxNewTokens', undefined, 'an integer ≥ 0');
  int('maxNewTokens', opts.maxNewTokens, 0);
  int('topK', opts.topK, 0);
  int('n', opts.n, 1);
  const T = opts.temperature ?? 1, topP = opts.topP ?? 1;
  if (!(T >= 0 && Number.isFinite(T))) bad('temperature', T, 'a finite number ≥ 0 (0 is greedy)');
  if (!(topP > 0 && topP <= 1)) bad('topP', topP, 'a number in (0, 1]');
  if (opts.seed !== undefined && opts.rng !== undefined) bad('seed', opts.seed, 'to be left out when opts.rng is given');
  if (opts.seed !== undefined && !Number.isInteger(opts.seed)) bad('seed', opts.seed, 'an integer');
  const stopTokens = opts.stopTokens ?? [];
  stopTokens.forEach((t, i) => { if (!(Number.isInteger(t) && t >= 0 && t < V)) bad(`stopTokens[${i}]`, t, `an integer in [0, ${V})`); });
  const stopStrings = opts.stopStrings ?? [];
  stopStrings.forEach((s, i) => { if (typeof s !== 'string' || s.length === 0) bad(`stopStrings[${i}]`, s, 'a non-empty string'); });
  if (stopStrings.length && !opts.tokenizer) bad('tokenizer', undefined, 'a tokenizer to decode with, since stopStrings are given');
  return {
    temperature: T, topK: opts.topK ?? 0, topP, maxNewTokens: opts.maxNewTokens,
    stopTokens: new Set(stopTokens), stopStrings, longestStop: Math.max(0, ...stopStrings.map((s) => s.length)),
    tokenizer: opts.tokenizer, onToken: opts.onToken, onSample: opts.onSample,
  };
}
