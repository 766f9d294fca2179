// Self-Evolved Reward Learning (SER; Huang et al. 2024): a reward model that teaches itself.
// A seed reward model trains on a small labelled set; then, each loop, it scores the unlabelled
// pool, the learning status (ser-select.ts) decides which self-labelled pairs to trust, those
// pairs leave the pool and join the training set, and the reward model retrains (from the base
// model, or continuing the previous one). When neither status finds minPairs pairs, or after
// maxLoops, the loop stops and the policy trains against the evolved RM: DPO on the pairs it
// labels.
//
// Every loop records, in the run store and through `log`: the status used, the pairs selected,
// their pseudo-label precision against the hidden true labels (when the pool carries them), the
// RM's accuracy over ALL pairs of the pool before selection (to compare with that precision), and
// the retrained RM's accuracy on the labelled test split.
//
// Stages (resume after a kill reruns at most the stage in progress):
//   ser/seed-rm            seed RM; checkpoint rm-0
//   ser/loop<k>/select     the selection (indices, sides, metrics or the stop reason) as its result
//   ser/loop<k>/rm         RM retrained on labelled + every self-labelled pair so far; checkpoint rm-<k>
//   reference, train/step-N (trainDpo's own), then ser/policy; checkpoint policy
import { loadModelDir, saveModelDir, type Transformer } from '../model/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { RunStore } from '../runs/run-store.js';
import type { DpoConfig } from './dpo-config.js';
import { trainDpo, type DpoEval } from './dpo.js';
import type { RewardModelConfig } from './reward-model-config.js';
import type { PreferencePair } from './reward-model-data.js';
import { scoreTexts, trainRewardModel } from './reward-model.js';
import {
  defaultSerSelectConfig, poolAccuracy, pseudoLabelPrecision, selectPairs, type SerPick, type SerSelectConfig, type SerStatus,
} from './ser-select.js';

/** An unlabelled pair: two responses in no particular order, with the true preference hidden from training. */
export interface SerPoolPair {
  prompt: string;
  a: string;
  b: string;
  /** The true label, used only to measure pseudo-label precision and pool accuracy. */
  preferred?: 'a' | 'b';
}

export interface SerConfig extends SerSelectConfig {
  /** Most self-labelling loops. */
  maxLoops: number;
  /** Each retrain starts from the base model ('seed') or continues the previous reward model. */
  retrain: 'seed' | 'continue';
  /** What trains the policy against the evolved RM ('none': the RM only). */
  policyStep: 'dpo' | 'none';
  /** Reward-model training, for the seed RM and every retrain. */
  rm: Partial<RewardModelConfig>;
  dpo: Partial<DpoConfig>;
  /** Sequences per scoring forward. */
  scoreBatchSize: number;
}

export const defaultSerConfig: SerConfig = {
  ...defaultSerSelectConfig, maxLoops: 3, retrain: 'seed', policyStep: 'dpo', rm: {}, dpo: {}, scoreBatchSize: 32,
};

export interface SerOptions {
  /** The base language model; not modified (the RM and the policy train copies). */
  model: Transformer;
  /** The policy DPO starts from and refers to (default: a copy of `model`). */
  policy?: Transformer;
  tokenizer: Tokenizer;
  /** The labelled seed pairs. */
  labelled: readonly PreferencePair[];
  unlabelled: readonly SerPoolPair[];
  /** Labelled held-out pairs for RM accuracy (and DPO's evaluation). */
  test: readonly PreferencePair[];
  config?: Partial<SerConfig>;
  store?: RunStore;
  /** Called after each loop is recorded (also for loops a resume found done). */
  onLoop?: (r: SerLoopRecord) => void;
  log?: (line: string) => void;
  quiet?: boolean;
}

export interface SerLoopRecord {
  loop: number;
  /** Status used (null: the loop stopped). */
  status: SerStatus | null;
  /** Pool size before the selection. */
  poolSize: number;
  selected: number;
  /** Pairs status 1 / status 2 would take (null: not tried). */
  status1Pairs: number | null;
  status2Pairs: number | null;
  /** Selected pairs whose RM label matches the hidden one (null: no hidden labels). */
  precision: number | null;
  /** The RM's accuracy over every pool pair before selection (null: no hidden labels). */
  poolAccuracy: number | null;
  /** The retrained RM's accuracy on the test split (null: the loop stopped, nothing retrained). */
  testAccuracy: number | null;
  /** Pairs the retrained RM trained on. */
  trainPairs: number | null;
  stop: string | null;
}

