// SER's last step (Huang et al. 2024 §3.3): the policy learns from the evolved reward model,
// either by DPO on the pairs it labels or by PPO with it as the reward. Each ends in the stage
// `ser/policy` with checkpoint `policy`; a resume that finds the stage done loads that checkpoint.
import { join } from 'node:path';
import { generate, loadModelDir, saveModelDir, type Transformer } from '../../model/index.js';
import { RunStore, stageOf } from '../../runs/run-store.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { trainDpo, type DpoEval } from '../dpo/dpo.js';
import { resolvePpoConfig } from '../ppo/config.js';
import { trainPpo } from '../ppo/ppo.js';
import { applyRewardNormalization, normalizeRewards, scoreTexts, type RewardNormalization } from '../reward/reward-model.js';
import type { PromptItem } from '../rollout/rollout.js';
import type { PreferencePair } from '../trainer/preference-data.js';
import type { SerConfig } from './config.js';
import type { Generator } from '../trainer/generator/generator.js';
import { fmt, labelWithRm, type SerPoolPair } from './pool.js';

/** What the policy step reads of runSer's options. */
export interface PolicyStepInput {
  /** The base model: the policy starts from it unless `policy` is given. */
  model: Transformer;
  policy?: Transformer;
  tokenizer: Tokenizer;
  labelled: readonly PreferencePair[];
  unlabelled: readonly SerPoolPair[];
  test: readonly PreferencePair[];
  quiet?: boolean;
  /**
   * With PPO: where the normalisation samples and the rollouts are drawn (default this process),
   * and every how many PPO updates the policy is pushed there.
   */
  generator?: Generator;
  generatorSyncEvery?: number;
}

/** With PPO: the RM normalisation, and the first and last logged steps (mean RM score, KL). */
export interface SerPpoSummary {
  normalisation: RewardNormalization;
  steps: number;
  first: { score: number; kl: number } | null;
  last: { score: number; kl: number } | null;
}

type Log = (line: string) => void;

/** DPO on the labelled pairs plus every pool pair oriented by the evolved RM. */
export async function dpoStep(o: PolicyStepInput, c: SerConfig, rm: Transformer, store: RunStore | undefined, log: Log): Promise<{ policy: Transformer; dpoEval: DpoEval | null; policyPairs: number }> {
  const tok = o.tokenizer;
  const rmLabelled = labelWithRm(rm, tok, o.unlabelled, c.scoreBatchSize);
  const pairs = [...o.labelled, ...rmLabelled];
  let fresh: { policy: Transformer; eval: DpoEval | null } | undefined;
  const done = await stageOf(store, 'ser/policy', async () => {
    const policy = (o.policy ?? o.model).clone();
    const res = await trainDpo({ policy, tokenizer: tok, pairs, eval: o.test, config: c.dpo, ...(store ? { store } : {}), quiet: o.quiet ?? true });
    fresh = { policy, eval: res.eval };
    store?.saveCheckpoint('policy', (d) => saveModelDir(d, policy, { tokenizer: tok }));
    return { pairs: pairs.length, eval: res.eval && Number.isFinite(res.eval.loss) ? res.eval : null };
  });
  const policy = fresh?.policy ?? loadModelDir(store!.checkpointPath('policy')).model;
  const dpoEval = fresh ? fresh.eval : done.eval;
  log(`DPO on ${pairs.length} pairs (${o.labelled.length} labelled + ${rmLabelled.length} labelled by the evolved RM)` +
    (dpoEval ? `: test preference accuracy ${fmt(dpoEval.accuracy)}` : ''));
  return { policy, dpoEval, policyPairs: pairs.length };
}

/**
 * The evolved RM (a copy) normalised so that the reference policy's samples score mean 0, std 1
 * (the scale the KL coefficient is set for), sampled as PPO will sample.
 */
