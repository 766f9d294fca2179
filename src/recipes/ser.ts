// The SER demonstration (Huang et al. 2024) on the RLHF demo's real-text preference setup
// (preference-setup.ts: a small model pretrained on a real corpus, pairs of its own completions
// labelled by a hidden AFINN annotator): the case where SER's premise fails, kept beside the
// arithmetic setup (ser/arithmetic.ts). It compares the reward models of ser/compare.ts on the
// annotator's test pairs — the seed RM on 15% of the labels, the RM after each SER loop (which
// never sees the other 85% of the labels), the control and the RM on 100% of the labels — and then
// trains a DPO policy with each of the three RMs (on the pairs that RM labels) and scores its fresh
// samples with the hidden annotator and the independent VADER judge. `alignkit demo ser` is this
// file's recipe, for both setups.
//
// Targets to report, not assert: SER closes at least half the accuracy gap between the seed and
// the 100% RM; the selected pseudo-labels are more accurate than the RM over the whole pool.
import { buildPreferenceSetup, decisivePairs, defaultPreferenceSetup, type PreferenceSetup, type PreferenceSetupConfig } from './preference-setup.js';
import { evaluatePolicy, type PolicyRow } from './rlhf.js';
import { bool, choice, declareConfig, int, num, optionalChoice, optionalNum } from '../config/index.js';
import { defineRecipe, recipeOptions, recipeRunDir } from './recipe.js';
import {
  compareRewardModels, defaultSerRunSettings, dpoPolicies, openSerDemoStore, rmLabelled, serContext, tinySerRunSettings,
  type SerComparison, type SerDemoOptions, type SerRunSettings,
} from './ser/compare.js';
import { f3, formatSerComparison, textTable } from './ser/report.js';
import { defaultSerArithmeticDemo, formatSerArithmeticReport, runSerArithmeticDemo, tinySerArithmeticDemo, type SerArithmeticDemoConfig, type SerArithmeticDemoResult } from './ser/arithmetic.js';
import { defaultArithmeticPreferenceSetup } from './arithmetic-preference-setup.js';

export { trueLabelSample, type SerDemoOptions } from './ser/compare.js';

export interface SerDemoConfig extends SerRunSettings {
  setup: PreferenceSetupConfig;
  evalSamplesPerPrompt: number;
}

export const defaultSerDemo: SerDemoConfig = {
  ...defaultSerRunSettings,
  // The RLHF demo's setup: 2250 training pairs (338 labelled at 15%), 750 test pairs.
  setup: defaultPreferenceSetup,
  evalSamplesPerPrompt: 2,
};

export function tinySerDemo(seed: number): SerDemoConfig {
  return {
    ...tinySerRunSettings,
    setup: { ...defaultPreferenceSetup, seed, pretrainChars: 20_000, dModel: 16, layers: 1, heads: 2, seqLen: 32, pretrainSteps: 10, batchSize: 8, prompts: 60, completionTokens: 12 },
    evalSamplesPerPrompt: 1,
  };
}

export interface SerDemoPolicyRow extends Omit<PolicyRow, 'method'> { method: 'reference' | 'dpo-seed-rm' | 'dpo-ser-rm' | 'dpo-full-rm' }

export interface SerDemoResult extends SerComparison {
  /** decisive_test_pairs: the test pairs RM accuracy is measured on (different AFINN scores, noiseless preference). */
  setup: { train_pairs: number; test_pairs: number; decisive_test_pairs: number; labelled: number; unlabelled: number };
  policies: SerDemoPolicyRow[];
  seconds: number;
}

