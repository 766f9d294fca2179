// The reference model's log-probabilities of every chosen and rejected completion, computed once
// before training (no graph) and kept: the reference is frozen, so recomputing them each step
// would only double the cost (TRL's precompute_ref_log_probs). In a run store they are stage
// `reference` with checkpoint `reference-logps/logps.json`, so a resume never needs the reference
// model again; a fingerprint of the tokenised pairs catches a resume on different data.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { noGrad } from '../../autograd/index.js';
import { readJson, writeJsonAtomic } from '../../io/checkpoint.js';
import type { Transformer } from '../../model/index.js';
import { stageOf, type RunStore } from '../../runs/run-store.js';
import { sequenceLogprob, tokenLogprobs, type PromptCompletion } from '../trainer/logprobs.js';
import type { TokenPair } from '../trainer/preference-data.js';

/** Σ log ref(y|x) over each completion's tokens (EOS included), one per pair. */
export interface ReferenceLogps { chosen: number[]; rejected: number[] }

export const REFERENCE_STAGE = 'reference';
export const REFERENCE_CHECKPOINT = 'reference-logps';
const REFERENCE_FILE = 'logps.json';

/**
 * The default reference, the policy as training starts: under LoRA its base with the adapters off
 * (the adapters start at zero, so the numbers are the same, without the adapters' work or a copy).
 */
export const frozenBase = (policy: Transformer): Transformer => (policy.loraTrained ? policy.withoutAdapters() : policy);

/** Log-probabilities of the pairs' chosen and rejected completions, `batchSize` sequences per forward. */
export function computeLogps(model: Transformer, pairs: readonly TokenPair[], batchSize: number, padId: number): ReferenceLogps {
  const rows: PromptCompletion[] = [
    ...pairs.map((p) => ({ prompt: p.prompt, completion: p.chosen })),
    ...pairs.map((p) => ({ prompt: p.prompt, completion: p.rejected })),
  ];
  const all: number[] = [];
  noGrad(() => {
    for (let i = 0; i < rows.length; i += batchSize) {
      all.push(...sequenceLogprob(tokenLogprobs(model, rows.slice(i, i + batchSize), 1, padId)).toArray());
    }
  });
  return { chosen: all.slice(0, pairs.length), rejected: all.slice(pairs.length) };
}

/** A hash of the token ids of the pairs, to tell stored log-probabilities of other data apart. */
export function pairsFingerprint(pairs: readonly TokenPair[]): string {
  const h = createHash('sha256');
  for (const p of pairs) h.update(`${p.prompt.join(',')}|${p.chosen.join(',')}|${p.rejected.join(',')}\n`);
  return h.digest('hex').slice(0, 16);
}

interface StoredLogps { fingerprint: { train: string; eval: string }; train: ReferenceLogps; eval: ReferenceLogps }

/**
 * Reference log-probabilities of the train and eval pairs: computed with `reference()` (called
 * only then) in the run store's `reference` stage, or read back when a resumed run has it.
 */
export async function referenceLogps(
  reference: () => Transformer, train: readonly TokenPair[], evalPairs: readonly TokenPair[], batchSize: number, padId: number, store?: RunStore,
): Promise<{ train: ReferenceLogps; eval: ReferenceLogps }> {
  const fingerprint = { train: pairsFingerprint(train), eval: pairsFingerprint(evalPairs) };
  let computed: { train: ReferenceLogps; eval: ReferenceLogps } | null = null;
  await stageOf(store, REFERENCE_STAGE, () => {
    const model = reference();
    const out = { train: computeLogps(model, train, batchSize, padId), eval: computeLogps(model, evalPairs, batchSize, padId) };
    computed = out;
    store?.saveCheckpoint(REFERENCE_CHECKPOINT, (d) => writeJsonAtomic(join(d, REFERENCE_FILE), { fingerprint, ...out } satisfies StoredLogps));
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(a.length, 1);
    return { pairs: train.length, evalPairs: evalPairs.length, meanChosen: mean(out.train.chosen), meanRejected: mean(out.train.rejected) };
  });
  if (computed) return computed;
  const file = join(store!.checkpointPath(REFERENCE_CHECKPOINT), REFERENCE_FILE);
  const s = readJson(file, 'reference log-probabilities') as StoredLogps;
  for (const k of ['train', 'eval'] as const) {
    if (s.fingerprint?.[k] !== fingerprint[k]) {
      throw new Error(`${file}: reference log-probabilities were computed for other ${k} pairs (fingerprint ${s.fingerprint?.[k]}, these pairs give ${fingerprint[k]}); resume with the same data, tokenizer and maxLen, or start a new run`);
    }
  }
  return { train: s.train, eval: s.eval };
}
