// `alignkit grpo` as one library call: a policy directory, a reward (a task's verifier, a reward
// model, or both) and prompts in; a run directory out, the policy in <out>/model.
import { ConfigError, bool, checkEach, declareConfig, valuesFor, type ConfigOf, type Overrides } from '../../config/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { checkOnlineInputs, onlineInputOptions, readOnlineSetup } from '../rollout/job-inputs.js';
import { runOnlineJob, type OnlineJobResult } from '../rollout/job-run.js';
import { hubOf, runOptions, type JobHooks } from '../trainer/job.js';
import { generatorOptions, generatorSyncOptions, onlineGenerator } from '../trainer/generator/options.js';
import { grpoConfig } from './config.js';
import { trainGrpo } from './grpo.js';

export const grpoJobOptions = declareConfig('grpo', {
  ...onlineInputOptions,
  ...runOptions('runs/grpo'),
  ...grpoConfig.options,
  ...generatorOptions,
  ...generatorSyncOptions,
  // The flag grpo has had since before scaleRewards took TRL's three values.
  noStdScale: bool(false, 'advantages r − mean without dividing by the group std (Dr. GRPO): --scale-rewards none'),
}, (o) => {
  checkOnlineInputs('grpo', o);
  checkEach(grpoConfig)(o);
  if (o.noStdScale && o.scaleRewards !== 'group' && o.scaleRewards !== 'none') throw new ConfigError(`grpo config: noStdScale is scaleRewards none, but scaleRewards is ${o.scaleRewards}; give one`, 'noStdScale');
});

export type GrpoJobOptions = ConfigOf<typeof grpoJobOptions>;

export async function runGrpoJob(options: Overrides<typeof grpoJobOptions.options>, hooks: JobHooks = {}): Promise<OnlineJobResult> {
  const o = await resolveModelOptions(grpoJobOptions.options, grpoJobOptions.resolve(options), hooks);
  const config = grpoConfig.resolve({ ...valuesFor(grpoConfig, o), scaleRewards: o.noStdScale ? 'none' : o.scaleRewards });
  const generator = onlineGenerator(o, o.out, hooks.log);
  const setup = await readOnlineSetup(o, { name: 'grpo', seed: config.seed, batchSize: config.batchSize, hub: hubOf(o, hooks), out: o.out });
  return runOnlineJob({
    name: 'grpo', out: o.out, resume: o.resume, reportTo: o.reportTo, setup, config,
    train: (store) => trainGrpo({ policy: setup.policy, tokenizer: setup.tokenizer, prompts: setup.prompts, reward: setup.reward, store, config, quiet: o.quiet, ...generator }),
    headline: (l) => ({ score: l.score, kl: l.kl, zeroVarianceGroups: l.zeroVarianceGroups }),
  }, hooks);
}
