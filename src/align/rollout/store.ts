// What the online trainers keep in the run store, and how a killed run resumes exactly.
// Steps run in blocks of `saveEvery`; block (a, b] is the stage `step-<b>`: its samples and
// metrics are committed with a checkpoint `step-<b>` (policy, critic, optimiser moments, trainer
// state such as the adaptive β) and then the stage completes. A resume starts after the last
// completed block from that block's checkpoint; sampling and shuffling are seeded by step, so the
// rerun draws what the lost one drew. Before step 1 the run stores the frozen reference and
// `step-0`, so that even block 1 never depends on what the caller passes in on a resume.
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../../io/checkpoint.js';
import { loadModelDir, mergedParams, narrowFrozen, saveModelDir, Transformer } from '../../model/index.js';
import { Tensor } from '../../tensor/index.js';
import type { AdamW } from '../../nn/index.js';
import type { RunStore, SampleRecord } from '../../runs/run-store.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { readOptimizerState, writeOptimizerState } from '../trainer/checkpoint.js';
import type { Rollout, RolloutScores } from './rollout.js';

export const REFERENCE_CHECKPOINT = 'reference';

/** The stage and the checkpoint of the block that ends at `step`. */
export const stepName = (step: number): string => `step-${step}`;

/** The last step of the last completed block, 0 when none completed. */
export function completedStep(store: RunStore): number {
  let last = 0;
  for (const s of store.completedStages()) {
    const m = /^step-(\d+)$/.exec(s);
    if (m) last = Math.max(last, Number(m[1]));
  }
  return last;
}

/** The last step of the block that `step` opens. */
export function blockEnd(step: number, steps: number, saveEvery: number): number {
  return saveEvery > 0 ? Math.min(steps, Math.ceil(step / saveEvery) * saveEvery) : steps;
}

/** What a trainer checkpoints beside its small JSON state. */
export interface TrainerParts {
  policy: Transformer;
  /** A separate critic (PPO with a critic initialised from the reward model). */
  critic?: Transformer | null;
  optimizers: Readonly<Record<string, AdamW>>;
}

/**
 * The frozen reference: stored when the run starts, read back on every resume. By default a copy
 * of the policy as it starts, LoRA adapters merged in (the policy's distribution, not its base's);
 * for a policy trained as LoRA, whose adapters start at zero, its own base with the adapters off.
 */
export function frozenReference(store: RunStore, policy: Transformer, reference: Transformer | undefined, tokenizer: Tokenizer): Transformer {
  // Saved widened to float32; values that were 16-bit narrow back exactly (narrowFrozen).
  if (store.hasCheckpoint(REFERENCE_CHECKPOINT)) return narrowFrozen(loadModelDir(store.checkpointPath(REFERENCE_CHECKPOINT), { tokenizer: false }).model);
  if (reference && reference.config.vocabSize !== policy.config.vocabSize) {
    throw new RangeError(`the reference has a vocabulary of ${reference.config.vocabSize} ids and the policy ${policy.config.vocabSize}; the two must share a tokenizer`);
  }
  // Under LoRA the reference is the frozen base itself with the adapters off: no copy to store.
  if (!reference && policy.loraTrained) return policy.withoutAdapters();
  const ref = frozenCopy(reference ?? policy);
  store.saveCheckpoint(REFERENCE_CHECKPOINT, (d) => saveModelDir(d, ref, { tokenizer }));
  return ref;
}

/** Weights that no update can reach: a copy (never the caller's tensors) without gradients. */
function frozenCopy(m: Transformer): Transformer {
  const params = new Map([...mergedParams(m)].map(([k, v]) => {
    const t = new Tensor(v.data.slice(), v.shape, false, v.half);
    t.name = k;
    return [k, t] as const;
  }));
  // A policy widened from a 16-bit checkpoint gives a reference that is 16-bit again, exactly.
  return narrowFrozen(new Transformer(m.config, params));
}

export function saveTrainerCheckpoint(store: RunStore, name: string, parts: TrainerParts, tokenizer: Tokenizer, state: Record<string, unknown>): void {
  store.saveCheckpoint(name, (dir) => {
    // LoRA adapters stay adapters (PEFT files), so that a resume trains them on, not a merged copy.
    saveModelDir(join(dir, 'policy'), parts.policy, { tokenizer, adapters: 'peft' });
    if (parts.critic) saveModelDir(join(dir, 'critic'), parts.critic, { adapters: 'peft' });
    for (const [key, opt] of Object.entries(parts.optimizers)) writeOptimizerState(join(dir, `optimizer-${key}.safetensors`), opt);
    writeJsonAtomic(join(dir, 'trainer_state.json'), state);
  });
}

/** Loads a checkpoint into the given models and optimisers (which must match the run's); returns the trainer state. */
export function loadTrainerCheckpoint(store: RunStore, name: string, parts: TrainerParts): Record<string, unknown> {
  const dir = store.checkpointPath(name);
  copyWeights(parts.policy, loadModelDir(join(dir, 'policy'), { tokenizer: false }).model, join(dir, 'policy'));
  if (parts.critic) copyWeights(parts.critic, loadModelDir(join(dir, 'critic'), { tokenizer: false }).model, join(dir, 'critic'));
  for (const [key, opt] of Object.entries(parts.optimizers)) {
    opt.loadState(readOptimizerState(join(dir, `optimizer-${key}.safetensors`), 0));
  }
  return readJson(join(dir, 'trainer_state.json'), 'trainer state') as Record<string, unknown>;
}

function copyWeights(into: Transformer, from: Transformer, dir: string): void {
  const saved = new Map(from.namedParameters()); // LoRA adapters included, by their names
  const own = into.namedParameters();
  for (const [name, p] of own) {
    const q = saved.get(name);
    if (!q || q.size !== p.size) throw new Error(`${dir}: checkpoint has no parameter "${name}" of ${p.size} values; it belongs to a different model`);
    p.f32.set(q.f32);
  }
  const names = new Set(own.map(([n]) => n));
  for (const name of saved.keys()) {
    if (!names.has(name)) throw new Error(`${dir}: checkpoint has a parameter "${name}" the model lacks (a value head or adapter from other settings?)`);
  }
}

export interface RecordOptions {
  step: number;
  /** The policy that sampled: the checkpoint name of the weights before this step's updates. */
  policy: string;
  temperature: number;
  topK: number;
  seed: number;
  /** More fields per sample (its KL, its advantage). */
  extra?: (i: number) => Record<string, unknown>;
}

/** Every sample of a rollout as the run keeps it: all of them train the policy, so all are kept. */
export function rolloutRecords(r: Rollout, s: RolloutScores, o: RecordOptions): SampleRecord[] {
  return r.texts.map((text, i) => ({
    promptId: r.promptIds[i]!, prompt: r.promptTexts[i]!, sample: text, reward: s.scores[i]!,
    ...(s.notes[i] !== null ? { verifier: s.notes[i] } : {}),
    policy: o.policy,
    sampling: { temperature: o.temperature, ...(o.topK > 0 ? { topK: o.topK } : {}), seed: o.seed },
    kept: true, step: o.step, rawReward: s.rewards[i]!, finishReason: r.finishReasons[i]!, tokens: r.completions[i]!.length,
    ...(o.extra ? o.extra(i) : {}),
  }));
}
