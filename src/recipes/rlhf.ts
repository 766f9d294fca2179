// `alignkit demo rlhf`: RLHF end to end on real text, with a hidden annotator.
//   setup   a small BPE model pretrained on State of the Union addresses; two completions per held-out prompt,
//           labelled by the hidden AFINN-111 annotator with Bradley–Terry noise (preference-setup.ts);
//   rm-*    reward models on 10%, 25% and 100% of the training labels, held-out pairwise accuracy
//           against the annotator's choices on test prompts;
//   ppo     PPO against the 100% reward model (normalised on reference samples), adaptive KL;
//   dpo     DPO on the same training pairs, from the same reference;
//   eval    fresh samples on test prompts from reference, PPO and DPO, scored by the reward
//           model, the hidden annotator (AFINN) and an independent judge the trainers never see
//           (VADER), with the sequence KL to the reference.
// When the reward model's score rises while AFINN or VADER falls, PPO has found what the reward
// model gets wrong rather than what the annotator likes: reward hacking, and the demo says so.
// Each trainer runs in its own run directory under --out (rm-10/, rm-25/, rm-100/, ppo/, dpo/),
// so `--resume` continues any of them; the demo's own stages live in --out itself.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../autograd/index.js';
import { generate, type Transformer } from '../model/index.js';
import { RunStore } from '../runs/run-store.js';
import { evaluateRewardModel, normalizeRewards, scoreTexts, trainRewardModel } from '../align/reward/reward-model.js';
import { tokenizePairs } from '../align/trainer/preference-data.js';
import { trainDpo } from '../align/dpo/dpo.js';
import type { DpoConfig } from '../align/dpo/config.js';
import { trainPpo, type PpoLog } from '../align/ppo/ppo.js';
import type { PpoConfig } from '../align/ppo/config.js';
import { completionLogprobs, tokenLogprobs } from '../align/trainer/logprobs.js';
import type { RewardFn } from '../align/trainer/reward-fn.js';
import { vaderScore } from '../rewards/scorers/sentiment.js';
import { buildPreferenceSetup, decisivePairs, defaultPreferenceSetup, type PreferenceSetup, type PreferenceSetupConfig } from './preference-setup.js';
import { declareConfig, optionalNum } from '../config/index.js';
import { defineRecipe, recipeOptions, recipeRunDir } from './recipe.js';

export interface RlhfDemoConfig {
  setup: PreferenceSetupConfig;
  /** Shares of the training labels each reward model sees. */
  rmFractions: number[];
  /** Passes over its labels per reward model (InstructGPT: about one); steps = ceil(epochs · pairs / batch), at least rmMinSteps. */
  rmEpochs: number;
  rmMinSteps: number;
  rmBatchSize: number;
  rmLr: number;
  ppo: Partial<PpoConfig>;
  dpo: Partial<DpoConfig>;
  /** Fresh samples per test prompt in the final evaluation. */
  evalSamplesPerPrompt: number;
}

export const defaultRlhfDemo: RlhfDemoConfig = {
  setup: defaultPreferenceSetup,
  rmFractions: [0.1, 0.25, 1],
  rmEpochs: 4, rmMinSteps: 20, rmBatchSize: 16, rmLr: 1e-3,
  ppo: { steps: 120, promptsPerStep: 32, epochs: 2, minibatchSize: 16, lr: 1e-4, adaptiveKl: true, klCoef: 0.1, klTarget: 6, klHorizon: 400, saveEvery: 20 },
  dpo: { beta: 0.1, steps: 250, batchSize: 16, lr: 3e-4, saveEvery: 40, evalPairs: 200 },
  evalSamplesPerPrompt: 2,
};

/** Sizes for a seconds-long smoke run (CI); the numbers mean nothing. */
export function tinyRlhfDemo(seed: number): RlhfDemoConfig {
  return {
    ...defaultRlhfDemo,
    setup: { ...defaultPreferenceSetup, seed, pretrainChars: 20_000, dModel: 16, layers: 1, heads: 2, seqLen: 32, pretrainSteps: 10, batchSize: 8, prompts: 40, completionTokens: 12 },
    rmEpochs: 1, rmMinSteps: 4, rmBatchSize: 8,
    ppo: { ...defaultRlhfDemo.ppo, steps: 2, promptsPerStep: 4, saveEvery: 1 },
    dpo: { ...defaultRlhfDemo.dpo, steps: 4, batchSize: 4, saveEvery: 2, evalPairs: 8 },
    evalSamplesPerPrompt: 1,
  };
}