interface SelectResult {
  status: SerStatus | null; poolSize: number; indices: number[]; sides: number[]; status1Pairs: number | null; status2Pairs: number | null;
  precision: number | null; poolAccuracy: number | null; stop: string | null;
}

export interface SerResult {
  seedTestAccuracy: number;
  loops: SerLoopRecord[];
  stopReason: string;
  /** The evolved reward model (score head included). */
  rm: Transformer;
  /** Self-labelled pairs in the order they were selected (chosen = the RM's higher-scored response). */
  pseudoLabelled: PreferencePair[];
  /** Pool indices never selected. */
  remaining: number[];
  /** The trained policy (null with policyStep 'none'). */
  policy: Transformer | null;
  dpoEval: DpoEval | null;
  /** Pairs DPO trained on: the labelled ones plus every pool pair oriented by the evolved RM. */
  policyPairs: number;
}

export function resolveSerConfig(over: Partial<SerConfig>): SerConfig {
  const c: SerConfig = {
    ...defaultSerConfig, ...over,
    status1: { ...defaultSerConfig.status1, ...over.status1 }, status2: { ...defaultSerConfig.status2, ...over.status2 },
  };
  if (!Number.isInteger(c.maxLoops) || c.maxLoops < 0) throw new RangeError(`ser config: maxLoops = ${c.maxLoops}, expected a non-negative integer`);
  if (c.retrain !== 'seed' && c.retrain !== 'continue') throw new RangeError(`ser config: retrain = ${String(c.retrain)}, expected seed or continue`);
  if (c.criterion !== 'sigmoid-each' && c.criterion !== 'sigmoid-diff') throw new RangeError(`ser config: criterion = ${String(c.criterion)}, expected sigmoid-each or sigmoid-diff`);
  if (c.policyStep !== 'dpo' && c.policyStep !== 'none') throw new RangeError(`ser config: policyStep = ${String(c.policyStep)}, expected dpo or none (PPO is not wired into SER yet)`);
  if (!Number.isInteger(c.maxPerLoop) || c.maxPerLoop < 0) throw new RangeError(`ser config: maxPerLoop = ${c.maxPerLoop}, expected a non-negative integer`);
  return c;
}

/** mulberry32: a small seeded generator for the split. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Splits labelled pairs into a seed fraction that keeps its labels and a pool whose labels are
 * hidden: each pool pair's two responses are put in a seeded random order (so the order leaks
 * nothing) and the truth kept in `preferred`.
 */
export function serSplit(pairs: readonly PreferencePair[], seedFraction: number, seed = 0): { labelled: PreferencePair[]; unlabelled: SerPoolPair[] } {
  if (!(seedFraction > 0 && seedFraction <= 1)) throw new RangeError(`serSplit: seedFraction ${seedFraction}, expected a number in (0, 1]`);
  const r = rng(seed);
  const order = pairs.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nSeed = Math.max(1, Math.round(pairs.length * seedFraction));
  const labelled = order.slice(0, nSeed).map((i) => pairs[i]!);
  const unlabelled = order.slice(nSeed).map((i): SerPoolPair => {
    const p = pairs[i]!;
    return r() < 0.5 ? { prompt: p.prompt, a: p.chosen, b: p.rejected, preferred: 'a' } : { prompt: p.prompt, a: p.rejected, b: p.chosen, preferred: 'b' };
  });
  return { labelled, unlabelled };
}

/** Scores a and b of each pool pair. */
export function scorePool(rm: Transformer, tok: Tokenizer, pool: readonly SerPoolPair[], batchSize = 32): { sa: number[]; sb: number[] } {
  if (pool.length === 0) return { sa: [], sb: [] };
  const r = scoreTexts(rm, tok, pool.flatMap((p) => [p.prompt, p.prompt]), pool.flatMap((p) => [p.a, p.b]), { batchSize });
  return { sa: pool.map((_, i) => r[2 * i]!), sb: pool.map((_, i) => r[2 * i + 1]!) };
}

