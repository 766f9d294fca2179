// `alignkit rloo` as one library call: a policy directory, a reward (a task's verifier, a reward
// model, or both) and prompts in; a run directory out, the policy in <out>/model.
import { checkEach, declareConfig, valuesFor, type ConfigOf, type Overrides } from '../../config/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { checkOnlineInputs, onlineInputOptions, readOnlineSetup } from '../rollout/job-inputs.js';
import { runOnlineJob, type OnlineJobResult } from '../rollout/job-run.js';
import { hubOf, runOptions, type JobHooks } from '../trainer/job.js';
import { generatorOptions, generatorSyncOptions, onlineGenerator } from '../trainer/generator/options.js';
import { rlooConfig } from './config.js';
import { trainRloo } from './rloo.js';

export const rlooJobOptions = declareConfig('rloo', {
  ...onlineInputOptions,
  ...runOptions('runs/rloo'),
  ...rlooConfig.options,
  ...generatorOptions,
  ...generatorSyncOptions,
}, (o) => {
  checkOnlineInputs('rloo', o);
  checkEach(rlooConfig)(o);
});

export type RlooJobOptions = ConfigOf<typeof rlooJobOptions>;

export async function runRlooJob(options: Overrides<typeof rlooJobOptions.options>, hooks: JobHooks = {}): Promise<OnlineJobResult> {
  const o = await resolveModelOptions(rlooJobOptions.options, rlooJobOptions.resolve(options), hooks);
  const config = rlooConfig.resolve(valuesFor(rlooConfig, o));
  const generator = onlineGenerator(o, o.out, hooks.log);
  const setup = await readOnlineSetup(o, { name: 'rloo', seed: config.seed, batchSize: config.batchSize, hub: hubOf(o, hooks), out: o.out });
  return runOnlineJob({
    name: 'rloo', out: o.out, resume: o.resume, reportTo: o.reportTo, setup, config,
    train: (store) => trainRloo({ policy: setup.policy, tokenizer: setup.tokenizer, prompts: setup.prompts, reward: setup.reward, store, config, quiet: o.quiet, ...generator }),
    headline: (l) => ({ score: l.score, kl: l.kl }),
  }, hooks);
}