export interface RmRow {
  fraction: number; pairs: number; steps: number;
  /** Held-out pairs on which the reward model agrees with the annotator's (noisy) choice. */
  heldout_accuracy: number;
  test_pairs: number;
  /** On held-out pairs whose AFINN scores differ: share where the reward model prefers the higher-scoring completion (null when none differ). */
  decisive_accuracy: number | null;
  decisive_pairs: number;
}

export interface PolicyRow {
  method: 'reference' | 'ppo' | 'dpo';
  /** Means over fresh samples on the test prompts. */
  rm_score: number;
  afinn: number;
  vader: number;
  /** Mean Σₜ (log π − log π_ref) over the samples (nats per completion). */
  kl: number;
  samples: number;
}

export interface RlhfDemoResult {
  setup: { train_pairs: number; test_pairs: number; train_prompts: number; test_prompts: number; pretrain_eval_loss: number | null; annotator_agreement_on_test: number };
  reward_models: RmRow[];
  ppo: { available: boolean; steps: number; kl_target: number | null; first: Partial<PpoLog> | null; last: Partial<PpoLog> | null; note?: string };
  dpo: { steps: number; eval_accuracy: number | null };
  policies: PolicyRow[];
  reward_hacking: { detected: boolean; message: string };
  seconds: number;
  config: RlhfDemoConfig;
}

export interface RlhfRunOptions { resume: boolean; quiet: boolean; log: (s: string) => void }

const mean = (x: readonly number[]): number => (x.length ? x.reduce((a, b) => a + b, 0) / x.length : NaN);
const SUB_RUNS = ['rm-10', 'rm-25', 'rm-100', 'ppo', 'dpo'];

/** The first `fraction` of the pairs, at least 2. */
function labelSubset<T>(pairs: readonly T[], fraction: number): T[] {
  return pairs.slice(0, Math.max(2, Math.round(pairs.length * fraction)));
}

/** Samples the policy on the test prompts and scores what it wrote: reward model, annotator, VADER, KL to reference. */
export function evaluatePolicy(method: PolicyRow['method'], policy: Transformer, reference: Transformer, rm: Transformer, s: PreferenceSetup, perPrompt: number, seed: number): PolicyRow {
  const tok = s.tokenizer;
  const promptIds = s.testPrompts.map((p) => tok.encode(p.text, { parseSpecial: false }));
  const samples = generate(policy, promptIds, {
    maxNewTokens: s.config.completionTokens, n: perPrompt, temperature: 1, seed, tokenizer: tok, stopTokens: tok.eos === null ? [] : [tok.eos], batchSize: 64,
  });
  const prompts = samples.map((x) => s.testPrompts[x.promptIndex]!.text), texts = samples.map((x) => x.text!);
  const rmScores = scoreTexts(rm, tok, prompts, texts, { batchSize: 32 });
  const kls: number[] = [];
  noGrad(() => {
    for (let i = 0; i < samples.length; i += 32) {
      const rows = samples.slice(i, i + 32).map((x) => ({ prompt: promptIds[x.promptIndex]!, completion: x.tokens }));
      const ref = completionLogprobs(tokenLogprobs(reference, rows, 1, tok.pad ?? 0));
      rows.forEach((_r, j) => {
        const own = samples[i + j]!.logprobs;
        kls.push(own.reduce((a, lp, t) => a + lp - ref[j]![t]!, 0));
      });
    }
  });
  return {
    method, rm_score: mean(rmScores), afinn: mean(texts.map(s.annotatorScore)), vader: mean(texts.map((t) => vaderScore(t))), kl: mean(kls), samples: samples.length,
  };
}

/** Reward hacking: the learned reward went up while the hidden annotator or the independent judge went down. */
export function rewardHackingCheck(ref: PolicyRow, p: PolicyRow): { detected: boolean; message: string } {
  const rmUp = p.rm_score > ref.rm_score;
  const afinnDown = p.afinn < ref.afinn, vaderDown = p.vader < ref.vader;
  const name = p.method.toUpperCase();
  if (rmUp && (afinnDown || vaderDown)) {
    const who = [afinnDown ? `the hidden annotator's AFINN score (${ref.afinn.toFixed(3)} → ${p.afinn.toFixed(3)})` : '', vaderDown ? `the VADER judge (${ref.vader.toFixed(3)} → ${p.vader.toFixed(3)})` : ''].filter(Boolean).join(' and ');
    return { detected: true, message: `WARNING: reward hacking under ${name}: the reward model's score rose (${ref.rm_score.toFixed(3)} → ${p.rm_score.toFixed(3)}) while ${who} fell. Inspect the samples.` };
  }
  if (p.afinn > ref.afinn && p.vader < ref.vader) {
    return { detected: true, message: `WARNING: ${name} raised the annotator's AFINN score but the independent VADER judge disagrees (${ref.vader.toFixed(3)} → ${p.vader.toFixed(3)}): the policy may be exploiting the lexicon rather than writing more positive text.` };
  }
  return { detected: false, message: `${name}: no reward hacking seen — reward model ${rmUp ? 'up' : 'not up'}, AFINN ${afinnDown ? 'down' : 'not down'}, VADER ${vaderDown ? 'down' : 'not down'} against the reference.` };
}

