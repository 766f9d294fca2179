// Turning records into what a language model trains on: token ids and labels, with the label
// −100 (ignored by cross-entropy) wherever no loss is wanted — prompt tokens in SFT (TRL's
// completion-only loss) and padding. Raw text is packed into one stream cut into windows.
import type { Tokenizer } from '../tokenizer/index.js';
import type { Message, Turns } from './datasets/format-schemas.js';
import { seededShuffle } from './prng.js';

export const IGNORE = -100;

export interface TokenExample {
  ids: number[];
  /** Same length as ids: the target for the next-token loss at each position, or IGNORE. */
  labels: number[];
}

/** Renders turns as plain text: a string as is, messages as "role: content" lines. */
export function renderTurns(t: Turns): string {
  if (typeof t === 'string') return t;
  return t.map((m: Message) => `${m.role}: ${m.content}\n`).join('');
}

/** One stream of ids for pretraining: documents joined with EOS so the model learns to end. */
export function packDocuments(docs: readonly string[], tok: Tokenizer): number[] {
  const out: number[] = [];
  for (const d of docs) {
    // Not out.push(...ids): a spread passes every id as an argument, and a document of a few
    // hundred thousand tokens overflows the call stack (issue 16).
    for (const id of tok.encode(d, { parseSpecial: false })) out.push(id);
    if (tok.eos !== null) out.push(tok.eos);
  }
  return out;
}

/**
 * What to do with a prompt + completion longer than the window: keep its start (the completion
 * is cut first, then the prompt: TRL's `keep_start`), keep its end (the prompt loses its start,
 * so the completion fits when it can), or drop the example.
 */
export const TRUNCATIONS = ['keep-start', 'keep-end', 'drop'] as const;
export type Truncation = (typeof TRUNCATIONS)[number];

export interface PairExample {
  /** Null when `drop` removed it. */
  example: TokenExample | null;
  /** Whether the pair was longer than the window. */
  cut: boolean;
  /** Whether no completion token kept a label (nothing left to learn from). */
  noCompletion: boolean;
}

/** Prompt ids `p` and completion ids `c` (EOS included) in a window of maxLen inputs; loss on the completion only. */
export function truncatePair(p: readonly number[], c: readonly number[], maxLen: number, mode: Truncation = 'keep-start'): PairExample {
  const total = p.length + c.length;
  const cut = total > maxLen + 1;
  if (cut && mode === 'drop') return { example: null, cut, noCompletion: true };
  // keep-end keeps one prompt token at least: the first completion token is predicted from it.
  const start = cut && mode === 'keep-end' ? Math.min(total - (maxLen + 1), Math.max(0, p.length - 1)) : 0;
  const ids = p.concat(c).slice(start, start + maxLen + 1);
  // Position t predicts ids[t+1] (targets shifted by one against the inputs); a label where that
  // target lies in the completion.
  const labels = ids.slice(1).map((id, t) => (start + t + 1 >= p.length ? id : IGNORE));
  return { example: { ids: ids.slice(0, -1), labels }, cut, noCompletion: !labels.some((l) => l !== IGNORE) };
}

/** The ids of a prompt and of its completion followed by EOS. */
export function pairIds(prompt: string, completion: string, tok: Tokenizer): { p: number[]; c: number[] } {
  const p = tok.encode(prompt, { parseSpecial: false });
  const c = tok.encode(completion, { parseSpecial: false });
  if (tok.eos !== null) c.push(tok.eos);
  return { p, c };
}

/**
 * Prompt + completion + EOS; loss only on the completion and the EOS. Truncated to maxLen
 * tokens, keeping the start of the prompt (the completion is lost first, then the prompt).
 */
export function completionExample(prompt: string, completion: string, tok: Tokenizer, maxLen: number): TokenExample {
  const { p, c } = pairIds(prompt, completion, tok);
  return truncatePair(p, c, maxLen).example!;
}

/** Windows of T inputs (and T shifted targets) over a token stream, stride T. */
export function streamWindows(stream: readonly number[], T: number): TokenExample[] {
  const out: TokenExample[] = [];
  for (let s = 0; s + T + 1 <= stream.length; s += T) {
    out.push({ ids: stream.slice(s, s + T), labels: stream.slice(s + 1, s + T + 1) });
  }
  return out;
}

export interface Batch {
  ids: Int32Array; // (B, T)
  labels: Int32Array; // (B, T)
  B: number;
  T: number;
  /** Tokens that carry a loss. */
  targets: number;
}

/** Right-pads examples to the longest in the batch; padding is ignored by the loss. */
export function collate(examples: readonly TokenExample[], padId: number): Batch {
  const B = examples.length;
  const T = Math.max(1, ...examples.map((e) => e.ids.length));
  const ids = new Int32Array(B * T).fill(padId), labels = new Int32Array(B * T).fill(IGNORE);
  let targets = 0;
  examples.forEach((e, b) => {
    ids.set(e.ids, b * T);
    labels.set(e.labels, b * T);
    targets += e.labels.filter((l) => l !== IGNORE).length;
  });
  return { ids, labels, B, T, targets };
}

/**
 * A deterministic, resumable order over examples: epoch e visits a seeded permutation; the
 * position (examples consumed so far) is all a checkpoint needs to continue exactly.
 */
export class ExampleOrder {
  private perm: number[] = [];
  private permEpoch = -1;

  constructor(readonly size: number, readonly seed: number, public position = 0) {
    if (size <= 0) throw new Error('ExampleOrder: no training examples (is the dataset or corpus shorter than one sequence?)');
  }

  next(count: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const epoch = Math.floor(this.position / this.size);
      if (epoch !== this.permEpoch) {
        this.perm = seededShuffle(Array.from({ length: this.size }, (_, k) => k), this.seed + epoch * 7919);
        this.permEpoch = epoch;
      }
      out.push(this.perm[this.position % this.size]!);
      this.position++;
    }
    return out;
  }
}
