// Teacher-forced log-probabilities of given completions: the reference and "old policy" numbers
// the RL trainers need, equal (up to float rounding) to what generate reported for the same tokens.
import { noGrad } from '../../autograd/index.js';
import { checkTokens, gatherSteps, leftPad } from './batch.js';
import { logSoftmaxT } from './filters.js';
import type { Transformer } from '../transformer.js';

export interface ScoreItem {
  prompt: readonly number[];
  completion: readonly number[];
}

export interface ScoreOptions {
  /** Most sequences in one forward pass; default all. */
  batchSize?: number;
}

/** log softmax(logits / T)[token] for each completion token given the prompt (T = 0 is read as 1). */
export function scoreTokens(model: Transformer, prompt: readonly number[], completion: readonly number[], temperature = 1): number[] {
  return sequenceLogprobs(model, [{ prompt, completion }], temperature)[0]!;
}

/**
 * scoreTokens for many pairs, left-padded into batches. Only prompt + completion[:-1] is fed: the
 * last completion token is predicted but never attended to, so, as in generate, a pair fits when
 * prompt + completion ≤ maxSeqLen.
 */
export function sequenceLogprobs(model: Transformer, batch: readonly ScoreItem[], temperature = 1, opts: ScoreOptions = {}): number[][] {
  const owner = 'sequenceLogprobs', { vocabSize: V, maxSeqLen } = model.config;
  if (!(temperature >= 0 && Number.isFinite(temperature))) throw new RangeError(`${owner}: temperature is ${temperature}; expected a finite number ≥ 0`);
  const batchSize = opts.batchSize ?? Math.max(1, batch.length);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${owner}: batchSize is ${batchSize}; expected a positive integer`);
  batch.forEach((it, i) => {
    checkTokens(owner, `batch[${i}].prompt`, it.prompt, V);
    checkTokens(owner, `batch[${i}].completion`, it.completion, V, true);
    const n = it.prompt.length + it.completion.length;
    if (n > maxSeqLen) throw new RangeError(`${owner}: batch[${i}] has ${n} tokens (prompt + completion); expected at most maxSeqLen ${maxSeqLen}`);
  });
  const out: number[][] = batch.map(() => []);
  const todo = batch.flatMap((it, i) => (it.completion.length ? [i] : []));
  noGrad(() => {
    for (let s = 0; s < todo.length; s += batchSize) {
      const chunk = todo.slice(s, s + batchSize);
      const pb = leftPad(chunk.map((i) => [...batch[i]!.prompt, ...batch[i]!.completion.slice(0, -1)]));
      const h = model.hidden(pb.ids, { positions: pb.positions, keyMask: pb.keyMask }); // (B, T, C)
      chunk.forEach((i, b) => {
        const { prompt, completion } = batch[i]!;
        const C = completion.length;
        // Completion token j is predicted at the position of the token before it.
        const logits = model.lmHead(gatherSteps(h, [{ row: b, start: pb.pads[b]! + prompt.length - 1, len: C }])).f32; // (C, 1, V)
        for (let j = 0; j < C; j++) out[i]!.push(logSoftmaxT(logits.subarray(j * V, (j + 1) * V), temperature)[completion[j]!]!);
      });
    }
  });
  return out;
}
