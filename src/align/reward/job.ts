// `alignkit reward` as one library call: a language model directory and a preference file in, a
// run directory out with the reward model in <out>/model. Unless --normalize 0, the final model is
// rescaled so that samples of the reference policy score mean 0, std 1 (normalizeRewards), the
// scale folded into its score head and recorded in its safetensors metadata
// (`alignkit.reward_normalization`), so PPO's KL coefficient means the same for every RM.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkEach, declareConfig, int, num, optionalText, requiredText, valuesFor, type ConfigOf, type Overrides,
} from '../../config/index.js';
import { chatTemplateKwargs } from '../../tokenizer/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { saveModelDir, type Transformer } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { finite } from '../trainer/checkpoint.js';
import { loadWithTokenizer } from '../trainer/inputs.js';
import { loadTrainable, checkpointingOptions, loraOptions, loraRunConfig } from '../trainer/lora-options.js';
import { checkJudgeInputs, judgeOptions, judgeSource } from '../judge/options.js';
import { readPairsOrJudge } from '../judge/judged-pairs.js';
import { hubOf, noLog, runOptions, type JobHooks } from '../trainer/job.js';
import type { PreferencePair } from '../trainer/preference-data.js';
import { rewardModelConfig } from './config.js';
import { promptRoom, referenceSamples } from './reference-samples.js';
import { normalizeRewards, trainRewardModel, type RewardNormalization } from './reward-model.js';

/** 1 sample has no spread to measure: the count is 0 (off) or at least 2. */
const normalizeBase = int(64, 'samples from the reference policy that set the reward scale to mean 0, std 1 (0: off)', { min: 0, expected: '0 (off) or an integer ≥ 2' });
const normalize = { ...normalizeBase, schema: normalizeBase.schema.refine((n) => n !== 1) };

export const rewardJobOptions = declareConfig('reward', {
  model: requiredText('language model directory the reward model starts from (with its tokenizer)', 'the language model directory the reward model starts from', { aliases: ['model_name_or_path'], hub: 'model' }),
  data: requiredText('preference file (.jsonl/.json/.parquet): {prompt, chosen, rejected}, strings or message lists (rendered with the tokenizer\'s chat template)', 'a preference file of {prompt, chosen, rejected} records', { hub: 'dataset' }),
  chatTemplateKwargs,
  evalData: optionalText('held-out preference file (default: --eval-fraction of --data)', { hub: 'dataset' }),
  evalFraction: num(0.05, 'share of --data held out when --eval-data is not given', { min: 0, lt: 1 }),
  normalize,
  policy: optionalText('reference policy sampled for --normalize (default: --model as it starts)', { hub: 'model' }),
  normalizeTokens: int(48, 'most tokens per normalisation sample', { min: 1 }),
  ...judgeOptions,
  ...runOptions('runs/reward'),
  ...loraOptions.options,
  ...checkpointingOptions.options,
  ...rewardModelConfig.options,
}, (o) => { checkJudgeInputs('reward', o); checkEach(rewardModelConfig)(o); });

export type RewardJobOptions = ConfigOf<typeof rewardJobOptions>;

export interface RewardJobResult {
  /** The run directory and the reward model in it. */
  out: string;
  model: string;
  step: number;
  /** Of the final weights before normalisation (which keeps the order); null without held-out pairs. */
  evalAccuracy: number | null;
  evalLoss: number | null;
  /** What --normalize removed (null when off). */
  normalization: RewardNormalization | null;
  trainPairs: number;
  evalPairs: number;
  /** Training pairs whose prompt lost its start to fit maxLen. */
  truncated: number;
}

interface Policy { model: Transformer; tokenizer: Tokenizer }

/** --policy, loaded (and --normalize-tokens checked against it) before the run directory is touched. */
function checkPolicy(o: RewardJobOptions, model: Transformer): Policy | null {
  if (o.policy && !existsSync(join(o.policy, 'config.json'))) {
    throw new Error(`--policy ${o.policy}: no config.json; expected a model directory to sample the reference policy from`);
  }
  if (!o.normalize) return null;
  const policy = o.policy ? loadWithTokenizer(o.policy, 'policy') : null;
  const sampler = policy?.model ?? model;
  if (promptRoom(sampler, o.normalizeTokens) < 1) {
    throw new Error(`--normalize-tokens ${o.normalizeTokens}: leaves no room for a prompt in the ${o.policy ? '--policy' : '--model'}'s ${sampler.config.maxSeqLen} positions; expected fewer`);
  }
  return policy;
}