/** Share of labelled pairs the RM scores chosen strictly above rejected. */
export function rmAccuracy(rm: Transformer, tok: Tokenizer, pairs: readonly PreferencePair[], batchSize = 32): number {
  if (pairs.length === 0) return NaN;
  const r = scoreTexts(rm, tok, pairs.flatMap((p) => [p.prompt, p.prompt]), pairs.flatMap((p) => [p.chosen, p.rejected]), { batchSize });
  return pairs.filter((_, i) => r[2 * i]! > r[2 * i + 1]!).length / pairs.length;
}

const asPair = (p: SerPoolPair, side: 'a' | 'b'): PreferencePair =>
  side === 'a' ? { prompt: p.prompt, chosen: p.a, rejected: p.b } : { prompt: p.prompt, chosen: p.b, rejected: p.a };

/** Pool pairs oriented by a reward model (chosen = higher-scored); exact ties are dropped. */
export function labelWithRm(rm: Transformer, tok: Tokenizer, pool: readonly SerPoolPair[], batchSize = 32): PreferencePair[] {
  const { sa, sb } = scorePool(rm, tok, pool, batchSize);
  return pool.flatMap((p, i) => (sa[i] === sb[i] ? [] : [asPair(p, sa[i]! > sb[i]! ? 'a' : 'b')]));
}

const fmt = (x: number | null): string => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(3));