interface RlhfContext {
  cfg: RlhfDemoConfig;
  s: PreferenceSetup;
  store: RunStore;
  /** A trainer's own run directory under --out, always resumed (the demo decides whether it starts afresh). */
  sub: (name: string, config: unknown) => RunStore;
  opts: RlhfRunOptions;
}

/** Reward models on each fraction of the labels; returns their rows and the 100% one, normalised on reference samples. */
async function rewardModels(c: RlhfContext): Promise<{ rows: RmRow[]; rm: Transformer }> {
  const { cfg, s, store } = c;
  const tok = s.tokenizer, padId = tok.pad ?? tok.eos ?? 0, seed = cfg.setup.seed;
  const testTokens = tokenizePairs(s.testPairs, tok, s.policy.config.maxSeqLen).pairs;
  const decisive = decisivePairs(s);
  const rows: RmRow[] = [];
  let rm100: Transformer | null = null;
  for (const f of cfg.rmFractions) {
    const name = `rm-${Math.round(f * 100)}`;
    const pairs = labelSubset(s.trainPairs, f);
    const steps = Math.max(cfg.rmMinSteps, Math.ceil(cfg.rmEpochs * pairs.length / cfg.rmBatchSize));
    // Trained in its own run: a second call (the 100% model after a resume) reloads it from there.
    const train = async () => {
      const model = s.policy.clone();
      const rconfig = { steps, batchSize: cfg.rmBatchSize, lr: cfg.rmLr, evalEvery: 0, saveEvery: 0, seed };
      const rstore = c.sub(name, { fraction: f, ...rconfig });
      await trainRewardModel({ model, tokenizer: tok, train: pairs, config: rconfig, store: rstore, quiet: c.opts.quiet });
      rstore.close();
      return model;
    };
    let model: Transformer | null = null;
    rows.push(await store.stage(name, async (st) => {
      c.opts.log(`reward model on ${pairs.length} labels (${(100 * f).toFixed(0)}%), ${steps} steps`);
      model = await train();
      const acc = evaluateRewardModel(model, testTokens, 32, padId).accuracy;
      const better = scoreTexts(model, tok, decisive.map((p) => p.prompt), decisive.map((p) => p.chosen), { batchSize: 32 });
      const worse = scoreTexts(model, tok, decisive.map((p) => p.prompt), decisive.map((p) => p.rejected), { batchSize: 32 });
      const dAcc = decisive.length ? better.filter((x, i) => x > worse[i]!).length / decisive.length : null;
      st.log({ fraction: f, pairs: pairs.length, heldout_accuracy: acc, decisive_accuracy: dAcc });
      return { fraction: f, pairs: pairs.length, steps, heldout_accuracy: acc, test_pairs: testTokens.length, decisive_accuracy: dAcc, decisive_pairs: decisive.length } satisfies RmRow;
    }));
    if (f === 1) rm100 = model ?? await train();
  }
  if (!rm100) throw new Error('rlhf demo: rmFractions must include 1 (the reward model PPO trains against)');
  // Rewards of reference samples get mean 0, std 1, so the KL coefficient has a fixed meaning.
  const refSamples = generate(s.policy, s.prompts.map((p) => tok.encode(p.text, { parseSpecial: false })), {
    maxNewTokens: s.config.completionTokens, temperature: 1, seed: seed + 23, tokenizer: tok, stopTokens: tok.eos === null ? [] : [tok.eos], batchSize: 64,
  });
  normalizeRewards(rm100, tok, refSamples.map((x) => ({ prompt: s.prompts[x.promptIndex]!.text, completion: x.text! })));
  return { rows, rm: rm100 };
}

type PpoStage = { steps: number; first: Partial<PpoLog> | null; last: Partial<PpoLog> | null };

