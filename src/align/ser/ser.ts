// Self-Evolved Reward Learning (SER; Huang et al. 2024): a reward model that teaches itself.
// A seed reward model trains on a small labelled set; then, each loop, it scores the unlabelled
// pool, the learning status (select.ts) decides which self-labelled pairs to trust, those pairs
// leave the pool and join the training set, and the reward model retrains (from the base model,
// or continuing the previous one). When neither status finds minPairs pairs, or after maxLoops,
// the loop stops and the policy trains against the evolved RM (policy-step.ts): DPO on the pairs
// it labels, or PPO with the evolved RM (normalised on the reference policy's samples) as the reward.
//
// Every loop records, in the run store and through `log`: the status used, the pairs selected,
// their pseudo-label precision against the hidden true labels (when the pool carries them), the
// RM's accuracy over ALL pairs of the pool before selection (to compare with that precision), and
// the retrained RM's accuracy on the labelled test split.
//
// Stages (resume after a kill reruns at most the stage in progress), each through store.stage:
//   ser/seed-rm            seed RM; checkpoint rm-0
//   ser/loop<k>/select     the selection (indices, sides, metrics or the stop reason) as its result
//   ser/loop<k>/rm         RM retrained on labelled + every self-labelled pair so far; checkpoint rm-<k>
//   reference, train/step-N (trainDpo's own), then ser/policy; checkpoint policy
//   with PPO: ser/rm-normalisation, then trainPpo's own run in <store>/ppo, then ser/policy
import { loadModelDir, saveModelDir, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { stageOf, type RunStore } from '../../runs/run-store.js';
import type { DpoEval } from '../dpo/dpo.js';
import type { PreferencePair } from '../trainer/preference-data.js';
import { trainRewardModel } from '../reward/reward-model.js';
import { dpoStep, ppoStep, type SerPpoSummary } from './policy-step.js';
import { asPair, fmt, rmAccuracy, rmSteps, scorePool, type SerPoolPair } from './pool.js';
import { poolAccuracy, pseudoLabelPrecision, selectPairs, type SerPick, type SerStatus } from './select.js';
import { resolveSerConfig, type SerConfig, type SerConfigInput } from './config.js';
import type { Generator } from '../trainer/generator/generator.js';

export { defaultSerConfig, resolveSerConfig, type SerConfig, type SerConfigInput } from './config.js';
export { asPair, labelWithRm, rmAccuracy, rmSteps, scorePool, serSplit, type SerPoolPair } from './pool.js';
export type { SerPpoSummary } from './policy-step.js';

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
  config?: SerConfigInput;
  store?: RunStore;
  /** Called after each loop is recorded (also for loops a resume found done). */
  onLoop?: (r: SerLoopRecord) => void;
  log?: (line: string) => void;
  quiet?: boolean;
  /** With policyStep ppo: where its samples are drawn (see PolicyStepInput). */
  generator?: Generator;
  generatorSyncEvery?: number;
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
  /** With PPO: the RM normalisation, and the first and last logged steps (mean RM score, KL). */
  ppo: SerPpoSummary | null;
  /** Pairs DPO trained on: the labelled ones plus every pool pair oriented by the evolved RM. */
  policyPairs: number;
}

/** One SER run's fixed inputs, passed to each of its stages. */
interface SerRun {
  o: SerOptions;
  c: SerConfig;
  tok: Tokenizer;
  store: RunStore | undefined;
  log: (line: string) => void;
  /** The pool's hidden labels, for precision and pool accuracy only. */
  truth: ('a' | 'b' | undefined)[];
}

const accOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * The stage `name`: a copy of `start` trained on `train` and saved as checkpoint `checkpoint`,
 * with its test accuracy as the stage's result. A completed stage's RM is read back from that
 * checkpoint. The reward model writes no checkpoints of its own: the SER stage is the unit.
 */
async function rmStage(run: SerRun, name: string, checkpoint: string, start: Transformer, train: readonly PreferencePair[], record: Record<string, unknown> = {}): Promise<{ rm: Transformer; testAccuracy: number | null; trainPairs: number }> {
  const { c, o, tok, store } = run;
  let fresh: Transformer | undefined;
  const r = await stageOf(store, name, async (s) => {
    const rm = start.clone();
    await trainRewardModel({ model: rm, tokenizer: tok, train, config: { ...c.rm, ...rmSteps(c, train.length), evalEvery: 0, saveEvery: 0 }, quiet: o.quiet ?? true });
    store?.saveCheckpoint(checkpoint, (d) => saveModelDir(d, rm, { tokenizer: tok }));
    fresh = rm;
    const result = { trainPairs: train.length, testAccuracy: accOrNull(rmAccuracy(rm, tok, o.test, c.scoreBatchSize)) };
    s.log({ ...record, ...result });
    return result;
  });
  return { rm: fresh ?? loadModelDir(store!.checkpointPath(checkpoint)).model, ...r };
}

