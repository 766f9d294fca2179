// `alignkit rest` as one library call: a starting policy and a task in, a run directory out —
// every grown sample with its reward and kept flags in <out>/samples/, each Improve step's
// policy in <out>/checkpoints/g<G>-i<I>, and the last Improve step's policy in <out>/model.
import { ConfigError, declareConfig, int, optionalText, requiredText, text, valuesFor, type ConfigInput, type ConfigOf, type Option, type Overrides } from '../../config/index.js';
import { describeTask, loadTaskInput, taskInputOptions } from '../../data/tasks/task-input.js';
import type { Task } from '../../data/tasks/task.js';
import { resolveModelOptions, type HubOptions } from '../../hub/index.js';
import { RunStore } from '../../runs/run-store.js';
import { loadTrainable, checkpointingOptions, loraOptions, loraRunConfig } from '../trainer/lora-options.js';
import { hubOf, noLog, runOptions, saveLastPolicy, type JobHooks } from '../trainer/job.js';
import { checkJudgeInputs, isJudgeUrl, judgeOptions, judgeSource, openJudge } from '../judge/options.js';
import { judgeReward } from '../judge/judge-reward.js';
import type { RewardFn } from '../trainer/reward-fn.js';
import { generatorOptions, openGenerator } from '../trainer/generator/options.js';
import { improveConfig, restConfig, type RestConfig } from './config.js';
import { referencesOf } from './rewards.js';
import { parseRewardSpec, resolveRewardModels, type ParsedReward, type RewardNormalization } from './rewards.js';
import { restCheckpointName, runRest, type RestRow } from './rest.js';

// The job's options are ReST's and its Improve step's side by side. Two names would clash, so
// ReST's decoding batch is growBatchSize (--batch-size has always meant the Improve batch) and
// the Improve step's maxSteps is improveMaxSteps (the command's --improve-max-steps).
const { improve: _improve, includeOriginal: _includeOriginal, batchSize: growBatchSize, normalize, ...restOptions } = restConfig.options;
const { maxSteps: improveMaxSteps, ...improveOptions } = improveConfig.options;

/** The declared option, left out unless given: its value then follows from other options. */
function unlessGiven<T>(o: Option<T>, help: string): Option<T | undefined> {
  return { ...o, default: undefined, schema: o.schema.optional(), help };
}

export const restJobOptions = declareConfig('rest', {
  model: requiredText('the starting policy directory (e.g. an SFT model) with its tokenizer', 'the starting policy directory', { aliases: ['model_name_or_path'], hub: 'model' }),
  ...taskInputOptions('g2p'),
  reward: text('verifier', 'what Grow samples are scored by: verifier, per, chrf, chrf-recall, recall-unclipped, bleu, rm:<dir>, or a weighted sum like 0.5*chrf+0.5*per'),
  monitor: optionalText('a reward measured on the test outputs but never trained on (same syntax as --reward)'),
  original: int(0, 'the first n training problems are the original data D (their references stay in every grown set); the rest are Grow prompts', { min: 0 }),
  ...judgeOptions,
  ...runOptions('runs/rest'),
  ...loraOptions.options,
  ...checkpointingOptions.options,
  ...restOptions,
  normalize: unlessGiven(normalize, 'how raw rewards become [0, 1]: clip, minmax (per Grow step) or sigmoid (default: clip, sigmoid for an rm: reward)'),
  growBatchSize,
  ...improveOptions,
  improveMaxSteps,
  ...generatorOptions,
}, (c) => {
  checkJudgeInputs('rest', c);
  const terms = [c.reward, c.monitor ?? ''].join('+').split('+').map((t) => t.replace(/^.*\*/, '').trim());
  if (c.judge !== undefined && !terms.includes('judge')) throw new ConfigError(`rest config: judge ${c.judge} is given, but neither reward nor monitor has a judge term (e.g. reward judge, or 0.5*judge+0.5*per)`, 'judge');
  restConfig.resolve(restConfigInput(c, c.normalize ?? 'clip'));
  improveConfig.resolve(improveInput(c));
});

export type RestJobOptions = ConfigOf<typeof restJobOptions>;

function improveInput(o: RestJobOptions): ConfigInput<typeof improveConfig> {
  return { ...valuesFor(improveConfig, o), maxSteps: o.improveMaxSteps };
}

