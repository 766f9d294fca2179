// What both SER demonstrations (../ser.ts on AFINN-labelled text, arithmetic.ts on arithmetic)
// measure, given a base model and pairs a hidden annotator labelled: the seed reward model on a
// seeded fraction of the labels and SER's loops from it (runSer, in <out>/ser), the reward model on
// 100% of the labels, the control (the seed labels plus as many TRUE labels as SER labelled itself,
// drawn at random: what SER's pair count would have been worth with the annotator's labels), and
// then a DPO policy trained on the pairs each reward model labels, scored by the setup's own judge.
//
// Every reward model is measured on the test pairs the annotator scores differently, against its
// noiseless preference; pseudo-label precision and pool accuracy against the pool's hidden labels.
// Stages of the demo's store: full-rm (checkpoint rm-full), control-rm, policy/<method>.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelDir, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { modelStage } from '../../align/trainer/model-stage.js';
import { RunStore } from '../../runs/run-store.js';
import { trainDpo } from '../../align/dpo/dpo.js';
import type { DpoConfig } from '../../align/dpo/config.js';
import { trainRewardModel } from '../../align/reward/reward-model.js';
import { asPair, labelWithRm, rmAccuracy, rmSteps, runSer, serSplit, type SerConfigInput, type SerLoopRecord, type SerPoolPair } from '../../align/ser/ser.js';
import type { PreferencePair } from '../../align/trainer/preference-data.js';
import { seededShuffle } from '../../data/prng.js';

export interface SerDemoOptions { resume: boolean; quiet: boolean; log: (s: string) => void }

/** The SER settings both demonstrations share. */
export interface SerRunSettings {
  seedFraction: number;
  /** SER settings; the 100% RM and the control train with the same rm settings and rmEpochs rule as the seed RM and the loops. */
  ser: SerConfigInput;
  dpo: Partial<DpoConfig>;
  /** false: reward models only (no DPO, no policy evaluation). */
  policies: boolean;
}

/**
 * SER's settings in both demonstrations: the paper's 15% of labels, three loops, every reward model
 * retrained from the base for 8 passes over its pairs, so that the two setups differ in their data.
 */
export const defaultSerRunSettings: SerRunSettings = {
  seedFraction: 0.15,
  ser: { maxLoops: 3, minPairs: 16, retrain: 'seed', policyStep: 'none', rmEpochs: 8, rm: { batchSize: 16, lr: 1e-3, warmupSteps: 10, evalEvery: 0 } },
  dpo: { beta: 0.1, steps: 80, batchSize: 16, lr: 3e-4, evalPairs: 200 },
  policies: true,
};

/** Seconds-long settings for the tiny runs (CI): two loops, a few steps per model. */
export const tinySerRunSettings: SerRunSettings = {
  ...defaultSerRunSettings,
  ser: { ...defaultSerRunSettings.ser, maxLoops: 2, minPairs: 2, rmEpochs: 0, rm: { steps: 6, batchSize: 8, lr: 3e-3, warmupSteps: 0, evalEvery: 0 } },
  dpo: { ...defaultSerRunSettings.dpo, steps: 3, batchSize: 4, evalPairs: 8 },
};

/** The reward-model comparison both demonstrations report. */
export interface SerComparison {
  seed_rm_accuracy: number;
  full_rm_accuracy: number;
  loops: SerLoopRecord[];
  stop_reason: string;
  /** The control: seed labels plus as many true labels as SER took (null when SER selected nothing). */
  control_rm: { pairs: number; accuracy: number } | null;
  /** (SER − seed) / (full − seed) with the final SER RM; null when full ≤ seed. */
  gap_closed: number | null;
  /** (control − seed) / (full − seed); null without a control or when full ≤ seed. */
  control_gap_closed: number | null;
  /** Loops whose selected pseudo-labels beat the RM over the whole pool. */
  precision_above_pool: { loops: number; of: number };
}

