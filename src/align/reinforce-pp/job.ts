// `alignkit reinforce-pp` as one library call: a policy directory, a reward (a task's verifier, a
// reward model, reward modules, or several) and prompts in; a run directory out, the policy in <out>/model.
import { checkEach, declareConfig, valuesFor, type ConfigOf, type Overrides } from '../../config/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { checkOnlineInputs, onlineInputOptions, readOnlineSetup } from '../rollout/job-inputs.js';
import { runOnlineJob, type OnlineJobResult } from '../rollout/job-run.js';
import { hubOf, runOptions, type JobHooks } from '../trainer/job.js';
import { reinforcePpConfig } from './config.js';
import { trainReinforcePp } from './reinforce-pp.js';

export const reinforcePpJobOptions = declareConfig('reinforce-pp', {
  ...onlineInputOptions,
  ...runOptions('runs/reinforce-pp'),
  ...reinforcePpConfig.options,
}, (o) => {
  checkOnlineInputs('reinforce-pp', o);
  checkEach(reinforcePpConfig)(o);
});

export type ReinforcePpJobOptions = ConfigOf<typeof reinforcePpJobOptions>;

export async function runReinforcePpJob(options: Overrides<typeof reinforcePpJobOptions.options>, hooks: JobHooks = {}): Promise<OnlineJobResult> {
  const o = await resolveModelOptions(reinforcePpJobOptions.options, reinforcePpJobOptions.resolve(options), hooks);
  const config = reinforcePpConfig.resolve(valuesFor(reinforcePpConfig, o));
  const setup = await readOnlineSetup(o, { name: 'reinforce-pp', seed: config.seed, batchSize: config.batchSize, hub: hubOf(o, hooks), out: o.out });
  return runOnlineJob({
    name: 'reinforce-pp', out: o.out, resume: o.resume, reportTo: o.reportTo, setup, config,
    train: (store) => trainReinforcePp({ policy: setup.policy, tokenizer: setup.tokenizer, prompts: setup.prompts, reward: setup.reward, store, config, quiet: o.quiet }),
    headline: (l) => ({ score: l.score, kl: l.kl }),
  }, hooks);
}
