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
import { loadModelDir, type Transformer } from '../model/index.js';
import { modelStage } from '../align/trainer/model-stage.js';
import { RunStore } from '../runs/run-store.js';
import { trainDpo } from '../align/dpo/dpo.js';
import type { DpoConfig } from '../align/dpo/config.js';
import { trainRewardModel } from '../align/reward/reward-model.js';
import { asPair, labelWithRm, rmAccuracy, rmSteps, runSer, serSplit, type SerConfigInput, type SerLoopRecord, type SerPoolPair } from '../align/ser/ser.js';
import type { PreferencePair } from '../align/trainer/preference-data.js';
import { seededShuffle } from '../data/prng.js';
import { buildPreferenceSetup, decisivePairs, defaultPreferenceSetup, type PreferenceSetup, type PreferenceSetupConfig } from './preference-setup.js';
import { evaluatePolicy, type PolicyRow } from './rlhf.js';
import { bool, declareConfig, int, num, optionalChoice, optionalNum } from '../config/index.js';
import { defineRecipe, recipeOptions, recipeRunDir } from './recipe.js';

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

interface SerDemoContext {
  cfg: SerDemoConfig;
  s: PreferenceSetup;
  store: RunStore;
  opts: SerDemoOptions;
  labelled: PreferencePair[];
  unlabelled: SerPoolPair[];
  /** The test pairs the annotator scores differently, oriented by its noiseless preference. */
  test: PreferencePair[];
}

/** The 100% RM and the control train by the seed RM's rule (same settings, steps from rmEpochs). */
async function trainRmLikeSeed(c: SerDemoContext, train: readonly PreferencePair[]): Promise<Transformer> {
  const { cfg, s } = c;
  const rm = s.policy.clone();
  const steps = rmSteps({ rm: cfg.ser.rm ?? {}, rmEpochs: cfg.ser.rmEpochs ?? 0 }, train.length);
  await trainRewardModel({ model: rm, tokenizer: s.tokenizer, train, config: { seed: cfg.setup.seed, ...cfg.ser.rm, ...steps, saveEvery: 0 }, quiet: c.opts.quiet });
  return rm;
}

/** SER's seed RM and loops, in their own run directory under --out. */
async function serLoops(c: SerDemoContext, out: string) {
  const { cfg, s, opts } = c;
  const serCfg: SerConfigInput = { ...cfg.ser, policyStep: 'none', rm: { seed: cfg.setup.seed, ...cfg.ser.rm } };
  const serStore = RunStore.open(join(out, 'ser'), { demo: 'ser', run: 'ser', config: serCfg } as Record<string, unknown>, { resume: true });
  try {
    return await runSer({
      model: s.policy, tokenizer: s.tokenizer, labelled: c.labelled, unlabelled: c.unlabelled, test: c.test, config: serCfg, store: serStore,
      log: (l) => opts.log(`SER ${l}`), quiet: opts.quiet,
    });
  } finally {
    serStore.close();
  }
}

/** DPO with each reward model (and the reference as it is), scored by the hidden annotator and VADER. */
async function dpoPolicies(c: SerDemoContext, rms: [SerDemoPolicyRow['method'], Transformer | null][], evalRm: Transformer): Promise<SerDemoPolicyRow[]> {
  const { cfg, s, opts } = c;
  const tok = s.tokenizer, seed = cfg.setup.seed;
  const policies: SerDemoPolicyRow[] = [];
  for (const [k, [method, rm]] of rms.entries()) {
    policies.push(await c.store.stage(`policy/${method}`, async (st) => {
      let policy = s.policy;
      if (rm) {
        const pairs = [...c.labelled, ...labelWithRm(rm, tok, c.unlabelled)];
        opts.log(`DPO with the ${method.slice(4)} on ${pairs.length} pairs`);
        policy = s.policy.clone();
        await trainDpo({ policy, tokenizer: tok, pairs, eval: s.testPairs, config: { seed, ...cfg.dpo, saveEvery: 0 }, quiet: opts.quiet });
      }
      // The RM score column uses the best RM for every policy.
      const r: SerDemoPolicyRow = { ...evaluatePolicy('dpo', policy, s.policy, evalRm, s, cfg.evalSamplesPerPrompt, seed + 500 + k), method };
      st.log({ ...r });
      return r;
    }));
  }
  return policies;
}

