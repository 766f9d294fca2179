// Sampling text from a Transformer: many prompts decoded together with the KV cache, temperature /
// top-k / top-p, stop tokens and stop strings, and the per-token log-probabilities RL needs.
//
// Log-probability convention: Sample.logprobs[i] = log softmax(logits / T)[tokens[i]], with T the
// sampling temperature (T = 1 when greedy), taken BEFORE top-k/top-p truncation. That is the
// policy's smooth distribution, the one PPO's ratio and the KL penalty are defined on, and the one
// scoreTokens / sequenceLogprobs recompute by teacher forcing.
import { noGrad } from '../../autograd/index.js';
import { Rng, defaultRng } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { checkTokens } from './batch.js';
import { RunningBatch, type Admission, type DecodeStats, type Draw } from './engine/running-batch.js';
import { pickToken, type FilterOptions } from './filters.js';
import type { Transformer } from '../transformer.js';

export { argmax, drawFrom, logSoftmaxT, pickToken, truncate, greedyPick, type Candidates, type FilterOptions } from './filters.js';
export { scoreTokens, sequenceLogprobs, type ScoreItem, type ScoreOptions } from './score.js';
export type { DecodeStats } from './engine/running-batch.js';

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
  /**
   * 'continuous' (default): as samples finish, waiting ones are prefilled and join the running
   * batch, so it stays full until none wait. 'static': a batch of batchSize runs until its last
   * sample finishes before the next starts (the control for benchmarks and tests). Tokens do not
   * change; log-probabilities only by the rounding of sums over another amount of padding.
   */
  schedule?: 'continuous' | 'static';
  /** Added to: decoding steps, rows decoded over them, prefills (see bench/continuous-batching.ts). */
  stats?: DecodeStats;
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
  schedule: 'continuous' | 'static';
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
      rows.push({ index: rows.length, promptIndex, prompt, rng: new Rng(source.nextU32()), budget, tokens: [], logprobs: [], scanned: 0, sample: null });
    }
  });
  noGrad(() => decodeAll(model, rows, o, Math.min(batchSize, Math.max(1, rows.length)), opts.stats));
  return rows.map((r) => r.sample!);
}

/** Rows in result order, at most batchSize decoding at once; see SampleOptions.schedule. */
function decodeAll(model: Transformer, rows: Row[], o: Checked, batchSize: number, stats: DecodeStats | undefined): void {
  const draw: Draw<Row> = (r, logits, greedy) => {
    const { token, logprob } = o.temperature === 0 ? greedy() : pickToken(logits, o, r.rng);
    r.tokens.push(token);
    r.logprobs.push(logprob);
    o.onToken?.({ index: r.index, promptIndex: r.promptIndex, token, logprob });
    const reason = stopReason(r, token, o);
    if (!reason) return token;
    finish(r, reason, o);
    return null;
  };
  const batch = new RunningBatch<Row>(model, batchSize, stats);
  let next = 0;
  while (next < rows.length || batch.size) {
    const take = admissible(rows, next, batchSize, batch.size, o.schedule);
    if (take) batch.admit(byPrompt(rows.slice(next, (next += take)), o), draw);
    batch.step(draw);
  }
}

/**
 * How many rows from `next` join a batch holding `size`: static batching fills an empty batch
 * only. Continuous batching admits whole prompts (their samples share one prefill, which a prompt
 * split across admissions would repeat) once they fit and at least 1/8 of the batch is free, so
 * that prefills and cache joins, each of which copies the running cache, stay few; a prompt with
 * more samples than the batch holds is split, into an empty batch.
 */
function admissible(rows: readonly Row[], next: number, batchSize: number, size: number, schedule: Checked['schedule']): number {
  const room = batchSize - size;
  if (size === 0) return Math.min(room, rows.length - next);
  if (schedule === 'static') return 0;
  let end = next;
  while (end < rows.length) {
    let last = end;
    while (last < rows.length && rows[last]!.promptIndex === rows[end]!.promptIndex) last++;
    if (last - next > room) break;
    end = last;
  }
  return end - next >= Math.min(Math.ceil(batchSize / 8), rows.length - next) ? end - next : 0;
}

/** Rows grouped by prompt (first appearance order), each prompt prefilled once; rows with no room finish at once. */
function byPrompt(rows: readonly Row[], o: Checked): Admission<Row>[] {
  const groups = new Map<number, { prompt: readonly number[]; rows: Row[] }>();
  for (const r of rows) {
    if (r.budget <= 0) { finish(r, 'length', o); continue; }
    let g = groups.get(r.promptIndex);
    if (!g) groups.set(r.promptIndex, (g = { prompt: r.prompt, rows: [] }));
    g.rows.push(r);
  }
  return [...groups.values()];
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
  const schedule = opts.schedule ?? 'continuous';
  if (schedule !== 'continuous' && schedule !== 'static') bad('schedule', schedule, "'continuous' or 'static'");
  return {
    temperature: T, topK: opts.topK ?? 0, topP, maxNewTokens: opts.maxNewTokens,
    stopTokens: new Set(stopTokens), stopStrings, longestStop: Math.max(0, ...stopStrings.map((s) => s.length)),
    tokenizer: opts.tokenizer, onToken: opts.onToken, onSample: opts.onSample, schedule,
  };
}