/** The trainer's config from the job's flat options; the original data is kept when there is some. */
function restConfigInput(o: RestJobOptions, normalize: RewardNormalization): ConfigInput<typeof restConfig> {
  return { ...valuesFor(restConfig, o), batchSize: o.growBatchSize, normalize, includeOriginal: o.original > 0, improve: improveInput(o) };
}

export interface RestJobResult {
  /** The run directory, and the last Improve step's policy in it. */
  out: string;
  model: string;
  /** That policy's checkpoint name (g<G>-i<I>). */
  policy: string;
  /** One row per policy: the starting one, then each Improve step's. */
  rows: RestRow[];
}

/** The task, its original data D (the first `original` training problems) and the rewards, each checked. */
async function restInputs(o: RestJobOptions, hub: HubOptions, log: (s: string) => void): Promise<{ task: Task; original: Task['train']; reward: ParsedReward; monitor: ParsedReward | null }> {
  // taskInputOptions declares a default task, so o.task is always set.
  const task = await loadTaskInput({ task: o.task as string, taskOpts: o.taskOpts, matcher: o.matcher, verifier: o.verifier, testData: o.testData, seed: o.seed });
  log(describeTask(task));
  if (o.original >= task.train.length) throw new RangeError(`--original ${o.original}: expected an integer in [0, ${task.train.length}), fewer than the task's training problems`);
  const original = task.train.slice(0, o.original);
  const missing = original.find((q) => q.reference === undefined);
  if (missing) throw new RangeError(`--original ${o.original}: problem ${missing.id} has no reference; the original data needs reference completions`);
  const all = [...task.train, ...task.test];
  const byId = new Map(all.map((p) => [p.id, p]));
  const judge: RewardFn | undefined = isJudgeUrl(o.judge)
    ? judgeReward(openJudge({ ...o, judge: o.judge, judgeTemplate: o.judgeTemplate! }, o.out), (id) => { const p = byId.get(id); return p ? referencesOf(p)[0] : undefined; })
    : undefined;
  const reward = parseRewardSpec(await resolveRewardModels(o.reward, hub), all, task.verifier, judge);
  let monitor: ParsedReward | null = null;
  try {
    if (o.monitor) monitor = parseRewardSpec(await resolveRewardModels(o.monitor, hub), all, task.verifier, judge);
  } catch (err) {
    throw new RangeError((err as Error).message.replace(/^--reward/, '--monitor'));
  }
  return { task: { ...task, train: task.train.slice(o.original) }, original, reward, monitor };
}

export async function runRestJob(options: Overrides<typeof restJobOptions.options>, hooks: JobHooks = {}): Promise<RestJobResult> {
  const o = await resolveModelOptions(restJobOptions.options, restJobOptions.resolve(options), hooks);
  const log = hooks.log ?? noLog;
  const generator = openGenerator(o, o.out, log);
  const { task, original, reward, monitor } = await restInputs(o, hubOf(o, hooks), log);
  const { model: policy0, tokenizer } = loadTrainable(o.model, o, 'model', o.seed);
  // A reward model's score is a logit: σ maps it into [0, 1]; bounded rewards only need clipping.
  const config: RestConfig = restConfig.resolve(restConfigInput(o, o.normalize ?? (reward.bounded ? 'clip' : 'sigmoid')));
  const runConfig = {
    command: 'rest', model: o.model, task: o.task, taskOpts: o.taskOpts, matcher: o.matcher ?? null, verifier: o.verifier ?? null, ...(o.testData ? { testData: o.testData } : {}),
    reward: reward.name, monitor: monitor?.name ?? null, original: o.original, ...loraRunConfig(o), ...(isJudgeUrl(o.judge) ? { judge: judgeSource(o) } : {}), ...config,
  };
  const store = RunStore.open(o.out, runConfig, { resume: o.resume, reportTo: o.reportTo, resumeMayChange: ['growSteps'] });
  try {
    if (store.resumed) log(`resuming ${o.out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
    const rows = await runRest({
      policy0, tokenizer, task, original, reward: reward.reward, monitor: monitor?.reward ?? null, store, config, quiet: o.quiet, log,
      generator,
    });
    const last = restCheckpointName(config.growSteps, config.improveSteps);
    await saveLastPolicy(store, last, tokenizer);
    return { out: o.out, model: store.modelPath, policy: last, rows };
  } finally {
    store.close();
  }
}