export interface SerContext {
  settings: SerRunSettings;
  /** Seeds the label split, every reward model and DPO. */
  seed: number;
  base: Transformer;
  tokenizer: Tokenizer;
  /** Every training pair with the annotator's (noisy) label. */
  trainPairs: readonly PreferencePair[];
  labelled: PreferencePair[];
  unlabelled: SerPoolPair[];
  /** The test pairs the annotator scores differently, oriented by its noiseless preference. */
  test: PreferencePair[];
  /** DPO's held-out pairs. */
  dpoEval: readonly PreferencePair[];
  store: RunStore;
  out: string;
  opts: SerDemoOptions;
}

const SUB_RUNS = ['ser'];

/** The demo's store; a fresh run also clears SER's own run directory under it. */
export function openSerDemoStore(out: string, config: Record<string, unknown>, resume: boolean): RunStore {
  const store = RunStore.open(out, config, { resume });
  if (!store.resumed) for (const d of SUB_RUNS) rmSync(join(out, d), { recursive: true, force: true });
  return store;
}

export function serContext(c: Omit<SerContext, 'labelled' | 'unlabelled'>): SerContext {
  const { labelled, unlabelled } = serSplit(c.trainPairs, c.settings.seedFraction, c.seed);
  return { ...c, labelled, unlabelled };
}

/** The 100% RM and the control train by the seed RM's rule (same settings, steps from rmEpochs). */
async function trainRmLikeSeed(c: SerContext, train: readonly PreferencePair[]): Promise<Transformer> {
  const ser = c.settings.ser;
  const rm = c.base.clone();
  const steps = rmSteps({ rm: ser.rm ?? {}, rmEpochs: ser.rmEpochs ?? 0 }, train.length);
  await trainRewardModel({ model: rm, tokenizer: c.tokenizer, train, config: { seed: c.seed, ...ser.rm, ...steps, saveEvery: 0 }, quiet: c.opts.quiet });
  return rm;
}

/** SER's seed RM and loops, in their own run directory under the demo's. */
async function serLoops(c: SerContext, demo: string) {
  const serCfg: SerConfigInput = { ...c.settings.ser, policyStep: 'none', rm: { seed: c.seed, ...c.settings.ser.rm } };
  const serStore = RunStore.open(join(c.out, 'ser'), { demo, run: 'ser', config: serCfg } as Record<string, unknown>, { resume: true });
  try {
    return await runSer({
      model: c.base, tokenizer: c.tokenizer, labelled: c.labelled, unlabelled: c.unlabelled, test: c.test, config: serCfg, store: serStore,
      log: (l) => c.opts.log(`SER ${l}`), quiet: c.opts.quiet,
    });
  } finally {
    serStore.close();
  }
}

/** `count` pool pairs drawn at random (seeded), oriented by their hidden true labels. */
export function trueLabelSample(pool: readonly SerPoolPair[], count: number, seed: number): PreferencePair[] {
  const labelled = pool.filter((p) => p.preferred !== undefined);
  if (count > labelled.length) throw new RangeError(`trueLabelSample: ${count} pairs asked, the pool has ${labelled.length} with a true label`);
  return seededShuffle(labelled, seed).slice(0, count).map((p) => asPair(p, p.preferred!));
}

export interface RewardModels { seed: Transformer; ser: Transformer; full: Transformer }

/** (x − seed) / (full − seed), or null when the 100% one is not above the seed one. */
export const gapClosed = (seed: number, full: number, x: number): number | null => (full > seed ? (x - seed) / (full - seed) : null);