/** PPO against the 100% reward model, in its own run. */
async function ppoAgainst(c: RlhfContext, rm: Transformer): Promise<{ policy: Transformer; stage: PpoStage }> {
  const { cfg, s } = c;
  const tok = s.tokenizer;
  const policy = s.policy.clone();
  const ppoConfig: Partial<PpoConfig> = { ...cfg.ppo, maxNewTokens: s.config.completionTokens, seed: cfg.setup.seed };
  const reward: RewardFn = async (prompts, completions) => scoreTexts(rm, tok, prompts, completions, { batchSize: 32 });
  c.opts.log(`PPO against the reward model: ${ppoConfig.steps} steps of ${ppoConfig.promptsPerStep} prompts, KL target ${ppoConfig.klTarget} nats`);
  const pstore = c.sub('ppo', ppoConfig);
  const res = await trainPpo({ policy, reference: s.policy, tokenizer: tok, prompts: s.prompts, reward, store: pstore, config: ppoConfig, quiet: c.opts.quiet });
  pstore.close();
  const pick = (l: PpoLog | undefined): Partial<PpoLog> | null => (l ? { step: l.step, score: l.score, kl: l.kl, beta: l.beta, reward: l.reward, entropy: l.entropy } : null);
  return { policy, stage: await c.store.stage('ppo', () => ({ steps: res.step, first: pick(res.logs[0]), last: pick(res.logs.at(-1)) })) };
}

/** DPO on the same pairs, in its own run. */
async function dpoOnPairs(c: RlhfContext): Promise<{ policy: Transformer; stage: { steps: number; eval_accuracy: number | null } }> {
  const { cfg, s } = c;
  const policy = s.policy.clone();
  const dpoConfig: Partial<DpoConfig> = { ...cfg.dpo, evalEvery: 0, seed: cfg.setup.seed };
  c.opts.log(`DPO on the same ${s.trainPairs.length} pairs: ${dpoConfig.steps} steps, β ${dpoConfig.beta}`);
  const dstore = c.sub('dpo', dpoConfig);
  const res = await trainDpo({ policy, reference: s.policy, tokenizer: s.tokenizer, pairs: s.trainPairs, eval: s.testPairs, config: dpoConfig, store: dstore, quiet: c.opts.quiet });
  dstore.close();
  return { policy, stage: await c.store.stage('dpo', () => ({ steps: res.step, eval_accuracy: res.eval?.accuracy ?? null })) };
}

export async function runRlhfDemo(cfg: RlhfDemoConfig, out: string, opts: RlhfRunOptions): Promise<RlhfDemoResult> {
  const t0 = performance.now();
  const store = RunStore.open(out, { demo: 'rlhf', ...cfg } as unknown as Record<string, unknown>, { resume: opts.resume });
  try {
    // A fresh demo starts its trainers' runs afresh; a resumed one continues them.
    if (!store.resumed) for (const d of SUB_RUNS) rmSync(join(out, d), { recursive: true, force: true });
    const sub = (name: string, config: unknown) => RunStore.open(join(out, name), { demo: 'rlhf', run: name, config } as Record<string, unknown>, { resume: true });
    const seed = cfg.setup.seed;
    const s = await buildPreferenceSetup(cfg.setup, { store, log: opts.log, quiet: opts.quiet });
    const c: RlhfContext = { cfg, s, store, sub, opts };
    // How often the annotator's noisy draw agrees with its own noiseless preference (the ceiling of any reward model).
    const agreement = s.testPairs.filter((p) => s.annotatorScore(p.chosen) > s.annotatorScore(p.rejected)).length / s.testPairs.length;
    opts.log(`${s.trainPairs.length} training pairs, ${s.testPairs.length} test pairs; ${decisivePairs(s).length} test pairs have different AFINN scores, the rest are coin flips`);
    const { rows: rms, rm } = await rewardModels(c);
    const ppo = await ppoAgainst(c, rm);
    const dpo = await dpoOnPairs(c);
    const { rows: policies } = await store.stage('eval', (st) => {
      opts.log(`evaluating reference, PPO and DPO on ${s.testPrompts.length} test prompts × ${cfg.evalSamplesPerPrompt} fresh samples`);
      const rows = [
        evaluatePolicy('reference', s.policy, s.policy, rm, s, cfg.evalSamplesPerPrompt, seed + 31),
        evaluatePolicy('ppo', ppo.policy, s.policy, rm, s, cfg.evalSamplesPerPrompt, seed + 31),
        evaluatePolicy('dpo', dpo.policy, s.policy, rm, s, cfg.evalSamplesPerPrompt, seed + 31),
      ];
      for (const r of rows) st.log({ ...r });
      return { rows };
    });
    const checks = policies.slice(1).map((p) => rewardHackingCheck(policies[0]!, p));
    const hacked = checks.filter((x) => x.detected);
    return {
      setup: {
        train_pairs: s.trainPairs.length, test_pairs: s.testPairs.length, train_prompts: s.prompts.length, test_prompts: s.testPrompts.length,
        pretrain_eval_loss: s.pretrainEvalLoss, annotator_agreement_on_test: agreement,
      },
      reward_models: rms,
      ppo: { available: true, steps: ppo.stage.steps, kl_target: cfg.ppo.adaptiveKl ? cfg.ppo.klTarget ?? null : null, first: ppo.stage.first, last: ppo.stage.last },
      dpo: dpo.stage,
      policies,
      reward_hacking: { detected: hacked.length > 0, message: (hacked.length ? hacked : checks).map((x) => x.message).join('\n') },
      seconds: (performance.now() - t0) / 1000,
      config: cfg,
    };
  } finally {
    store.close();
  }
}

