// `alignkit ppo` as one library call: a policy directory, a reward (a task's verifier, a reward
// model, or both) and prompts in; a run directory out, the policy in <out>/model. The critic is a
// value head on the policy's trunk, or a copy of the reward model whose `score` head learns values.
import { ConfigError, checkEach, choice, declareConfig, valuesFor, type ConfigOf, type Overrides } from '../../config/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { widenFrozen } from '../../model/index.js';
import { checkOnlineInputs, onlineInputOptions, readOnlineSetup } from '../rollout/job-inputs.js';
import { runOnlineJob, type OnlineJobResult } from '../rollout/job-run.js';
import { hubOf, runOptions, type JobHooks } from '../trainer/job.js';
import { generatorOptions, generatorSyncOptions, onlineGenerator } from '../trainer/generator/options.js';
import { ppoConfig } from './config.js';
import { trainPpo } from './ppo.js';

const CRITICS = ['head', 'reward-model'] as const;

export const ppoJobOptions = declareConfig('ppo', {
  ...onlineInputOptions,
  critic: choice(CRITICS, 'head', 'value function: head (v_head on the policy trunk) or reward-model (a separate copy of --reward-model)'),
  ...runOptions('runs/ppo'),
  ...ppoConfig.options,
  ...generatorOptions,
  ...generatorSyncOptions,
}, (o) => {
  checkOnlineInputs('ppo', o);
  if (o.critic === 'reward-model' && !o.rewardModel) throw new ConfigError('ppo config: critic reward-model needs rewardModel, whose copy learns the values', 'critic');
  checkEach(ppoConfig)(o);
});

export type PpoJobOptions = ConfigOf<typeof ppoJobOptions>;

export async function runPpoJob(options: Overrides<typeof ppoJobOptions.options>, hooks: JobHooks = {}): Promise<OnlineJobResult> {
  const o = await resolveModelOptions(ppoJobOptions.options, ppoJobOptions.resolve(options), hooks);
  const config = ppoConfig.resolve(valuesFor(ppoConfig, o));
  const generator = onlineGenerator(o, o.out, hooks.log);
  const setup = await readOnlineSetup(o, { name: 'ppo', seed: config.seed, batchSize: config.batchSize, hub: hubOf(o, hooks), out: o.out });
  // A copy: the reward model itself must stay as it is, it scores every rollout.
  // Widened: the critic trains every weight, and the reward model's may be frozen 16-bit ones.
  const critic = o.critic === 'reward-model' ? { model: widenFrozen(setup.rewardModel!.clone()), head: 'score' } : null;
  if (critic) critic.model.gradientCheckpointing = o.gradientCheckpointing; // it trains too
  return runOnlineJob({
    name: 'ppo', out: o.out, resume: o.resume, reportTo: o.reportTo, setup, config: { critic: o.critic, ...config },
    train: (store) => trainPpo({ policy: setup.policy, critic, tokenizer: setup.tokenizer, prompts: setup.prompts, reward: setup.reward, store, config, quiet: o.quiet, ...generator }),
    headline: (l) => ({ score: l.score, kl: l.kl, beta: l.beta }),
  }, hooks);
}
