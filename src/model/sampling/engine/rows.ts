// One sample of a request inside the continuous batch (engine.ts): its own random stream, its
// sampling parameters, the tokens so far and the text a stream may already show. Text is cut
// before a stop string (OpenAI's `stop`: not included), and a stream holds back the end that could
// still become a stop string or is an incomplete UTF-8 character (a byte-level BPE token may
// carry half of one), so that every piece sent is a prefix of the final text.
import type { Rng } from '../../../tensor/index.js';
import type { Tokenizer } from '../../../tokenizer/index.js';
import { logSoftmaxT, pickToken, type FilterOptions } from '../filters.js';
import type { FinishReason } from '../generate.js';

export interface TopLogprob { token: number; logprob: number }

/** What one step added to one sample, for a stream. */
export interface SampleDelta {
  /** The sample's index within its request (0..n−1). */
  sample: number;
  /** The new token, absent on a finish that adds only held-back text. */
  token?: number;
  logprob?: number;
  /** The `topLogprobs` most likely tokens at this step, when asked for. */
  top?: TopLogprob[];
  /** Text that became safe to show (may be empty). */
  text: string;
  finishReason?: FinishReason;
}

export interface EngineSample {
  /** Generated tokens; a stop token that ended the sample is kept. */
  tokens: number[];
  /** log softmax(logits / T)[token] per token, before top-k/top-p (generate.ts's convention). */
  logprobs: number[];
  /** Per token, the most likely alternatives (empty lists when not asked for). */
  top: TopLogprob[][];
  /** Decoded without specials, cut before the first stop string. */
  text: string;
  finishReason: FinishReason;
}

export interface RowParams extends Required<FilterOptions> {
  stopTokens: ReadonlySet<number>;
  stopStrings: readonly string[];
  topLogprobs: number;
}

export class SampleRow {
  readonly tokens: number[] = [];
  readonly logprobs: number[] = [];
  readonly top: TopLogprob[][] = [];
  private scanned = 0;
  private emitted = 0;
  private text = '';

  constructor(readonly sample: number, readonly rng: Rng, readonly budget: number, readonly params: RowParams, private readonly tok: Tokenizer | undefined) {}

  /**
   * Draws the next token from this row's logits (V); returns the delta, finished or not. A greedy
   * row takes `greedy()`: the same pick, made for the whole step at once (GreedyRows).
   */
  pick(logits: Float32Array, greedy: () => { token: number; logprob: number }): SampleDelta {
    const p = this.params;
    const { token, logprob } = p.temperature === 0 ? greedy() : pickToken(logits, p, this.rng);
    this.tokens.push(token);
    this.logprobs.push(logprob);
    const top = p.topLogprobs > 0 ? topOf(logSoftmaxT(logits, p.temperature), p.topLogprobs) : [];
    this.top.push(top);
    const d: SampleDelta = { sample: this.sample, token, logprob, text: '', ...(p.topLogprobs > 0 ? { top } : {}) };
    const cut = this.scan();
    if (cut !== null) return this.finish(d, 'stop', cut);
    if (p.stopTokens.has(token)) return this.finish(d, 'stop', this.text.length);
    if (this.tokens.length >= this.budget) return this.finish(d, 'length', this.text.length);
    d.text = this.release(this.safeEnd());
    return d;
  }

  /** A row with no room to generate: finished before its first token. */
  empty(): SampleDelta {
    return this.finish({ sample: this.sample, text: '' }, 'length', 0);
  }

  result(finishReason: FinishReason): EngineSample {
    return { tokens: this.tokens, logprobs: this.logprobs, top: this.top, text: this.text, finishReason };
  }

  /** Decodes the text so far; the index where a stop string starts, or null. */
  private scan(): number | null {
    if (!this.tok) return null;
    this.text = this.tok.decode(this.tokens, { skipSpecial: true });
    const stops = this.params.stopStrings;
    if (!stops.length) return null;
    const longest = Math.max(...stops.map((s) => s.length));
    const from = Math.max(0, this.scanned - longest);
    this.scanned = this.text.length;
    let cut: number | null = null;
    for (const s of stops) {
      const at = this.text.indexOf(s, from);
      if (at >= 0 && (cut === null || at < cut)) cut = at;
    }
    return cut;
  }

  /** How far the text can be shown: not the tail a stop string may still grow from, nor a trailing U+FFFD. */
  private safeEnd(): number {
    const longest = Math.max(0, ...this.params.stopStrings.map((s) => s.length));
    let end = this.text.length - Math.max(0, longest - 1);
    while (end > this.emitted && this.text[end - 1] === '\uFFFD') end--;
    const code = this.text.charCodeAt(end - 1);
    if (code >= 0xd800 && code < 0xdc00) end--; // never split a surrogate pair
    return end;
  }

  private release(end: number): string {
    if (end <= this.emitted) return '';
    const out = this.text.slice(this.emitted, end);
    this.emitted = end;
    return out;
  }

  private finish(d: SampleDelta, reason: FinishReason, cut: number): SampleDelta {
    this.text = this.text.slice(0, cut);
    d.text = this.release(cut);
    d.finishReason = reason;
    return d;
  }
}

/** The k largest entries of logp, largest first (ties: lower id first). */
function topOf(logp: Float64Array, k: number): TopLogprob[] {
  const out: TopLogprob[] = [];
  for (let i = 0; i < logp.length; i++) {
    const lp = logp[i]!;
    if (out.length === k && lp <= out[k - 1]!.logprob) continue;
    let j = out.length < k ? out.length : k - 1;
    if (out.length < k) out.push({ token: i, logprob: lp });
    while (j > 0 && lp > out[j - 1]!.logprob) { out[j] = out[j - 1]!; j--; }
    out[j] = { token: i, logprob: lp };
  }
  return out;
}
