// Self-Evolved Reward Learning (SER; Huang et al. 2024): a reward model that teaches itself.
// A seed reward model trains on a small labelled set; then, each loop, it scores the unlabelled
// pool, the learning status (ser-select.ts) decides which self-labelled pairs to trust, those
// pairs leave the pool and join the training set, and the reward model retrains (from the base
// model, or continuing the previous one). When neither status finds minPairs pairs, or after
// maxLoops, the loop stops and the policy trains against the evolved RM: DPO on the pairs it
// labels, or PPO with the evolved RM (normalised on the reference policy's samples) as the reward.
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
//   with PPO: ser/rm-normalisation, then trainPpo's own run in <store>/ppo, then ser/policy
import { join } from 'node:path';
import { generate, loadModelDir, saveModelDir, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { mulberry32 } from '../../data/prng.js';
import { RunStore } from '../../runs/run-store.js';
import type { DpoConfig } from '../dpo/config.js';
import { trainDpo, type DpoEval } from '../dpo/dpo.js';
import { defaultRewardModelConfig, type RewardModelConfig } from '../reward/config.js';
import type { PreferencePair } from '../trainer/preference-data.js';
import { applyRewardNormalization, normalizeRewards, scoreTexts, trainRewardModel, type RewardNormalization } from '../reward/reward-model.js';
import { resolvePpoConfig, type PpoConfig } from '../ppo/config.js';
import { trainPpo } from '../ppo/ppo.js';
import type { PromptItem } from '../rollout/rollout.js';
import { poolAccuracy, pseudoLabelPrecision, selectPairs, type SerPick, type SerStatus } from './select.js';
import { resolveSerConfig, type SerConfig, type SerConfigInput } from './config.js';

export { defaultSerConfig, resolveSerConfig, type SerConfig, type SerConfigInput } from './config.js';

/** An unlabelled pair: two responses in no particular order, with the true preference hidden from training. */
export interface SerPoolPair {
  prompt: string;
  a: string;
  b: string;
  /** The true label, used only to measure pseudo-label precision and pool accuracy. */
  preferred?: 'a' | 'b';
}

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
  ppo: { normalisation: RewardNormalization; steps: number; first: { score: number; kl: number } | null; last: { score: number; kl: number } | null } | null;
  /** Pairs DPO trained on: the labelled ones plus every pool pair oriented by the evolved RM. */
  policyPairs: number;
}

/** With rmEpochs > 0, the RM steps for `pairs` pairs: ceil(rmEpochs · pairs / batch), at least 10. */
export function rmSteps(c: { rm: { batchSize?: number; steps?: number }; rmEpochs: number }, pairs: number): { steps?: number } {
  if (!(c.rmEpochs > 0)) return {};
  return { steps: Math.max(10, Math.ceil(c.rmEpochs * pairs / (c.rm.batchSize ?? defaultRewardModelConfig.batchSize))) };
}

/**
 * Splits labelled pairs into a seed fraction that keeps its labels and a pool whose labels are
 * hidden: each pool pair's two responses are put in a seeded random order (so the order leaks
 * nothing) and the truth kept in `preferred`.
 */
