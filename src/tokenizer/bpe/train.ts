// Byte-level BPE training: count pre-tokens once, then repeatedly merge the most frequent adjacent
// pair over those word counts. Pair counts are updated only for the words that contain the merged
// pair (an index from pair to words), and the most frequent pair comes off a lazy max-heap, so a
// merge costs about the size of what it touches rather than of the whole corpus.
import { BYTE_TO_CHAR, preTokenize, utf8Encoder } from './byte-level.js';
import { BpeTokenizer, PAIR_BASE, type Merge } from './bpe.js';
import { Heap } from './heap.js';
import { SpecialTokens, type SpecialTokenOptions } from '../specials.js';

export interface BpeTrainOptions extends SpecialTokenOptions {
  /** Total ids wanted: 256 bytes + merges + specials. */
  vocabSize: number;
  /**
   * A pair seen fewer times than this is not merged, and training stops early (vocabSize is then
   * not reached). 2, because a pair seen once compresses nothing beyond its single word.
   */
  minPairCount?: number;
}

export function trainBpe(corpus: string, opts: BpeTrainOptions): BpeTokenizer {
  const nSpecials = new SpecialTokens(0, opts, 'trainBpe').size;
  const target = opts.vocabSize - 256 - nSpecials;
  if (!Number.isInteger(opts.vocabSize) || target < 0) {
    throw new RangeError(`trainBpe: vocabSize is ${opts.vocabSize}; expected an integer >= ${256 + nSpecials} (256 bytes + ${nSpecials} specials)`);
  }
  const minPairCount = opts.minPairCount ?? 2;
  if (!Number.isInteger(minPairCount) || minPairCount < 1) {
    throw new RangeError(`trainBpe: minPairCount is ${minPairCount}; expected an integer >= 1`);
  }
  const merges = learnMerges(corpus, target, minPairCount, new SpecialTokens(0, opts, 'trainBpe'));
  return new BpeTokenizer(merges, opts);
}

/** Pre-tokens of the corpus as byte ids with their counts; specials never take part in a merge. */
function countWords(corpus: string, specials: SpecialTokens): { words: number[][]; counts: number[] } {
  // Text is split on specials exactly as encode() splits it.
  const wordCounts = new Map<string, number>();
  for (const seg of specials.split(corpus)) {
    if (typeof seg !== 'string') continue;
    for (const piece of preTokenize(seg)) wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);
  }
  const words: number[][] = [], counts: number[] = [];
  for (const [piece, c] of wordCounts) {
    words.push(Array.from(utf8Encoder.encode(piece)));
    counts.push(c);
  }
  return { words, counts };
}

/** Pair counts over the words, the words each pair occurs in, and a heap of the most frequent. */
class PairIndex {
  readonly pairCounts = new Map<number, number>();
  // Word lists may hold a word twice or hold words that lost the pair; both are skipped later.
  readonly where = new Map<number, number[]>();
  // Most frequent first; ties go to the smaller (left, right) id pair, so the result never depends
  // on Map iteration order or on the corpus's word order.
  private readonly heap = new Heap<[number, number]>((x, y) => x[0] > y[0] || (x[0] === y[0] && x[1] < y[1]));
  private readonly seenAt: Int32Array;

  constructor(readonly words: number[][], readonly counts: readonly number[]) {
    words.forEach((word, w) => {
      for (let i = 0; i + 1 < word.length; i++) {
        const key = word[i] * PAIR_BASE + word[i + 1];
        this.pairCounts.set(key, (this.pairCounts.get(key) ?? 0) + counts[w]);
        this.addWhere(key, w);
      }
    });
    for (const [key, c] of this.pairCounts) this.heap.push([c, key]);
    this.seenAt = new Int32Array(words.length).fill(-1);
  }

  private addWhere(key: number, w: number): void {
    const list = this.where.get(key);
    if (list) list.push(w);
    else this.where.set(key, [w]);
  }

  /** The most frequent pair as [count, key], or undefined when none is left. */
  popBest(): [number, number] | undefined {
    // Heap entries whose count has since changed are stale; the fresh entry is further down.
    let top = this.heap.pop();
    while (top && this.pairCounts.get(top[1]) !== top[0]) top = this.heap.pop();
    return top;
  }

  /** Replaces pair (a, b) by `id` in every word that holds it, updating counts, lists and the heap. */
  merge(key: number, a: number, b: number, id: number, step: number): void {
    const changed = new Set<number>();
    for (const w of this.where.get(key) ?? []) {
      if (this.seenAt[w] === step) continue;
      this.seenAt[w] = step;
      const word = this.words[w];
      if (!hasPair(word, a, b)) continue;
      const c = this.counts[w];
      for (let i = 0; i + 1 < word.length; i++) {
        const k = word[i] * PAIR_BASE + word[i + 1];
        this.pairCounts.set(k, this.pairCounts.get(k)! - c);
        changed.add(k);
      }
      const out = mergePair(word, a, b, id);
      for (let i = 0; i + 1 < out.length; i++) {
        const k = out[i] * PAIR_BASE + out[i + 1];
        this.pairCounts.set(k, (this.pairCounts.get(k) ?? 0) + c);
        changed.add(k);
        // Only pairs touching the new token are new to this word; the others are indexed already.
        if (out[i] === id || out[i + 1] === id) this.addWhere(k, w);
      }
      this.words[w] = out;
    }
    this.where.delete(key);
    for (const k of changed) {
      const c = this.pairCounts.get(k)!;
      if (c > 0) this.heap.push([c, k]);
      else {
        this.pairCounts.delete(k);
        this.where.delete(k);
      }
    }
  }
}

/** Returns merges as id pairs; ids follow the same rule BpeTokenizer replays. */
export function learnMerges(corpus: string, newTokens: number, minPairCount: number, specials: SpecialTokens): Merge[] {
  const { words, counts } = countWords(corpus, specials);
  const index = new PairIndex(words, counts);
  const tokens = [...BYTE_TO_CHAR];
  const idOf = new Map<string, number>(tokens.map((t, id) => [t, id]));
  const merged = new Map<number, number>();
  const merges: Merge[] = [];
  let made = 0;
  for (let step = 0; made < newTokens; step++) {
    const top = index.popBest();
    if (!top || top[0] < minPairCount) break;
    const key = top[1];
    const a = Math.floor(key / PAIR_BASE);
    const b = key - a * PAIR_BASE;
    // A pair merged before can reappear only when a later merge re-spelled an existing token; it
    // is applied again with its old id but not listed twice (encode would merge it anyway).
    let id = merged.get(key);
    if (id === undefined) {
      const spelled = tokens[a] + tokens[b];
      id = idOf.get(spelled);
      if (id === undefined) {
        id = tokens.length;
        tokens.push(spelled);
        idOf.set(spelled, id);
        made++;
      }
      merged.set(key, id);
      merges.push([a, b]);
    }
    index.merge(key, a, b, id, step);
  }
  return merges;
}

function hasPair(word: readonly number[], a: number, b: number): boolean {
  for (let i = 0; i + 1 < word.length; i++) if (word[i] === a && word[i + 1] === b) return true;
  return false;
}

/** Non-overlapping, left to right: "a a a" with (a, a) becomes "aa a", as in GPT-2's bpe(). */
function mergePair(word: readonly number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; ) {
    if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
      out.push(id);
      i += 2;
    } else out.push(word[i++]);
  }
  return out;
}