export async function runSer(o: SerOptions): Promise<SerResult> {
  const c = resolveSerConfig(o.config ?? {});
  const { tokenizer: tok, store } = o;
  const log = o.log ?? (() => {});
  if (o.labelled.length === 0) throw new RangeError('runSer: labelled holds no pairs; the seed reward model needs some');
  const truth = o.unlabelled.map((p) => p.preferred);
  const inPool = new Array<boolean>(o.unlabelled.length).fill(true);
  const pseudo: PreferencePair[] = [];
  const loops: SerLoopRecord[] = [];

  const trainRm = async (start: Transformer, train: readonly PreferencePair[]): Promise<{ rm: Transformer; acc: number }> => {
    const rm = start.clone();
    await trainRewardModel({ model: rm, tokenizer: tok, train, config: { evalEvery: 0, ...c.rm, saveEvery: 0 }, quiet: o.quiet ?? true });
    return { rm, acc: rmAccuracy(rm, tok, o.test, c.scoreBatchSize) };
  };
  const loadRm = (name: string): Transformer => loadModelDir(store!.checkpointPath(name)).model;
  const saveRm = (name: string, rm: Transformer) => store?.saveCheckpoint(name, (d) => saveModelDir(d, rm, { tokenizer: tok }));

  // ---- seed reward model
  let rm: Transformer;
  let seedAcc: number;
  if (store?.isDone('ser/seed-rm')) {
    rm = loadRm('rm-0');
    seedAcc = store.stageResult<{ testAccuracy: number | null }>('ser/seed-rm').testAccuracy ?? NaN;
  } else {
    const r = await trainRm(o.model, o.labelled);
    rm = r.rm;
    seedAcc = r.acc;
    saveRm('rm-0', rm);
    if (store) {
      store.logMetrics('ser/seed-rm', { trainPairs: o.labelled.length, testAccuracy: Number.isFinite(seedAcc) ? seedAcc : null });
      store.completeStage('ser/seed-rm', { trainPairs: o.labelled.length, testAccuracy: Number.isFinite(seedAcc) ? seedAcc : null });
    }
  }
  log(`seed RM on ${o.labelled.length} labelled pairs: test accuracy ${fmt(seedAcc)}`);

  // ---- self-labelling loops
  let status: SerStatus = 1;
  let stopReason = `maxLoops ${c.maxLoops} reached`;
  for (let k = 1; k <= c.maxLoops; k++) {
    const selStage = `ser/loop${k}/select`, rmStage = `ser/loop${k}/rm`;
    const poolIdx = inPool.flatMap((v, i) => (v ? [i] : []));
    let sel: SelectResult;
    if (store?.isDone(selStage)) {
      sel = store.stageResult<SelectResult>(selStage);
    } else {
      const pool = poolIdx.map((i) => o.unlabelled[i]!);
      const { sa, sb } = scorePool(rm, tok, pool, c.scoreBatchSize);
      const s = selectPairs(sa, sb, status, c);
      const picks: SerPick[] = s.picks.map((p) => ({ ...p, index: poolIdx[p.index]! }));
      sel = {
        status: s.status, poolSize: pool.length, indices: picks.map((p) => p.index), sides: picks.map((p) => (p.chosen === 'a' ? 1 : 0)),
        status1Pairs: s.counts.status1, status2Pairs: s.counts.status2,
        precision: pseudoLabelPrecision(picks, truth), poolAccuracy: poolAccuracy(sa, sb, poolIdx.map((i) => truth[i])), stop: s.stop,
      };
      if (store) {
        store.logMetrics(selStage, { loop: k, ...sel, indices: undefined, sides: undefined, selected: sel.indices.length });
        store.completeStage(selStage, sel);
      }
    }
    for (const i of sel.indices) {
      if (!inPool[i]) throw new Error(`runSer: loop ${k} selected pool pair ${i} twice`);
      inPool[i] = false;
    }
    sel.indices.forEach((i, j) => pseudo.push(asPair(o.unlabelled[i]!, sel.sides[j] ? 'a' : 'b')));
    const rec: SerLoopRecord = {
      loop: k, status: sel.status, poolSize: sel.poolSize, selected: sel.indices.length, status1Pairs: sel.status1Pairs, status2Pairs: sel.status2Pairs,
      precision: sel.precision, poolAccuracy: sel.poolAccuracy, testAccuracy: null, trainPairs: null, stop: sel.stop,
    };
    if (sel.status === null) {
      stopReason = sel.stop ?? 'stopped';
      loops.push(rec);
      log(`loop ${k}: stop — ${stopReason}`);
      o.onLoop?.(rec);
      break;
    }
    status = sel.status;

    const train = [...o.labelled, ...pseudo];
    if (store?.isDone(rmStage)) {
      rm = loadRm(`rm-${k}`);
      const r = store.stageResult<{ testAccuracy: number | null; trainPairs: number }>(rmStage);
      rec.testAccuracy = r.testAccuracy;
      rec.trainPairs = r.trainPairs;
    } else {
      const r = await trainRm(c.retrain === 'seed' ? o.model : rm, train);
      rm = r.rm;
      rec.testAccuracy = Number.isFinite(r.acc) ? r.acc : null;
      rec.trainPairs = train.length;
      saveRm(`rm-${k}`, rm);
      if (store) {
        store.logMetrics(rmStage, { loop: k, trainPairs: train.length, testAccuracy: rec.testAccuracy });
        store.completeStage(rmStage, { trainPairs: train.length, testAccuracy: rec.testAccuracy });
      }
    }
    loops.push(rec);
    log(`loop ${k}: status ${rec.status}, ${rec.selected} of ${rec.poolSize} pool pairs selected, precision ${fmt(rec.precision)} ` +
      `(RM over the whole pool ${fmt(rec.poolAccuracy)}); retrained on ${rec.trainPairs} pairs, test accuracy ${fmt(rec.testAccuracy)}`);
    o.onLoop?.(rec);
  }
  log(`stopped: ${stopReason}`);

  // ---- policy against the evolved RM
  let policy: Transformer | null = null, dpoEval: DpoEval | null = null, policyPairs = 0;
  if (c.policyStep === 'dpo') {
    const rmLabelled = labelWithRm(rm, tok, o.unlabelled, c.scoreBatchSize);
    const pairs = [...o.labelled, ...rmLabelled];
    policyPairs = pairs.length;
    policy = (o.policy ?? o.model).clone();
    if (store?.isDone('ser/policy')) {
      policy = loadModelDir(store.checkpointPath('policy')).model;
      dpoEval = store.stageResult<{ eval: DpoEval | null }>('ser/policy').eval;
    } else {
      const res = await trainDpo({ policy, tokenizer: tok, pairs, eval: o.test, config: c.dpo, ...(store ? { store } : {}), quiet: o.quiet ?? true });
      dpoEval = res.eval;
      store?.saveCheckpoint('policy', (d) => saveModelDir(d, policy!, { tokenizer: tok }));
      store?.completeStage('ser/policy', { pairs: pairs.length, eval: dpoEval && Number.isFinite(dpoEval.loss) ? dpoEval : null });
    }
    log(`DPO on ${pairs.length} pairs (${o.labelled.length} labelled + ${rmLabelled.length} labelled by the evolved RM)` +
      (dpoEval ? `: test preference accuracy ${fmt(dpoEval.accuracy)}` : ''));
  }
  return {
    seedTestAccuracy: seedAcc, loops, stopReason, rm, pseudoLabelled: pseudo, remaining: inPool.flatMap((v, i) => (v ? [i] : [])),
    policy, dpoEval, policyPairs,
  };
}