export async function runSerDemo(cfg: SerDemoConfig, out: string, opts: SerDemoOptions): Promise<SerDemoResult> {
  const t0 = performance.now();
  const store = openSerDemoStore(out, { demo: 'ser', ...cfg } as unknown as Record<string, unknown>, opts.resume);
  try {
    const s: PreferenceSetup = await buildPreferenceSetup(cfg.setup, { store, log: opts.log, quiet: opts.quiet });
    const seed = cfg.setup.seed;
    const c = serContext({ settings: cfg, seed, base: s.policy, tokenizer: s.tokenizer, trainPairs: s.trainPairs, test: decisivePairs(s), dpoEval: s.testPairs, store, out, opts });
    opts.log(`SER: ${c.labelled.length} labelled (${(100 * cfg.seedFraction).toFixed(0)}%) + ${c.unlabelled.length} unlabelled training pairs; ${c.test.length} of ${s.testPairs.length} test pairs have different AFINN scores`);
    const { comparison, rms } = await compareRewardModels(c, 'ser');
    // The RM score column uses the best RM for every policy.
    const policies = !cfg.policies ? [] : await dpoPolicies<SerDemoPolicyRow['method'], SerDemoPolicyRow>(c, [
      { method: 'reference', what: 'nothing', pairs: null },
      { method: 'dpo-seed-rm', what: 'the seed RM', pairs: rmLabelled(c, rms.seed) },
      { method: 'dpo-ser-rm', what: 'the SER RM', pairs: rmLabelled(c, rms.ser) },
      { method: 'dpo-full-rm', what: 'the 100% RM', pairs: rmLabelled(c, rms.full) },
    ], (method, policy, k) => ({ ...evaluatePolicy('dpo', policy, s.policy, rms.full, s, cfg.evalSamplesPerPrompt, seed + 500 + k), method }));
    return {
      setup: { train_pairs: s.trainPairs.length, test_pairs: s.testPairs.length, decisive_test_pairs: c.test.length, labelled: c.labelled.length, unlabelled: c.unlabelled.length },
      ...comparison, policies, seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    store.close();
  }
}

export function formatSerReport(r: SerDemoResult): string {
  const lines = [formatSerComparison(r, r.setup, "agreement with the annotator's noiseless preference")];
  if (r.policies.length) {
    lines.push('', textTable([['policy', 'RM score (100% RM)', 'hidden AFINN', 'VADER', 'KL to reference'], ...r.policies.map((p) => [p.method, f3(p.rm_score), f3(p.afinn), f3(p.vader), f3(p.kl)])]));
  }
  return lines.join('\n');
}

type SerRecipeResult = (SerDemoResult & { setup_kind: 'afinn' } | SerArithmeticDemoResult & { setup_kind: 'arithmetic' }) & { seed: number; out: string };

export const serRecipe = defineRecipe({
  name: 'ser',
  summary: 'SER: seed RM on 15% of labels, self-labelling loops, a control, 100% RM, DPO with each; on AFINN-labelled text (default) or on arithmetic (--setup arithmetic)',
  options: declareConfig('demo ser', {
    ...recipeOptions('seed of the model, the prompts or problems, the annotator, the label split and the sampling'),
    setup: choice(['afinn', 'arithmetic'] as const, 'afinn', "afinn (State of the Union text, a hidden AFINN annotator: where SER's premise fails) or arithmetic (a ReST-EM demo model's own solutions, a hidden annotator of correctness)"),
    prompts: int(defaultPreferenceSetup.prompts, '--setup afinn: prompts of the preference setup, train and test (one labelled pair each; at most about 9,000 held-out lines exist)', { min: 8 }),
    problems: int(defaultArithmeticPreferenceSetup.poolProblems, '--setup arithmetic: new training problems, one pair each at most', { min: 8 }),
    base: choice(['seed-sft', 'all-references'] as const, defaultArithmeticPreferenceSetup.base, "--setup arithmetic: seed-sft, the ReST-EM demo's seed SFT model (300 worked solutions), or all-references, its human-data baseline (all 2,100)"),
    seedFraction: num(defaultSerDemo.seedFraction, 'share of the training labels the seed RM sees', { gt: 0, lt: 1 }),
    loops: optionalNum("most SER loops (default: the demo's)", { integer: true, min: 0 }),
    retrain: optionalChoice(['seed', 'continue'] as const, "seed or continue (default: the demo's, seed)"),
    criterion: optionalChoice(['sigmoid-each', 'sigmoid-diff'] as const, 'sigmoid-each or sigmoid-diff (default: sigmoid-each)'),
    noPolicies: bool(false, 'reward models only: skip DPO and the policy evaluation'),
  }),
  examples: ['alignkit demo ser', 'alignkit demo ser --setup arithmetic --seed 1 --json', 'alignkit demo ser --out runs/s --resume'],
  async run(o, hooks): Promise<SerRecipeResult> {
    const settings = <T extends SerRunSettings>(base: T): T => ({
      ...base, seedFraction: o.seedFraction, policies: !o.noPolicies,
      ser: { ...base.ser, ...(o.loops !== undefined ? { maxLoops: o.loops } : {}), ...(o.retrain ? { retrain: o.retrain } : {}), ...(o.criterion ? { criterion: o.criterion } : {}) },
    });
    const opts: SerDemoOptions = { resume: o.resume, quiet: o.quiet, log: hooks.log };
    if (o.setup === 'arithmetic') {
      const base = o.tiny ? tinySerArithmeticDemo(o.seed) : { ...defaultSerArithmeticDemo, setup: { ...defaultSerArithmeticDemo.setup, restEm: { ...defaultSerArithmeticDemo.setup.restEm, seed: o.seed }, poolProblems: o.problems } };
      const cfg: SerArithmeticDemoConfig = settings({ ...base, setup: { ...base.setup, base: o.base } });
      const out = recipeRunDir(o, `runs/demo-ser-arithmetic-seed${o.seed}`);
      hooks.log(`SER on arithmetic with a hidden annotator of correctness (seed ${o.seed}); run directory ${out}`);
      return { ...(await runSerArithmeticDemo(cfg, out, opts)), setup_kind: 'arithmetic', seed: o.seed, out };
    }
    const base: SerDemoConfig = o.tiny ? tinySerDemo(o.seed) : { ...defaultSerDemo, setup: { ...defaultSerDemo.setup, seed: o.seed, prompts: o.prompts } };
    const out = recipeRunDir(o, `runs/demo-ser-seed${o.seed}`);
    hooks.log(`SER with a hidden AFINN-111 annotator (seed ${o.seed}); run directory ${out}`);
    return { ...(await runSerDemo(settings(base), out, opts)), setup_kind: 'afinn', seed: o.seed, out };
  },
  json: (r) => r,
  format: (r) => `${r.setup_kind === 'arithmetic' ? formatSerArithmeticReport(r) : formatSerReport(r)}\n\n${r.seconds.toFixed(0)} s. Metrics and checkpoints: ${r.out}/`,
});
