// The SER demonstration (Huang et al. 2024) on the RLHF demo's real-text preference setup
// (preference-setup.ts: a small model pretrained on a real corpus, pairs of its own completions
// labelled by a hidden AFINN annotator). It compares three reward models on the annotator's test
// pairs — the seed RM on 15% of the labels, the RM after each SER loop (which never sees the other
// 85% of the labels), and the RM on 100% of the labels — reports the precision of SER's
// pseudo-labels per loop against the hidden labels, and then trains a DPO policy with each of the
// three RMs (on the pairs that RM labels) and scores its fresh samples with the hidden annotator
// and the independent VADER judge.
//
// Targets to report, not assert: SER closes at least half the accuracy gap between the seed and
// the 100% RM; the selected pseudo-labels are more accurate than the RM over the whole pool.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelDir, saveModelDir, type Transformer } from '../model/index.js';
import { RunStore } from '../runs/run-store.js';
import { trainDpo } from '../align/dpo/dpo.js';
import type { DpoConfig } from '../align/dpo/config.js';
import { trainRewardModel } from '../align/reward/reward-model.js';
import { asPair, labelWithRm, rmAccuracy, rmSteps, runSer, serSplit, type SerConfigInput, type SerLoopRecord, type SerPoolPair } from '../align/ser/ser.js';
import type { PreferencePair } from '../align/trainer/preference-data.js';
import { seededShuffle } from '../data/prng.js';
import { buildPreferenceSetup, decisivePairs, defaultPreferenceSetup, type PreferenceSetup, type PreferenceSetupConfig } from './preference-setup.js';
import { evaluatePolicy, type PolicyRow } from './rlhf.js';

export interface SerDemoConfig {
  setup: PreferenceSetupConfig;
  seedFraction: number;
  /** SER settings; the 100% RM trains with the same rm settings and rmEpochs rule as the seed RM and the loops. */
  ser: SerConfigInput;
  dpo: Partial<DpoConfig>;
  /** false: reward models only (no DPO, no policy evaluation). */
  policies: boolean;
  evalSamplesPerPrompt: number;
}

export const defaultSerDemo: SerDemoConfig = {
  // The RLHF demo's setup: 2250 training pairs (338 labelled at 15%), 750 test pairs.
  setup: defaultPreferenceSetup,
  seedFraction: 0.15,
  ser: { maxLoops: 3, minPairs: 16, retrain: 'seed', policyStep: 'none', rmEpochs: 8, rm: { batchSize: 16, lr: 1e-3, warmupSteps: 10, evalEvery: 0 } },
  dpo: { beta: 0.1, steps: 80, batchSize: 16, lr: 3e-4, evalPairs: 200 },
  policies: true,
  evalSamplesPerPrompt: 2,
};

export function tinySerDemo(seed: number): SerDemoConfig {
  return {
    ...defaultSerDemo,
    setup: { ...defaultPreferenceSetup, seed, pretrainChars: 20_000, dModel: 16, layers: 1, heads: 2, seqLen: 32, pretrainSteps: 10, batchSize: 8, prompts: 60, completionTokens: 12 },
    ser: { ...defaultSerDemo.ser, maxLoops: 2, minPairs: 2, rmEpochs: 0, rm: { steps: 6, batchSize: 8, lr: 3e-3, warmupSteps: 0, evalEvery: 0 } },
    dpo: { ...defaultSerDemo.dpo, steps: 3, batchSize: 4, evalPairs: 8 },
    evalSamplesPerPrompt: 1,
  };
}

export interface SerDemoPolicyRow extends Omit<PolicyRow, 'method'> { method: 'reference' | 'dpo-seed-rm' | 'dpo-ser-rm' | 'dpo-full-rm' }

export interface SerDemoResult {
  /** decisive_test_pairs: the test pairs RM accuracy is measured on (different AFINN scores, noiseless preference). */
  setup: { train_pairs: number; test_pairs: number; decisive_test_pairs: number; labelled: number; unlabelled: number };
  seed_rm_accuracy: number;
  full_rm_accuracy: number;
  loops: SerLoopRecord[];
  stop_reason: string;
  /**
   * The control: an RM on the seed labels plus as many pool pairs with their TRUE labels as SER
   * labelled itself (drawn at random), trained by the same rule. It tells what SER's pair count
   * would have been worth with the annotator's labels. null when SER selected nothing.
   */
  control_rm: { pairs: number; accuracy: number } | null;
  /** (SER − seed) / (full − seed) with the final SER RM; null when full ≤ seed. */
  gap_closed: number | null;
  /** (control − seed) / (full − seed); null without a control or when full ≤ seed. */
  control_gap_closed: number | null;
  /** Loops whose selected pseudo-labels beat the RM over the whole pool. */
  precision_above_pool: { loops: number; of: number };
  policies: SerDemoPolicyRow[];
  seconds: number;
}

export interface SerDemoOptions { resume: boolean; quiet: boolean; log: (s: string) => void }

const SUB_RUNS = ['ser'];