/** Normalises `model` on samples of the reference policy (--policy, or --model as read from disk). */
function normalizeOnReference(o: RewardJobOptions, model: Transformer, tokenizer: Tokenizer, policy: Policy | null, train: readonly PreferencePair[]): RewardNormalization | null {
  if (!o.normalize) return null;
  // Read from disk: the reward model has trained its copy of --model in place.
  const ref = policy ?? loadWithTokenizer(o.model, 'model');
  return normalizeRewards(model, tokenizer, referenceSamples(ref.model, ref.tokenizer, train, o.normalize, o.normalizeTokens, o.seed + 1));
}

/** The final stage's stored result: finite numbers only (the run store refuses NaN). */
type FinalStage = Partial<Record<'step' | 'evalAccuracy' | 'evalLoss' | 'rewardMean' | 'rewardStd' | 'normalizeSamples', number>>;

export async function runRewardJob(options: Overrides<typeof rewardJobOptions.options>, hooks: JobHooks = {}): Promise<RewardJobResult> {
  const o = await resolveModelOptions(rewardJobOptions.options, rewardJobOptions.resolve(options), hooks);
  const log = hooks.log ?? noLog;
  const config = rewardModelConfig.resolve(valuesFor(rewardModelConfig, o));
  const { model, tokenizer } = loadTrainable(o.model, o, 'model', o.seed);
  const split = await readPairsOrJudge(o, { tokenizer, kwargs: o.chatTemplateKwargs }, hubOf(o, hooks));
  const policy = checkPolicy(o, model);
  const runConfig = {
    command: 'reward', model: o.model, data: o.data, evalData: o.evalData ?? null, evalFraction: o.evalFraction, chatTemplateKwargs: o.chatTemplateKwargs,
    normalize: o.normalize, policy: o.policy ?? null, normalizeTokens: o.normalizeTokens, ...loraRunConfig(o), ...(o.judge ? { judge: judgeSource(o) } : {}), ...config,
  };
  const store = RunStore.open(o.out, runConfig, { resume: o.resume, reportTo: o.reportTo, resumeMayChange: ['steps', 'epochs'] });
  try {
    if (store.resumed) log(`resuming ${o.out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
    split.save(o.out);
    for (const n of split.notes) log(n);
    log(`${split.train.length} training / ${split.eval.length} held-out pairs from ${o.data}; ${model.config.family} from ${o.model}`);
    const res = await trainRewardModel({ model, tokenizer, train: split.train, eval: split.eval, config, store, quiet: o.quiet });
    if (res.truncated) log(`${res.truncated} training pairs lost the start of their prompt to fit ${config.maxLen || model.config.maxSeqLen} tokens`);
    // Named by the step count, so that a resume with more steps writes a new final model.
    const fin = await store.stage<FinalStage>(`final/step-${res.step}`, () => {
      const norm = normalizeOnReference(o, model, tokenizer, policy, split.train);
      const metadata = { 'alignkit.reward_normalization': JSON.stringify(norm) };
      store.saveModel((d) => saveModelDir(d, model, { tokenizer, metadata }));
      return finite({
        step: res.step, evalAccuracy: res.evalAccuracy ?? undefined, evalLoss: res.evalLoss ?? undefined,
        rewardMean: norm?.mean, rewardStd: norm?.std, normalizeSamples: norm?.samples,
      });
    });
    const normalization = fin.rewardStd !== undefined ? { mean: fin.rewardMean!, std: fin.rewardStd, samples: fin.normalizeSamples! } : null;
    return {
      out: o.out, model: store.modelPath, step: res.step, evalAccuracy: fin.evalAccuracy ?? null, evalLoss: fin.evalLoss ?? null, normalization,
      trainPairs: split.train.length, evalPairs: split.eval.length, truncated: res.truncated,
    };
  } finally {
    store.close();
  }
}
