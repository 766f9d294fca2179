// The OpenAI request fields `alignkit serve` reads, checked one by one: a bad value is a 400 that
// names the field, the value and what was expected. Fields it cannot honour (echo, suffix,
// penalties, logit_bias, best_of above n) are refused rather than silently ignored; fields it
// does not know (user, metadata, ...) are ignored, as vLLM does.
import type { RowParams } from '../model/sampling/engine/rows.js';
import { badField } from './http.js';

type Body = Record<string, unknown>;

export interface Sampling {
  n: number;
  maxTokens: number;
  seed: number | undefined;
  /** alignkit's extension: each sample's own seed (n of them), as generate() splits them off. */
  sampleSeeds?: number[];
  params: RowParams;
  stream: boolean;
  includeUsage: boolean;
}

const MAX_LOGPROBS = 20;

export function num(body: Body, key: string, def: number, min: number, max: number, expected = `a number in [${min}, ${max}]`): number {
  const v = body[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !(v >= min && v <= max)) badField(key, v, expected);
  return v;
}

export function int(body: Body, key: string, def: number, min: number, max: number): number {
  const v = num(body, key, def, min, max, `an integer in [${min}, ${max}]`);
  if (!Number.isInteger(v)) badField(key, v, `an integer in [${min}, ${max}]`);
  return v;
}

function bool(body: Body, key: string, def: boolean): boolean {
  const v = body[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') badField(key, v, 'true or false');
  return v;
}

function stops(body: Body): string[] {
  const v = body.stop;
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) badField('stop', v, 'a string or a list of strings');
  return (list as string[]).filter((s) => s.length > 0);
}

function refuseUnsupported(body: Body, n: number): void {
  for (const key of ['presence_penalty', 'frequency_penalty', 'repetition_penalty']) {
    const v = body[key];
    if (v !== undefined && v !== null && v !== 0 && !(key === 'repetition_penalty' && v === 1)) badField(key, v, 'to be left out: alignkit serve applies no penalties');
  }
  if (body.logit_bias !== undefined && body.logit_bias !== null && Object.keys(body.logit_bias as object).length) badField('logit_bias', body.logit_bias, 'to be left out: not supported');
  if (body.best_of !== undefined && body.best_of !== null && body.best_of !== n) badField('best_of', body.best_of, `to equal n (${n}) or be left out: not supported`);
  if (body.echo === true) badField('echo', true, 'false: echoing the prompt is not supported');
  if (body.suffix !== undefined && body.suffix !== null) badField('suffix', body.suffix, 'to be left out: insertion is not supported');
}

/**
 * The sampling fields shared by both routes. `topLogprobs` comes from the route (completions'
 * integer `logprobs`, chat's `top_logprobs`). top_k (−1 or 0: off) and ignore_eos are vLLM's extensions.
 */
export function sampling(body: Body, maxBatch: number, stopTokens: readonly number[], topLogprobs: number, maxTokensDefault: number, maxTokensKey = 'max_tokens'): Sampling {
  const n = int(body, 'n', 1, 1, maxBatch);
  refuseUnsupported(body, n);
  const topK = int(body, 'top_k', 0, -1, 1e9);
  const seed = body.seed === undefined || body.seed === null ? undefined : int(body, 'seed', 0, -(2 ** 53), 2 ** 53);
  const sampleSeeds = sampleSeedsOf(body, n);
  const stream = bool(body, 'stream', false);
  const so = body.stream_options;
  if (so !== undefined && so !== null && (typeof so !== 'object' || Array.isArray(so))) badField('stream_options', so, 'an object such as {"include_usage": true}');
  const includeUsage = so ? bool(so as Body, 'include_usage', false) : false;
  return {
    n, seed, ...(sampleSeeds ? { sampleSeeds } : {}), stream, includeUsage,
    maxTokens: int(body, maxTokensKey, maxTokensDefault, 0, 1e9),
    params: {
      temperature: num(body, 'temperature', 1, 0, 2), topP: num(body, 'top_p', 1, Number.MIN_VALUE, 1, 'a number in (0, 1]'), topK: Math.max(0, topK),
      // ignore_eos is vLLM's extension (benchmarks use it): only stop strings and max_tokens end a sample.
      stopTokens: new Set(bool(body, 'ignore_eos', false) ? [] : stopTokens), stopStrings: stops(body), topLogprobs,
    },
  };
}

/** Completions' `logprobs`: an integer count of alternatives per token (0 gives the chosen token's alone). */
export function completionLogprobs(body: Body): number | null {
  const v = body.logprobs;
  if (v === undefined || v === null) return null;
  return int(body, 'logprobs', 0, 0, MAX_LOGPROBS);
}

/** Chat's `logprobs: true` with `top_logprobs: k`. */
export function chatLogprobs(body: Body): number | null {
  const on = bool(body, 'logprobs', false);
  const k = int(body, 'top_logprobs', 0, 0, MAX_LOGPROBS);
  if (!on && body.top_logprobs !== undefined && body.top_logprobs !== null) badField('top_logprobs', body.top_logprobs, 'to come with "logprobs": true');
  return on ? k : null;
}

/**
 * `sample_seeds`, alignkit's extension: n integers in [0, 2^32), sample j drawing from Rng(seeds[j])
 * — the seeds alignkit's in-process sampling gives its samples, which `--generator` sends so that a
 * remote sample is the in-process one. Given, it takes the place of `seed` (which other servers read).
 */
function sampleSeedsOf(body: Body, n: number): number[] | undefined {
  const v = body.sample_seeds;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length !== n || v.some((x) => !(Number.isInteger(x) && (x as number) >= 0 && (x as number) < 2 ** 32))) {
    badField('sample_seeds', v, `an array of n = ${n} integers in [0, 2^32), one per sample`);
  }
  return v as number[];
}