export async function runSerDemo(cfg: SerDemoConfig, out: string, opts: SerDemoOptions): Promise<SerDemoResult> {
  const t0 = performance.now();
  const store = RunStore.open(out, { demo: 'ser', ...cfg } as unknown as Record<string, unknown>, { resume: opts.resume });
  if (!store.resumed) for (const d of SUB_RUNS) rmSync(join(out, d), { recursive: true, force: true });
  try {
    const s: PreferenceSetup = await buildPreferenceSetup(cfg.setup, { store, log: opts.log, quiet: opts.quiet });
    const tok = s.tokenizer, seed = cfg.setup.seed, reference = s.policy;
    const { labelled, unlabelled } = serSplit(s.trainPairs, cfg.seedFraction, seed);
    // RM accuracy is measured on the test pairs the annotator scores differently, against its noiseless preference.
    const test = decisivePairs(s);
    opts.log(`SER: ${labelled.length} labelled (${(100 * cfg.seedFraction).toFixed(0)}%) + ${unlabelled.length} unlabelled training pairs; ${test.length} of ${s.testPairs.length} test pairs have different AFINN scores`);

    // ---- SER (seed RM and loops) in its own run directory
    const serCfg: SerConfigInput = { ...cfg.ser, policyStep: 'none', rm: { seed, ...cfg.ser.rm } };
    const serStore = RunStore.open(join(out, 'ser'), { demo: 'ser', run: 'ser', config: serCfg } as Record<string, unknown>, { resume: true });
    let ser;
    try {
      ser = await runSer({ model: reference, tokenizer: tok, labelled, unlabelled, test, config: serCfg, store: serStore, log: (l) => opts.log(`SER ${l}`), quiet: opts.quiet });
    } finally {
      serStore.close();
    }
    const seedRm = loadModelDir(join(out, 'ser', 'checkpoints', 'rm-0'), { tokenizer: false }).model;

    // The 100% RM and the control train by the seed RM's rule (same settings, steps from rmEpochs).
    const trainRm = async (train: readonly PreferencePair[]): Promise<Transformer> => {
      const rm = reference.clone();
      await trainRewardModel({ model: rm, tokenizer: tok, train, config: { seed, ...cfg.ser.rm, ...rmSteps({ rm: cfg.ser.rm ?? {}, rmEpochs: cfg.ser.rmEpochs ?? 0 }, train.length), saveEvery: 0 }, quiet: opts.quiet });
      return rm;
    };

    // ---- the 100%-label reward model
    let fullRm: Transformer, fullAcc: number;
    if (store.isDone('full-rm')) {
      fullRm = loadModelDir(store.checkpointPath('rm-full'), { tokenizer: false }).model;
      fullAcc = store.stageResult<{ accuracy: number }>('full-rm').accuracy;
    } else {
      opts.log(`reward model on all ${s.trainPairs.length} labels`);
      fullRm = await trainRm(s.trainPairs);
      fullAcc = rmAccuracy(fullRm, tok, test);
      const m = fullRm;
      store.saveCheckpoint('rm-full', (d) => saveModelDir(d, m, { tokenizer: tok }));
      store.logMetrics('full-rm', { pairs: s.trainPairs.length, accuracy: fullAcc });
      store.completeStage('full-rm', { pairs: s.trainPairs.length, accuracy: fullAcc });
    }
    // ---- the control: as many of the pool's true labels as SER labelled itself
    let control: SerDemoResult['control_rm'] = null;
    if (ser.pseudoLabelled.length > 0) {
      if (store.isDone('control-rm')) {
        control = store.stageResult<NonNullable<SerDemoResult['control_rm']>>('control-rm');
      } else {
        const extra = trueLabelSample(unlabelled, ser.pseudoLabelled.length, seed + 7);
        const train = [...labelled, ...extra];
        opts.log(`control: reward model on the ${labelled.length} seed labels + ${extra.length} true labels drawn at random from the pool (as many as SER labelled)`);
        control = { pairs: train.length, accuracy: rmAccuracy(await trainRm(train), tok, test) };
        store.logMetrics('control-rm', { ...control });
        store.completeStage('control-rm', control);
      }
    }
    opts.log(`test accuracy: seed RM ${ser.seedTestAccuracy.toFixed(3)}, SER RM ${(ser.loops.filter((l) => l.testAccuracy !== null).at(-1)?.testAccuracy ?? ser.seedTestAccuracy).toFixed(3)}, 100% RM ${fullAcc.toFixed(3)}` +
      (control ? `, control (as many true labels as SER took) ${control.accuracy.toFixed(3)}` : ''));

    // ---- DPO with each reward model, scored by the hidden annotator and VADER
    const policies: SerDemoPolicyRow[] = [];
    if (cfg.policies) {
      const evalRm = fullRm; // the RM score column uses the best RM for every policy
      const row = (method: SerDemoPolicyRow['method'], p: Transformer, k: number): SerDemoPolicyRow =>
        ({ ...evaluatePolicy('dpo', p, reference, evalRm, s, cfg.evalSamplesPerPrompt, seed + 500 + k), method });
      const runs: [SerDemoPolicyRow['method'], Transformer | null][] = [['reference', null], ['dpo-seed-rm', seedRm], ['dpo-ser-rm', ser.rm], ['dpo-full-rm', fullRm]];
      for (const [k, [method, rm]] of runs.entries()) {
        const stage = `policy/${method}`;
        if (store.isDone(stage)) { policies.push(store.stageResult<SerDemoPolicyRow>(stage)); continue; }
        let policy = reference;
        if (rm) {
          const pairs = [...labelled, ...labelWithRm(rm, tok, unlabelled)];
          opts.log(`DPO with the ${method.slice(4)} on ${pairs.length} pairs`);
          policy = reference.clone();
          await trainDpo({ policy, tokenizer: tok, pairs, eval: s.testPairs, config: { seed, ...cfg.dpo, saveEvery: 0 }, quiet: opts.quiet });
        }
        const r = row(method, policy, k);
        store.logMetrics(stage, { ...r });
        store.completeStage(stage, r);
        policies.push(r);
      }
    }
    const lastAcc = ser.loops.filter((l) => l.testAccuracy !== null).at(-1)?.testAccuracy ?? ser.seedTestAccuracy;
    const gap = fullAcc - ser.seedTestAccuracy;
    const withBoth = ser.loops.filter((l) => l.precision !== null && l.poolAccuracy !== null && l.status !== null);
    return {
      setup: { train_pairs: s.trainPairs.length, test_pairs: s.testPairs.length, decisive_test_pairs: test.length, labelled: labelled.length, unlabelled: unlabelled.length },
      seed_rm_accuracy: ser.seedTestAccuracy, full_rm_accuracy: fullAcc, loops: ser.loops, stop_reason: ser.stopReason,
      control_rm: control,
      gap_closed: gap > 0 ? (lastAcc - ser.seedTestAccuracy) / gap : null,
      control_gap_closed: gap > 0 && control ? (control.accuracy - ser.seedTestAccuracy) / gap : null,
      precision_above_pool: { loops: withBoth.filter((l) => l.precision! > l.poolAccuracy!).length, of: withBoth.length },
      policies, seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    store.close();
  }
}

/** `count` pool pairs drawn at random (seeded), oriented by their hidden true labels. */
export function trueLabelSample(pool: readonly SerPoolPair[], count: number, seed: number): PreferencePair[] {
  const labelled = pool.filter((p) => p.preferred !== undefined);
  if (count > labelled.length) throw new RangeError(`trueLabelSample: ${count} pairs asked, the pool has ${labelled.length} with a true label`);
  return seededShuffle(labelled, seed).slice(0, count).map((p) => asPair(p, p.preferred!));
}

const f3 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(3));