/** Seed RM, SER's loops, the 100% RM and the control, with the figures both demos report. */
export async function compareRewardModels(c: SerContext, demo: string): Promise<{ comparison: SerComparison; rms: RewardModels }> {
  const { store, opts, tokenizer: tok } = c;
  const ser = await serLoops(c, demo);
  const seedRm = loadModelDir(join(c.out, 'ser', 'checkpoints', 'rm-0'), { tokenizer: false }).model;
  const full = await modelStage(store, 'full-rm', 'rm-full', tok, async (st) => {
    opts.log(`reward model on all ${c.trainPairs.length} labels`);
    const model = await trainRmLikeSeed(c, c.trainPairs);
    const result = { pairs: c.trainPairs.length, accuracy: rmAccuracy(model, tok, c.test) };
    st.log(result);
    return { model, result };
  });
  const control = ser.pseudoLabelled.length === 0 ? null : await store.stage('control-rm', async (st) => {
    const extra = trueLabelSample(c.unlabelled, ser.pseudoLabelled.length, c.seed + 7);
    const train = [...c.labelled, ...extra];
    opts.log(`control: reward model on the ${c.labelled.length} seed labels + ${extra.length} true labels drawn at random from the pool (as many as SER labelled)`);
    const r = { pairs: train.length, accuracy: rmAccuracy(await trainRmLikeSeed(c, train), tok, c.test) };
    st.log({ ...r });
    return r;
  });
  const lastAcc = ser.loops.filter((l) => l.testAccuracy !== null).at(-1)?.testAccuracy ?? ser.seedTestAccuracy;
  opts.log(`test accuracy: seed RM ${ser.seedTestAccuracy.toFixed(3)}, SER RM ${lastAcc.toFixed(3)}, 100% RM ${full.result.accuracy.toFixed(3)}` +
    (control ? `, control (as many true labels as SER took) ${control.accuracy.toFixed(3)}` : ''));
  const withBoth = ser.loops.filter((l) => l.precision !== null && l.poolAccuracy !== null && l.status !== null);
  const seedAcc = ser.seedTestAccuracy, fullAcc = full.result.accuracy;
  return {
    comparison: {
      seed_rm_accuracy: seedAcc, full_rm_accuracy: fullAcc, loops: ser.loops, stop_reason: ser.stopReason, control_rm: control,
      gap_closed: gapClosed(seedAcc, fullAcc, lastAcc),
      control_gap_closed: control ? gapClosed(seedAcc, fullAcc, control.accuracy) : null,
      precision_above_pool: { loops: withBoth.filter((l) => l.precision! > l.poolAccuracy!).length, of: withBoth.length },
    },
    rms: { seed: seedRm, ser: ser.rm, full: full.model },
  };
}

/** A policy to train and score: the base as it is (pairs null), or DPO on the pairs `pairs` gives. */
export interface PolicySource<M extends string> { method: M; what: string; pairs: (() => PreferencePair[]) | null }

/** The labelled seed pairs plus the pool as `rm` orients it: what DPO learns from with that RM. */
export const rmLabelled = (c: SerContext, rm: Transformer): (() => PreferencePair[]) => () => [...c.labelled, ...labelWithRm(rm, c.tokenizer, c.unlabelled)];

/** Stage policy/<method> for each source: DPO from the base, then `evaluate` (k: the source's index). */
export async function dpoPolicies<M extends string, R>(c: SerContext, sources: readonly PolicySource<M>[], evaluate: (method: M, policy: Transformer, k: number) => R | Promise<R>): Promise<R[]> {
  const rows: R[] = [];
  for (const [k, src] of sources.entries()) {
    rows.push(await c.store.stage(`policy/${src.method}`, async (st) => {
      let policy = c.base;
      if (src.pairs) {
        const pairs = src.pairs();
        c.opts.log(`DPO with ${src.what} on ${pairs.length} pairs`);
        policy = c.base.clone();
        await trainDpo({ policy, tokenizer: c.tokenizer, pairs, eval: c.dpoEval, config: { seed: c.seed, ...c.settings.dpo, saveEvery: 0 }, quiet: c.opts.quiet });
      }
      const r = await evaluate(src.method, policy, k);
      st.log({ ...(r as Record<string, unknown>) });
      return r;
    }));
  }
  return rows;
}
