// `alignkit online-dpo` as one library call: a policy directory, prompts (a task's problems or a
// prompt file) and who labels the pairs — the online trainers' reward (a task's verifier, a reward
// model, or both) or a pairwise judge module — in; a run directory out, the policy in <out>/model.
import { ConfigError, checkEach, declareConfig, optionalText, valuesFor, type ConfigOf, type Overrides } from '../../config/index.js';
import { loadTaskInput } from '../../data/tasks/task-input.js';
import { resolveModelOptions, type HubOptions } from '../../hub/index.js';
import { checkOnlineInputs, onlineInputOptions, readOnlineSetup, readPrompts, type OnlineSetup } from '../rollout/job-inputs.js';
import { runOnlineJob, type OnlineJobResult } from '../rollout/job-run.js';
import { loadTrainable, loraRunConfig } from '../trainer/lora-options.js';
import { hubOf, runOptions, type JobHooks } from '../trainer/job.js';
import { onlineDpoConfig } from './config.js';
import { checkJudgeInputs, isJudgeUrl, judgeSource, openJudge } from '../judge/options.js';
import { llmPairJudge } from '../judge/order-pairs.js';
import { loadJudgeModule, type PairJudge, type PairLabeller } from './judge.js';
import { trainOnlineDpo } from './online-dpo.js';

export const onlineDpoJobOptions = declareConfig('online-dpo', {
  ...onlineInputOptions,
  judge: optionalText('pairwise judge instead of a reward: an OpenAI-compatible server URL (with --judge-template), or a JS module exporting judge(prompt, a, b) → 0 or 1 (or judgePairs(prompts, pairs))'),
  ...runOptions('runs/online-dpo'),
  ...onlineDpoConfig.options,
}, (o) => {
  checkJudgeInputs('online-dpo', o, true);
  if (o.judge === undefined) checkOnlineInputs('online-dpo', o);
  else if (o.rewardModel !== undefined) throw new ConfigError('online-dpo config: give judge or rewardModel to label the pairs, not both', 'judge');
  else if (o.rewardFn.length > 0) throw new ConfigError('online-dpo config: give judge or rewardFn to label the pairs, not both', 'judge');
  else if (o.task === undefined && o.prompts === undefined) throw new ConfigError('online-dpo config: judge needs prompts <file> or task to draw the prompts from', 'prompts');
  checkEach(onlineDpoConfig)(o);
});

export type OnlineDpoJobOptions = ConfigOf<typeof onlineDpoJobOptions>;

/** The policy and prompts for a judged run: no reward to load. */
async function judgedSetup(o: OnlineDpoJobOptions, seed: number, hub: HubOptions): Promise<OnlineSetup> {
  const { model: policy, tokenizer } = loadTrainable(o.model, o, 'model', seed);
  const prompts = o.prompts
    ? await readPrompts(o.prompts, tokenizer, o.chatTemplateKwargs, hub)
    : (await loadTaskInput({ task: o.task!, taskOpts: o.taskOpts, matcher: o.matcher, verifier: o.verifier, seed })).train.map((p) => ({ id: p.id, text: p.prompt }));
  if (prompts.length === 0) throw new Error(`--prompts ${o.prompts ?? o.task}: no prompts`);
  const sources = { model: o.model, task: o.task ?? null, taskOpts: o.taskOpts || null, matcher: o.matcher ?? null, verifier: o.verifier ?? null, rewardModel: null, rmWeight: o.rmWeight, prompts: o.prompts ?? null, ...loraRunConfig(o) };
  return { policy, tokenizer, prompts, reward: async () => [], rewardModel: null, sources, notes: [`pairs labelled by the judge ${o.judge}`] };
}

/** --judge: an LLM behind a URL (its cache and failures in the run), else a module. */
async function pairJudgeOf(o: OnlineDpoJobOptions): Promise<PairJudge> {
  return isJudgeUrl(o.judge) ? llmPairJudge(openJudge({ ...o, judge: o.judge, judgeTemplate: o.judgeTemplate! }, o.out)) : loadJudgeModule(o.judge!);
}

export async function runOnlineDpoJob(options: Overrides<typeof onlineDpoJobOptions.options>, hooks: JobHooks = {}): Promise<OnlineJobResult> {
  const o = await resolveModelOptions(onlineDpoJobOptions.options, onlineDpoJobOptions.resolve(options), hooks);
  const config = onlineDpoConfig.resolve(valuesFor(onlineDpoConfig, o));
  const label: PairLabeller | null = o.judge ? { kind: 'judge', judge: await pairJudgeOf(o), name: o.judge } : null;
  const setup = label ? await judgedSetup(o, config.seed, hubOf(o, hooks)) : await readOnlineSetup(o, { name: 'online-dpo', seed: config.seed, batchSize: config.batchSize, hub: hubOf(o, hooks) });
  return runOnlineJob({
    name: 'online-dpo', out: o.out, resume: o.resume, reportTo: o.reportTo, setup, config: { ...config, judge: (isJudgeUrl(o.judge) ? judgeSource(o) : o.judge) ?? null },
    train: (store) => trainOnlineDpo({
      policy: setup.policy, tokenizer: setup.tokenizer, prompts: setup.prompts, label: label ?? { kind: 'reward', reward: setup.reward }, store, config, quiet: o.quiet,
    }),
    headline: (l) => ({ score: l.score, margin: l.margin, kl: l.kl }),
  }, hooks);
}