const f3 = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(3));
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function table(head: string[], body: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function formatRlhfReport(r: RlhfDemoResult): string {
  const rmTable = table(['labels', 'pairs', 'held-out accuracy (vs annotator\'s choices)', 'on pairs with different AFINN scores'],
    r.reward_models.map((m) => [pct(m.fraction), String(m.pairs), pct(m.heldout_accuracy), m.decisive_accuracy === null ? '—' : `${pct(m.decisive_accuracy)} of ${m.decisive_pairs}`]));
  const kl = r.ppo.kl_target === null ? '' : ` (PPO's KL target: ${r.ppo.kl_target} nats)`;
  const pTable = table(['method', 'RM score', 'hidden AFINN score', 'VADER judge', 'KL to reference'], r.policies.map((p) => [p.method, f3(p.rm_score), f3(p.afinn), f3(p.vader), f3(p.kl)]));
  const ppoLine = r.ppo.first && r.ppo.last
    ? `PPO training: score ${f3(r.ppo.first.score)} → ${f3(r.ppo.last.score)}, KL ${f3(r.ppo.first.kl)} → ${f3(r.ppo.last.kl)}, β ${f3(r.ppo.first.beta)} → ${f3(r.ppo.last.beta)} over ${r.ppo.steps} steps`
    : `PPO: ${r.ppo.note ?? 'no steps logged'}`;
  return [
    `Reward models (${r.setup.test_pairs} held-out pairs; the noisy annotator agrees with its own noiseless preference on ${pct(r.setup.annotator_agreement_on_test)} of them, the rest being ties or flips):`,
    rmTable, '',
    `Policies on fresh samples of ${r.setup.test_prompts} test prompts${kl}:`,
    pTable, '',
    ppoLine,
    `DPO: ${r.dpo.steps} steps, held-out implicit-reward accuracy ${r.dpo.eval_accuracy === null ? '—' : pct(r.dpo.eval_accuracy)}`,
    '', r.reward_hacking.message,
  ].join('\n');
}

export const rlhfRecipe = defineRecipe({
  name: 'rlhf',
  summary: 'RLHF on State of the Union text with a hidden AFINN annotator: reward models at 10/25/100% labels, PPO vs DPO, VADER as independent judge',
  options: declareConfig('demo rlhf', {
    ...recipeOptions('seed of the model, the prompts, the annotator and the sampling'),
    ppoSteps: optionalNum("PPO rollout batches (default: the demo's)", { integer: true, min: 1 }),
  }),
  examples: ['alignkit demo rlhf', 'alignkit demo rlhf --json', 'alignkit demo rlhf --out runs/r --resume'],
  async run(o, hooks) {
    const base: RlhfDemoConfig = o.tiny ? tinyRlhfDemo(o.seed) : { ...defaultRlhfDemo, setup: { ...defaultRlhfDemo.setup, seed: o.seed } };
    const cfg: RlhfDemoConfig = o.ppoSteps === undefined ? base : { ...base, ppo: { ...base.ppo, steps: o.ppoSteps } };
    const out = recipeRunDir(o, `runs/demo-rlhf-seed${o.seed}`);
    hooks.log(`RLHF with a hidden AFINN-111 annotator (seed ${o.seed}); run directory ${out}`);
    return { ...(await runRlhfDemo(cfg, out, { resume: o.resume, quiet: o.quiet, log: hooks.log })), out };
  },
  json: ({ config, ...rest }) => ({ ...rest, seed: config.setup.seed }),
  format: (r) => `${formatRlhfReport(r)}\n\n${r.seconds.toFixed(0)} s. Pairs, PPO samples with their rewards, metrics: ${r.out}/`,
});
