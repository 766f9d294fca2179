// What a request to the batch engine holds, and its checks: every field is validated when the
// request is submitted, so a bad one fails alone instead of failing the batch it would join.
import type { Tokenizer } from '../../../tokenizer/index.js';
import type { Transformer } from '../../transformer.js';
import { checkTokens } from '../batch.js';
import type { RowParams, SampleDelta } from './rows.js';

export interface EngineRequest {
  /** The weights to decode with (the base model, a copy carrying a LoRA adapter, ...). */
  model: Transformer;
  prompt: readonly number[];
  /** Samples of this prompt (default 1), decoded together. */
  n?: number;
  /** Most tokens per sample; prompt + generated never exceeds maxSeqLen either. */
  maxTokens: number;
  /** Temperature (0: greedy), topK (0: off), topP (1: off), stop tokens and strings, top-logprob count. */
  params: RowParams;
  /** Sample j draws from new Rng(new Rng(seed).nextU32() j-th); a random seed when absent. */
  seed?: number;
  /**
   * Sample j draws from new Rng(sampleSeeds[j]) instead (n of them; `seed` is then unused): the per-sample
   * seeds generate() splits off, which alignkit's remote generation sends so that a sample is the
   * one the in-process path draws.
   */
  sampleSeeds?: readonly number[];
  /** Called for every token and finish of every sample, in order per sample. */
  onDelta?: (d: SampleDelta) => void;
  /** Aborting drops the request's rows at the next step and rejects its promise. */
  signal?: AbortSignal;
}

export function checkRequest(req: EngineRequest, maxBatch: number, tok: Tokenizer | undefined): void {
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new RangeError(`BatchEngine: request.${field} is ${JSON.stringify(value)}; expected ${expected}`);
  };
  const { vocabSize: V, maxSeqLen } = req.model.config;
  checkTokens('BatchEngine', 'request.prompt', req.prompt, V);
  if (req.prompt.length > maxSeqLen) bad('prompt.length', req.prompt.length, `at most maxSeqLen ${maxSeqLen}`);
  const n = req.n ?? 1;
  if (!(Number.isInteger(n) && n >= 1 && n <= maxBatch)) bad('n', n, `an integer in [1, ${maxBatch}] (the engine's maxBatch)`);
  if (!(Number.isInteger(req.maxTokens) && req.maxTokens >= 0)) bad('maxTokens', req.maxTokens, 'an integer ≥ 0');
  if (req.seed !== undefined && !Number.isInteger(req.seed)) bad('seed', req.seed, 'an integer');
  if (req.sampleSeeds !== undefined) {
    if (req.sampleSeeds.length !== n || req.sampleSeeds.some((s) => !(Number.isInteger(s) && s >= 0 && s < 2 ** 32))) bad('sampleSeeds', req.sampleSeeds, `${n} integers in [0, 2^32), one per sample`);
  }
  const p = req.params;
  if (!(p.temperature >= 0 && Number.isFinite(p.temperature))) bad('params.temperature', p.temperature, 'a finite number ≥ 0');
  if (!(p.topP > 0 && p.topP <= 1)) bad('params.topP', p.topP, 'a number in (0, 1]');
  if (!(Number.isInteger(p.topK) && p.topK >= 0)) bad('params.topK', p.topK, 'an integer ≥ 0');
  if (!(Number.isInteger(p.topLogprobs) && p.topLogprobs >= 0 && p.topLogprobs <= V)) bad('params.topLogprobs', p.topLogprobs, `an integer in [0, ${V}]`);
  for (const t of p.stopTokens) if (!(Number.isInteger(t) && t >= 0 && t < V)) bad('params.stopTokens', t, `ids in [0, ${V})`);
  p.stopStrings.forEach((s, i) => { if (typeof s !== 'string' || !s) bad(`params.stopStrings[${i}]`, s, 'a non-empty string'); });
  if (p.stopStrings.length && !tok) bad('params.stopStrings', p.stopStrings, 'none: this engine has no tokenizer to decode with');
}
