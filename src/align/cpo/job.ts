// `alignkit cpo` and `alignkit simpo` as library calls: a model directory and a preference file
// in, a run directory out (the policy in <out>/model). No reference model.
import { checkEach, declareConfig, valuesFor, type ConfigDecl, type ConfigOf, type Overrides } from '../../config/index.js';
import { pairInputOptions, runOptions, runPairJob, type JobHooks, type PairJobResult } from '../trainer/job.js';
import { cpoConfig, simpoConfig } from './config.js';
import { trainCpo } from './cpo.js';

const jobOf = (name: string, config: typeof cpoConfig) => declareConfig(name, {
  ...pairInputOptions(),
  ...runOptions(`runs/${name}`),
  ...config.options,
}, checkEach(config as ConfigDecl));

export const cpoJobOptions = jobOf('cpo', cpoConfig);
export const simpoJobOptions = jobOf('simpo', simpoConfig);

export type CpoJobOptions = ConfigOf<typeof cpoJobOptions>;

async function run(name: 'cpo' | 'simpo', options: Overrides<typeof cpoJobOptions.options>, hooks: JobHooks): Promise<PairJobResult> {
  const job = name === 'cpo' ? cpoJobOptions : simpoJobOptions, trainer = name === 'cpo' ? cpoConfig : simpoConfig;
  const o = job.resolve(options);
  const config = trainer.resolve(valuesFor(trainer, o));
  return runPairJob({ name, ...o }, config, hooks,
    (policy, tokenizer, split, store) => trainCpo({ name, policy, tokenizer, pairs: split.train, eval: split.eval, config, store, quiet: o.quiet }));
}

export const runCpoJob = (options: Overrides<typeof cpoJobOptions.options>, hooks: JobHooks = {}): Promise<PairJobResult> => run('cpo', options, hooks);
export const runSimpoJob = (options: Overrides<typeof simpoJobOptions.options>, hooks: JobHooks = {}): Promise<PairJobResult> => run('simpo', options, hooks);