export function serSplit(pairs: readonly PreferencePair[], seedFraction: number, seed = 0): { labelled: PreferencePair[]; unlabelled: SerPoolPair[] } {
  if (!(seedFraction > 0 && seedFraction <= 1)) throw new RangeError(`serSplit: seedFraction ${seedFraction}, expected a number in (0, 1]`);
  const r = mulberry32(seed);
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

/** A pool pair as a preference pair with `side` chosen. */
export const asPair = (p: SerPoolPair, side: 'a' | 'b'): PreferencePair =>
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
  if (c.policyStep === 'ppo' && !store) throw new RangeError('runSer: policyStep ppo needs a run store (PPO writes its rollouts and checkpoints to <store>/ppo)');
  const truth = o.unlabelled.map((p) => p.preferred);
  const inPool = new Array<boolean>(o.unlabelled.length).fill(true);
  const pseudo: PreferencePair[] = [];
  const loops: SerLoopRecord[] = [];

  const trainRm = async (start: Transformer, train: readonly PreferencePair[]): Promise<{ rm: Transformer; acc: number }> => {
    const rm = start.clone();
    await trainRewardModel({ model: rm, tokenizer: tok, train, config: { ...c.rm, ...rmSteps(c, train.length), evalEvery: 0, saveEvery: 0 }, quiet: o.quiet ?? true });
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
  let ppo: SerResult['ppo'] = null;
  if (c.policyStep === 'ppo') ({ policy, ppo } = await ppoStep(o, c, rm, store!, log));
  return {
    seedTestAccuracy: seedAcc, loops, stopReason, rm, pseudoLabelled: pseudo, remaining: inPool.flatMap((v, i) => (v ? [i] : [])),
    policy, dpoEval, policyPairs, ppo,
  };
}

/**
 * The PPO policy step: the evolved RM is normalised so the reference policy's samples score mean 0,
 * std 1 (the scale the KL coefficient is set for), then PPO trains a copy of the policy against it
 * on the distinct prompts of the training pairs. PPO's own run lives in <store>/ppo and resumes.
 */
async function ppoStep(o: SerOptions, c: SerConfig, evolved: Transformer, store: RunStore, log: (l: string) => void): Promise<{ policy: Transformer; ppo: NonNullable<SerResult['ppo']> }> {
  const tok = o.tokenizer, start = o.policy ?? o.model;
  const texts = [...new Set([...o.labelled.map((p) => p.prompt), ...o.unlabelled.map((p) => p.prompt)])];
  const prompts: PromptItem[] = texts.map((text, i) => ({ id: `ser-p${i}`, text }));
  const rm = evolved.clone();
  let normalisation: RewardNormalization;
  if (store.isDone('ser/rm-normalisation')) {
    normalisation = store.stageResult<RewardNormalization>('ser/rm-normalisation');
    applyRewardNormalization(rm, normalisation);
  } else {
    const n = Math.min(c.normalisationSamples, prompts.length);
    // Sampled as PPO will sample (its resolved length and temperature).
    const pc = resolvePpoConfig(c.ppo);
    const samples = generate(start, prompts.slice(0, n).map((p) => tok.encode(p.text, { parseSpecial: false })), {
      maxNewTokens: pc.maxNewTokens, temperature: pc.temperature, seed: pc.seed + 7, tokenizer: tok, stopTokens: tok.eos === null ? [] : [tok.eos], batchSize: 64,
    });
    normalisation = normalizeRewards(rm, tok, samples.map((x) => ({ prompt: prompts[x.promptIndex]!.text, completion: x.text! })), { batchSize: c.scoreBatchSize });
    store.logMetrics('ser/rm-normalisation', { ...normalisation });
    store.completeStage('ser/rm-normalisation', normalisation);
  }
  if (store.isDone('ser/policy')) {
    const ppo = store.stageResult<{ ppo: NonNullable<SerResult['ppo']> }>('ser/policy').ppo;
    return { policy: loadModelDir(store.checkpointPath('policy')).model, ppo };
  }
  log(`PPO against the evolved RM (normalised on ${normalisation.samples} reference samples: mean ${fmt(normalisation.mean)}, std ${fmt(normalisation.std)}) on ${prompts.length} prompts`);
  const policy = start.clone();
  const sub = RunStore.open(join(store.dir, 'ppo'), { ser: 'ppo', config: c.ppo } as Record<string, unknown>, { resume: true });
  try {
    const res = await trainPpo({
      policy, reference: start, tokenizer: tok, prompts, store: sub, config: c.ppo, quiet: o.quiet ?? true,
      reward: async (ps, cs) => scoreTexts(rm, tok, ps, cs, { batchSize: c.scoreBatchSize }),
    });
    const pick = (l: { score: number; kl: number } | undefined) => (l ? { score: l.score, kl: l.kl } : null);
    const ppo = { normalisation, steps: res.step, first: pick(res.logs[0]), last: pick(res.logs.at(-1)) };
    store.saveCheckpoint('policy', (d) => saveModelDir(d, policy, { tokenizer: tok }));
    store.completeStage('ser/policy', { ppo });
    log(`PPO: ${res.step} steps` + (ppo.first && ppo.last ? `, RM score ${fmt(ppo.first.score)} → ${fmt(ppo.last.score)}, KL ${fmt(ppo.first.kl)} → ${fmt(ppo.last.kl)}` : ''));
    return { policy, ppo };
  } finally {
    sub.close();
  }
}