/** Loop k's selection from the pool pairs still unlabelled, scored by `rm` (stage ser/loop<k>/select). */
function selectStage(run: SerRun, k: number, rm: Transformer, inPool: readonly boolean[], status: SerStatus): Promise<SelectResult> {
  const poolIdx = inPool.flatMap((v, i) => (v ? [i] : []));
  return stageOf(run.store, `ser/loop${k}/select`, (s) => {
    const pool = poolIdx.map((i) => run.o.unlabelled[i]!);
    const { sa, sb } = scorePool(rm, run.tok, pool, run.c.scoreBatchSize);
    const sel = selectPairs(sa, sb, status, run.c);
    const picks: SerPick[] = sel.picks.map((p) => ({ ...p, index: poolIdx[p.index]! }));
    const r: SelectResult = {
      status: sel.status, poolSize: pool.length, indices: picks.map((p) => p.index), sides: picks.map((p) => (p.chosen === 'a' ? 1 : 0)),
      status1Pairs: sel.counts.status1, status2Pairs: sel.counts.status2,
      precision: pseudoLabelPrecision(picks, run.truth), poolAccuracy: poolAccuracy(sa, sb, poolIdx.map((i) => run.truth[i])), stop: sel.stop,
    };
    s.log({ loop: k, ...r, indices: undefined, sides: undefined, selected: r.indices.length });
    return r;
  });
}

const loopRecord = (k: number, sel: SelectResult): SerLoopRecord => ({
  loop: k, status: sel.status, poolSize: sel.poolSize, selected: sel.indices.length, status1Pairs: sel.status1Pairs, status2Pairs: sel.status2Pairs,
  precision: sel.precision, poolAccuracy: sel.poolAccuracy, testAccuracy: null, trainPairs: null, stop: sel.stop,
});

interface Evolved { rm: Transformer; loops: SerLoopRecord[]; pseudo: PreferencePair[]; inPool: boolean[]; stopReason: string }

/** The self-labelling loops from the seed RM: select, take the pairs out of the pool, retrain. */
async function selfLabel(run: SerRun, seedRm: Transformer): Promise<Evolved> {
  const { o, c, log } = run;
  const inPool = new Array<boolean>(o.unlabelled.length).fill(true);
  const pseudo: PreferencePair[] = [], loops: SerLoopRecord[] = [];
  let rm = seedRm, status: SerStatus = 1, stopReason = `maxLoops ${c.maxLoops} reached`;
  for (let k = 1; k <= c.maxLoops; k++) {
    const sel = await selectStage(run, k, rm, inPool, status);
    for (const i of sel.indices) {
      if (!inPool[i]) throw new Error(`runSer: loop ${k} selected pool pair ${i} twice`);
      inPool[i] = false;
    }
    sel.indices.forEach((i, j) => pseudo.push(asPair(o.unlabelled[i]!, sel.sides[j] ? 'a' : 'b')));
    const rec = loopRecord(k, sel);
    if (sel.status === null) {
      stopReason = sel.stop ?? 'stopped';
      loops.push(rec);
      log(`loop ${k}: stop — ${stopReason}`);
      o.onLoop?.(rec);
      break;
    }
    status = sel.status;
    const r = await rmStage(run, `ser/loop${k}/rm`, `rm-${k}`, c.retrain === 'seed' ? o.model : rm, [...o.labelled, ...pseudo], { loop: k });
    rm = r.rm;
    rec.testAccuracy = r.testAccuracy;
    rec.trainPairs = r.trainPairs;
    loops.push(rec);
    log(`loop ${k}: status ${rec.status}, ${rec.selected} of ${rec.poolSize} pool pairs selected, precision ${fmt(rec.precision)} ` +
      `(RM over the whole pool ${fmt(rec.poolAccuracy)}); retrained on ${rec.trainPairs} pairs, test accuracy ${fmt(rec.testAccuracy)}`);
    o.onLoop?.(rec);
  }
  log(`stopped: ${stopReason}`);
  return { rm, loops, pseudo, inPool, stopReason };
}

export async function runSer(o: SerOptions): Promise<SerResult> {
  const c = resolveSerConfig(o.config ?? {});
  if (o.labelled.length === 0) throw new RangeError('runSer: labelled holds no pairs; the seed reward model needs some');
  if (c.policyStep === 'ppo' && !o.store) throw new RangeError('runSer: policyStep ppo needs a run store (PPO writes its rollouts and checkpoints to <store>/ppo)');
  const run: SerRun = { o, c, tok: o.tokenizer, store: o.store, log: o.log ?? (() => {}), truth: o.unlabelled.map((p) => p.preferred) };
  const seed = await rmStage(run, 'ser/seed-rm', 'rm-0', o.model, o.labelled);
  const seedTestAccuracy = seed.testAccuracy ?? NaN;
  run.log(`seed RM on ${o.labelled.length} labelled pairs: test accuracy ${fmt(seedTestAccuracy)}`);
  const e = await selfLabel(run, seed.rm);
  let policy: Transformer | null = null, dpoEval: DpoEval | null = null, policyPairs = 0, ppo: SerPpoSummary | null = null;
  if (c.policyStep === 'dpo') ({ policy, dpoEval, policyPairs } = await dpoStep(o, c, e.rm, o.store, run.log));
  if (c.policyStep === 'ppo') ({ policy, ppo } = await ppoStep(o, c, e.rm, o.store!, run.log));
  return {
    seedTestAccuracy, loops: e.loops, stopReason: e.stopReason, rm: e.rm, pseudoLabelled: e.pseudo, remaining: e.inPool.flatMap((v, i) => (v ? [i] : [])),
    policy, dpoEval, policyPairs, ppo,
  };
}
