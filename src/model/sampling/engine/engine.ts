// Continuous batching (Yu et al. 2022, "Orca"): requests that arrive while others decode join the
// running batch at the next step, and finished rows leave it, over the decoding core generate()
// runs too (running-batch.ts). The requests admitted at one step are prefilled together
// (left-padded), then their rows are joined to the running cache, so rows of any lengths decode
// together.
//
// A sample draws from its own stream, split off the request's seed exactly as generate() splits
// its seed (sample j gets new Rng(seed).nextU32() the j-th time), and its logits do not depend on
// the other rows: a request gives the tokens generate(model, [prompt], { seed, n }) gives, alone or
// inside a busy batch (engine.test.ts).
//
// Requests carry the Transformer they run on; rows of one model decode together, and a request
// for another model (a LoRA adapter, or new weights after a load) waits until the running rows of
// the current one have finished. So a weight change never touches a request in flight.
import { randomInt } from 'node:crypto';
import { noGrad } from '../../../autograd/index.js';
import { Rng } from '../../../tensor/index.js';
import type { Tokenizer } from '../../../tokenizer/index.js';
import type { Transformer } from '../../transformer.js';
import { RunningBatch, type Draw } from './running-batch.js';
import { SampleRow, type EngineSample, type SampleDelta } from './rows.js';
import { checkRequest, type EngineRequest } from './request.js';

export type { EngineSample, SampleDelta, TopLogprob } from './rows.js';
export type { EngineRequest } from './request.js';

export interface EngineOptions {
  /** Most samples decoded together (default 32). A request's n samples are admitted together. */
  maxBatch?: number;
  /** Decodes samples into text (EngineSample.text, stop strings, stream deltas). */
  tokenizer?: Tokenizer;
}

interface Job {
  req: EngineRequest;
  rows: SampleRow[];
  results: (EngineSample | null)[];
  left: number;
  resolve: (s: EngineSample[]) => void;
  reject: (e: Error) => void;
}

interface Live { job: Job; row: SampleRow }

export class BatchEngine {
  readonly maxBatch: number;
  private readonly tok: Tokenizer | undefined;
  private readonly waiting: Job[] = [];
  private batch: RunningBatch<Live> | null = null;
  private model: Transformer | null = null;
  private looping = false;
  /** Decoding steps run so far, the rows they decoded (mean batch = rowSteps / steps), prefills and requests admitted. */
  readonly stats = { steps: 0, rowSteps: 0, prefills: 0, admitted: 0 };
  /** Draws a live row's token; null when it has finished or its request was abandoned. */
  private readonly draw: Draw<Live> = ({ job, row }, logits, greedy) => (this.emit(job, row, row.pick(logits, greedy)) ? null : row.tokens[row.tokens.length - 1]!);

  constructor(opts: EngineOptions = {}) {
    this.maxBatch = opts.maxBatch ?? 32;
    if (!(Number.isInteger(this.maxBatch) && this.maxBatch >= 1)) throw new RangeError(`BatchEngine: maxBatch is ${this.maxBatch}; expected a positive integer`);
    this.tok = opts.tokenizer;
  }

  /** Rows decoding now and requests waiting to join. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** The request's n samples, in order, once all have finished. Throws at once on a bad request. */
  submit(req: EngineRequest): Promise<EngineSample[]> {
    checkRequest(req, this.maxBatch, this.tok);
    const n = req.n ?? 1;
    const source = new Rng(req.seed ?? randomInt(2 ** 31));
    const p = req.params;
    const budget = Math.min(req.maxTokens, req.model.config.maxSeqLen - req.prompt.length);
    const rows = Array.from({ length: n }, (_, j) => new SampleRow(j, new Rng(req.sampleSeeds ? req.sampleSeeds[j]! : source.nextU32()), budget, p, this.tok));
    return new Promise((resolve, reject) => {
      this.waiting.push({ req, rows, results: rows.map(() => null), left: n, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.looping) return;
    this.looping = true;
    setImmediate(() => this.tick());
  }

  /** One scheduling round: admit what fits, decode one token for every live row, yield to I/O. */
  private tick(): void {
    try {
      noGrad(() => {
        this.admit();
        this.batch?.step(this.draw);
      });
    } catch (err) {
      this.failAll(err as Error);
    }
    if (this.running || this.waiting.length) setImmediate(() => this.tick());
    else this.looping = false;
  }

  /** Takes the waiting requests that fit, oldest first, and prefills them together. */
  private admit(): void {
    const jobs: Job[] = [];
    let rows = this.running;
    while (this.waiting.length) {
      const job = this.waiting[0]!;
      if (job.req.signal?.aborted) { this.waiting.shift(); job.reject(abortError()); continue; }
      if (rows === 0 && job.req.model !== this.model) this.switchTo(job.req.model);
      if (job.req.model !== this.model || rows + job.rows.length > this.maxBatch) break;
      this.waiting.shift();
      this.stats.admitted++;
      jobs.push(job);
      rows += job.rows.length;
    }
    if (!jobs.length) return;
    try {
      this.prefill(jobs);
    } catch (err) {
      // Rows not yet in the batch would otherwise never settle; those in it fail with the batch.
      for (const j of jobs) if (j.left > 0) { j.left = 0; j.reject(err as Error); }
      throw err;
    }
  }

  private get running(): number {
    return this.batch?.size ?? 0;
  }

  private switchTo(model: Transformer): void {
    this.model = model;
    this.batch = new RunningBatch<Live>(model, this.maxBatch, this.stats);
  }

  /** Prefills the new prompts together (running-batch.ts) and joins their unfinished rows to the batch. */
  private prefill(jobs: Job[]): void {
    const groups = jobs.map((job) => ({
      prompt: job.req.prompt,
      rows: job.rows.filter((r) => {
        if (r.budget > 0) return true;
        this.done(job, r, r.empty());
        return false;
      }).map((row) => ({ job, row })),
    }));
    this.batch!.admit(groups, this.draw);
  }

  /** Passes the delta on; true when the row has finished (or its request was abandoned). */
  private emit(job: Job, row: SampleRow, d: SampleDelta): boolean {
    if (job.req.signal?.aborted) {
      if (job.left > 0) { job.left = 0; job.reject(abortError()); }
      return true;
    }
    job.req.onDelta?.(d);
    if (!d.finishReason) return false;
    this.done(job, row, d);
    return true;
  }

  private done(job: Job, row: SampleRow, d: SampleDelta): void {
    if (d.token === undefined) job.req.onDelta?.(d);
    job.results[row.sample] = row.result(d.finishReason!);
    if (--job.left === 0) job.resolve(job.results as EngineSample[]);
  }

  private failAll(err: Error): void {
    const jobs = new Set(this.batch?.rows.map((l) => l.job) ?? []);
    this.batch = null;
    this.model = null;
    for (const j of jobs) if (j.left > 0) { j.left = 0; j.reject(err); }
  }
}

function abortError(): Error {
  const e = new Error('the request was abandoned');
  e.name = 'AbortError';
  return e;
}
