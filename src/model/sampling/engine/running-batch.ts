// The decoding core that generate() (synchronous) and the serving engine (engine.ts) both run: rows
// decoding together over one RowCache, one token per row per step. Rows join after their prompts
// are prefilled together (left-padded, batch.ts) and their first tokens drawn; the new cache rows
// are joined to the running ones (RowCache.join, right-aligned, padding masked). Rows leave when
// they finish, with the padding no live row needs, so the cache holds the longest live row and
// never runs past maxSeqLen. Admitting rows while others decode is continuous batching (Yu et al.
// 2022, "Orca"); admitting only into an empty batch is static batching. Either way a row's logits
// are what it would get alone up to rounding (issue 20, point 4): the attention kernels give a
// left-padded row its own sums, but some products sum in another order at another number of rows
// (the thin kernels of a few rows; under bf16 compute, the exact products below
// BF16_COMPUTE_MIN_ROWS), which at temperature 1 can, rarely, move a draw across a boundary.
import { Tensor } from '../../../tensor/index.js';
import type { Transformer } from '../../transformer.js';
import { RowCache, gatherSteps, leftPad } from '../batch.js';
import { Decoder } from '../decode.js';
import { GreedyRows } from '../filters.js';

/**
 * Draws a row's next token from its logits (V): the token to feed back, or null when the row has
 * finished. `greedy()` is greedyPick(logits), made for all the step's rows at once (GreedyRows).
 */
export type Draw<R> = (row: R, logits: Float32Array, greedy: () => { token: number; logprob: number }) => number | null;

/** Counts a batch adds to: decoding steps, rows decoded over them (mean batch = rowSteps / steps), prefills run. */
export interface DecodeStats { steps: number; rowSteps: number; prefills: number }

/** A prompt and the rows (its samples) that start from it: one prefill serves them all. */
export interface Admission<R> { prompt: readonly number[]; rows: readonly R[] }

interface Slot<R> { row: R; fed: number; next: number }

export const noStats = (): DecodeStats => ({ steps: 0, rowSteps: 0, prefills: 0 });

/**
 * The KV cache's dtype: bfloat16 under bf16 compute with bfloat16 weights (keys and values rounded
 * as they are stored, halving what every decoding step reads: the opt-in's numerics, as the
 * rounded products are), float32 otherwise (exact).
 */
export function cacheDtype(model: Transformer): RowCache['dtype'] {
  return model.bf16Compute && [...model.params.values()].some((t) => t.dtype === 'bfloat16') ? 'bfloat16' : 'float32';
}

export class RunningBatch<R> {
  private slots: Slot<R>[] = [];
  private readonly cache: RowCache;
  private readonly decoder: Decoder | null;
  private readonly greedy = new GreedyRows();

  /** Up to `maxRows` rows decode together; `stats` is added to. */
  constructor(readonly model: Transformer, readonly maxRows: number, readonly stats: DecodeStats = noStats()) {
    if (!(Number.isInteger(maxRows) && maxRows >= 1)) throw new RangeError(`RunningBatch: maxRows is ${maxRows}; expected a positive integer`);
    this.cache = new RowCache(model.config.nLayer, cacheDtype(model));
    // Steps of one token go through the kernel-level decoder when the model allows it (decode.ts).
    this.decoder = Decoder.supports(model) ? new Decoder(model, this.cache, maxRows) : null;
  }

  /** Rows decoding now. */
  get size(): number {
    return this.slots.length;
  }

  /** The rows decoding now, in batch order. */
  get rows(): R[] {
    return this.slots.map((s) => s.row);
  }

  /**
   * Prefills the prompts in one left-padded forward, draws each row's first token from its
   * prompt's last logits, and joins the rows that go on to the batch. Each row's prompt must fit
   * maxSeqLen with room for one token more (a row with no room is finished by its caller).
   */
  admit(groups: readonly Admission<R>[], draw: Draw<R>): void {
    const used = groups.filter((g) => g.rows.length > 0);
    const adding = used.reduce((a, g) => a + g.rows.length, 0);
    if (!adding) return;
    if (this.slots.length + adding > this.maxRows) throw new RangeError(`RunningBatch.admit: ${adding} rows join ${this.slots.length}; expected at most maxRows ${this.maxRows} in all`);
    const model = this.model, V = model.config.vocabSize;
    const cache = new RowCache(model.config.nLayer, this.cache.dtype);
    const pb = leftPad(used.map((g) => g.prompt));
    const T = pb.ids.shape[1]!;
    const h = model.hidden(pb.ids, { positions: pb.positions, keyMask: pb.keyMask, cache }); // (U, T, C)
    const logits = model.lmHead(gatherSteps(h, used.map((_, u) => ({ row: u, start: T - 1, len: 1 })))).f32; // (U, 1, V)
    this.stats.prefills++;
    const rowOf: number[] = [], greedy = this.greedy.over(logits, used.length, V);
    used.forEach((g, u) => {
      const l = logits.subarray(u * V, (u + 1) * V);
      for (const row of g.rows) {
        const next = draw(row, l, () => greedy.pick(u));
        if (next === null) continue;
        rowOf.push(u);
        this.slots.push({ row, fed: g.prompt.length, next });
      }
    });
    if (!rowOf.length) return;
    // A prompt's n samples start from copies of its cache row.
    cache.select(rowOf);
    this.cache.join(cache);
    this.shrink(this.slots.map((_, b) => b));
  }

  /** Feeds every row its last token and draws the next; finished rows leave. */
  step(draw: Draw<R>): void {
    const B = this.slots.length;
    if (!B) return;
    const model = this.model, cache = this.cache, V = model.config.vocabSize;
    const L = cache.length, Tk = L + 1;
    const ids = new Int32Array(B), positions = new Int32Array(B), keyMask = new Float32Array(B * Tk);
    this.slots.forEach((s, b) => {
      ids[b] = s.next;
      positions[b] = s.fed;
      keyMask.fill(-Infinity, b * Tk, b * Tk + L - s.fed); // this row's left padding
      s.fed++;
    });
    const logits = this.decoder ? this.decoder.step(ids, positions, keyMask) : model.logits(new Tensor(ids, [B, 1]), { positions, keyMask, cache }).f32; // (B, V)
    this.stats.steps++;
    this.stats.rowSteps += B;
    const keep: number[] = [], greedy = this.greedy.over(logits, B, V);
    this.slots.forEach((s, b) => {
      const next = draw(s.row, logits.subarray(b * V, (b + 1) * V), () => greedy.pick(b));
      if (next === null) return;
      s.next = next;
      keep.push(b);
    });
    if (keep.length < B) this.shrink(keep);
  }

  /** Keeps rows `keep` and drops the cache columns that are padding for all of them. */
  private shrink(keep: readonly number[]): void {
    const L = this.cache.length;
    const drop = keep.reduce((m, b) => Math.min(m, L - this.slots[b]!.fed), L);
    if (keep.length === this.slots.length && drop === 0) return;
    this.cache.select(keep, drop);
    this.slots = keep.map((b) => this.slots[b]!);
  }
}