export async function runSerDemo(cfg: SerDemoConfig, out: string, opts: SerDemoOptions): Promise<SerDemoResult> {
  const t0 = performance.now();
  const store = RunStore.open(out, { demo: 'ser', ...cfg } as unknown as Record<string, unknown>, { resume: opts.resume });
  if (!store.resumed) for (const d of SUB_RUNS) rmSync(join(out, d), { recursive: true, force: true });
  try {
    const s: PreferenceSetup = await buildPreferenceSetup(cfg.setup, { store, log: opts.log, quiet: opts.quiet });
    const tok = s.tokenizer, seed = cfg.setup.seed;
    const { labelled, unlabelled } = serSplit(s.trainPairs, cfg.seedFraction, seed);
    const c: SerDemoContext = { cfg, s, store, opts, labelled, unlabelled, test: decisivePairs(s) };
    opts.log(`SER: ${labelled.length} labelled (${(100 * cfg.seedFraction).toFixed(0)}%) + ${unlabelled.length} unlabelled training pairs; ${c.test.length} of ${s.testPairs.length} test pairs have different AFINN scores`);
    const ser = await serLoops(c, out);
    const seedRm = loadModelDir(join(out, 'ser', 'checkpoints', 'rm-0'), { tokenizer: false }).model;
    const full = await modelStage(store, 'full-rm', 'rm-full', tok, async (st) => {
      opts.log(`reward model on all ${s.trainPairs.length} labels`);
      const model = await trainRmLikeSeed(c, s.trainPairs);
      const result = { pairs: s.trainPairs.length, accuracy: rmAccuracy(model, tok, c.test) };
      st.log(result);
      return { model, result };
    });
    // The control: as many of the pool's true labels as SER labelled itself.
    const control = ser.pseudoLabelled.length === 0 ? null : await store.stage('control-rm', async (st) => {
      const extra = trueLabelSample(unlabelled, ser.pseudoLabelled.length, seed + 7);
      const train = [...labelled, ...extra];
      opts.log(`control: reward model on the ${labelled.length} seed labels + ${extra.length} true labels drawn at random from the pool (as many as SER labelled)`);
      const r = { pairs: train.length, accuracy: rmAccuracy(await trainRmLikeSeed(c, train), tok, c.test) };
      st.log({ ...r });
      return r;
    });
    const lastAcc = ser.loops.filter((l) => l.testAccuracy !== null).at(-1)?.testAccuracy ?? ser.seedTestAccuracy;
    opts.log(`test accuracy: seed RM ${ser.seedTestAccuracy.toFixed(3)}, SER RM ${lastAcc.toFixed(3)}, 100% RM ${full.result.accuracy.toFixed(3)}` +
      (control ? `, control (as many true labels as SER took) ${control.accuracy.toFixed(3)}` : ''));
    const policies = cfg.policies
      ? await dpoPolicies(c, [['reference', null], ['dpo-seed-rm', seedRm], ['dpo-ser-rm', ser.rm], ['dpo-full-rm', full.model]], full.model) : [];
    const gap = full.result.accuracy - ser.seedTestAccuracy;
    const withBoth = ser.loops.filter((l) => l.precision !== null && l.poolAccuracy !== null && l.status !== null);
    return {
      setup: { train_pairs: s.trainPairs.length, test_pairs: s.testPairs.length, decisive_test_pairs: c.test.length, labelled: labelled.length, unlabelled: unlabelled.length },
      seed_rm_accuracy: ser.seedTestAccuracy, full_rm_accuracy: full.result.accuracy, loops: ser.loops, stop_reason: ser.stopReason,
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

export const serRecipe = defineRecipe({
  name: 'ser',
  summary: 'SER on State of the Union text with a hidden AFINN annotator: seed RM on 15% of labels, self-labelling loops, 100% RM; DPO with each',
  options: declareConfig('demo ser', {
    ...recipeOptions('seed of the model, the prompts, the annotator, the label split and the sampling'),
    prompts: int(defaultPreferenceSetup.prompts, 'prompts of the preference setup, train and test (one labelled pair each; at most about 9,000 held-out lines exist)', { min: 8 }),
    seedFraction: num(defaultSerDemo.seedFraction, 'share of the training labels the seed RM sees', { gt: 0, lt: 1 }),
    loops: optionalNum("most SER loops (default: the demo's)", { integer: true, min: 0 }),
    retrain: optionalChoice(['seed', 'continue'] as const, "seed or continue (default: the demo's, seed)"),
    criterion: optionalChoice(['sigmoid-each', 'sigmoid-diff'] as const, 'sigmoid-each or sigmoid-diff (default: sigmoid-each)'),
    noPolicies: bool(false, 'reward models only: skip DPO and the policy evaluation'),
  }),
  examples: ['alignkit demo ser', 'alignkit demo ser --seed 1 --json', 'alignkit demo ser --out runs/s --resume'],
  async run(o, hooks) {
    const base: SerDemoConfig = o.tiny ? tinySerDemo(o.seed) : { ...defaultSerDemo, setup: { ...defaultSerDemo.setup, seed: o.seed, prompts: o.prompts } };
    const cfg: SerDemoConfig = {
      ...base, seedFraction: o.seedFraction, policies: !o.noPolicies,
      ser: { ...base.ser, ...(o.loops !== undefined ? { maxLoops: o.loops } : {}), ...(o.retrain ? { retrain: o.retrain } : {}), ...(o.criterion ? { criterion: o.criterion } : {}) },
    };
    const out = recipeRunDir(o, `runs/demo-ser-seed${o.seed}`);
    hooks.log(`SER with a hidden AFINN-111 annotator (seed ${o.seed}); run directory ${out}`);
    return { ...(await runSerDemo(cfg, out, { resume: o.resume, quiet: o.quiet, log: hooks.log })), seed: o.seed, out };
  },
  json: (r) => r,
  format: (r) => `${formatSerReport(r)}\n\n${r.seconds.toFixed(0)} s. Metrics and checkpoints: ${r.out}/`,
});