export function formatSerReport(r: SerDemoResult): string {
  const rows: string[][] = [['reward model', 'status', 'pool', 'selected', 'precision', 'pool acc', 'test acc']];
  rows.push([`seed (${r.setup.labelled} labels)`, '', '', '', '', '', f3(r.seed_rm_accuracy)]);
  for (const l of r.loops) rows.push([`SER loop ${l.loop}`, l.status === null ? 'stop' : String(l.status), String(l.poolSize), String(l.selected), f3(l.precision), f3(l.poolAccuracy), f3(l.testAccuracy)]);
  if (r.control_rm) rows.push([`control (${r.control_rm.pairs} true labels)`, '', '', '', '', '', f3(r.control_rm.accuracy)]);
  rows.push([`100% (${r.setup.train_pairs} labels)`, '', '', '', '', '', f3(r.full_rm_accuracy)]);
  const table = (t: string[][]) => {
    const w = t[0]!.map((_, j) => Math.max(...t.map((x) => x[j]!.length)));
    return t.map((x) => x.map((c, j) => (j === 0 ? c.padEnd(w[j]!) : c.padStart(w[j]!))).join('  ')).join('\n');
  };
  const lines = [`test acc: agreement with the annotator's noiseless preference on the ${r.setup.decisive_test_pairs} of ${r.setup.test_pairs} test pairs it scores differently; precision and pool acc: against the hidden (noisy) labels of the pool`,
    table(rows), '', `stopped: ${r.stop_reason}`,
    `gap closed by SER: ${r.gap_closed === null ? '— (the 100% RM is not above the seed RM)' : `${(100 * r.gap_closed).toFixed(0)}% (target ≥ 50%)`}` +
      (r.control_gap_closed === null ? '' : `; by as many true labels (control): ${(100 * r.control_gap_closed).toFixed(0)}%`),
    `loops whose pseudo-labels beat the RM over the whole pool: ${r.precision_above_pool.loops} of ${r.precision_above_pool.of}`];
  if (r.policies.length) {
    lines.push('', table([['policy', 'RM score (100% RM)', 'hidden AFINN', 'VADER', 'KL to reference'], ...r.policies.map((p) => [p.method, f3(p.rm_score), f3(p.afinn), f3(p.vader), f3(p.kl)])]));
  }
  return lines.join('\n');
}