async function normalisedRm(o: PolicyStepInput, c: SerConfig, evolved: Transformer, prompts: readonly PromptItem[], store: RunStore): Promise<{ rm: Transformer; normalisation: RewardNormalization }> {
  const tok = o.tokenizer, rm = evolved.clone();
  let applied = false;
  const normalisation = await store.stage('ser/rm-normalisation', async (s) => {
    const n = Math.min(c.normalisationSamples, prompts.length);
    const pc = resolvePpoConfig(c.ppo);
    const ids = prompts.slice(0, n).map((p) => tok.encode(p.text, { parseSpecial: false }));
    const settings = { maxNewTokens: pc.maxNewTokens, temperature: pc.temperature, topK: 0, seed: pc.seed + 7, batchSize: 64 };
    const reference = o.policy ?? o.model;
    if (o.generator) await o.generator.push(reference, tok, 'ser-reference');
    const samples = o.generator ? (await o.generator.sample(reference, tok, ids, 1, settings)).map((x) => ({ ...x, text: x.text ?? tok.decode(x.tokens, { skipSpecial: true }) }))
      : generate(reference, ids, { ...settings, tokenizer: tok, stopTokens: tok.eos === null ? [] : [tok.eos] });
    const norm = normalizeRewards(rm, tok, samples.map((x) => ({ prompt: prompts[x.promptIndex]!.text, completion: x.text! })), { batchSize: c.scoreBatchSize });
    applied = true;
    s.log({ ...norm });
    return norm;
  });
  if (!applied) applyRewardNormalization(rm, normalisation);
  return { rm, normalisation };
}

/**
 * The PPO policy step: PPO trains a copy of the policy against the normalised evolved RM on the
 * distinct prompts of the training pairs. PPO's own run lives in <store>/ppo and resumes.
 */
export async function ppoStep(o: PolicyStepInput, c: SerConfig, evolved: Transformer, store: RunStore, log: Log): Promise<{ policy: Transformer; ppo: SerPpoSummary }> {
  const tok = o.tokenizer, start = o.policy ?? o.model;
  const texts = [...new Set([...o.labelled.map((p) => p.prompt), ...o.unlabelled.map((p) => p.prompt)])];
  const prompts: PromptItem[] = texts.map((text, i) => ({ id: `ser-p${i}`, text }));
  const { rm, normalisation } = await normalisedRm(o, c, evolved, prompts, store);
  let policy: Transformer | undefined;
  const { ppo } = await store.stage('ser/policy', async () => {
    log(`PPO against the evolved RM (normalised on ${normalisation.samples} reference samples: mean ${fmt(normalisation.mean)}, std ${fmt(normalisation.std)}) on ${prompts.length} prompts`);
    const trained = start.clone();
    const sub = RunStore.open(join(store.dir, 'ppo'), { ser: 'ppo', config: c.ppo } as Record<string, unknown>, { resume: true });
    try {
      const res = await trainPpo({
        policy: trained, reference: start, tokenizer: tok, prompts, store: sub, config: c.ppo, quiet: o.quiet ?? true,
        ...(o.generator ? { generator: o.generator, generatorSyncEvery: o.generatorSyncEvery ?? 1 } : {}),
        reward: async (ps, cs) => scoreTexts(rm, tok, ps, cs, { batchSize: c.scoreBatchSize }),
      });
      const pick = (l: { score: number; kl: number } | undefined) => (l ? { score: l.score, kl: l.kl } : null);
      const summary: SerPpoSummary = { normalisation, steps: res.step, first: pick(res.logs[0]), last: pick(res.logs.at(-1)) };
      store.saveCheckpoint('policy', (d) => saveModelDir(d, trained, { tokenizer: tok }));
      policy = trained;
      log(`PPO: ${res.step} steps` + (summary.first && summary.last ? `, RM score ${fmt(summary.first.score)} → ${fmt(summary.last.score)}, KL ${fmt(summary.first.kl)} → ${fmt(summary.last.kl)}` : ''));
      return { ppo: summary };
    } finally {
      sub.close();
    }
  });
  return { policy: policy ?? loadModelDir(store.checkpointPath('policy')).model, ppo };
}
