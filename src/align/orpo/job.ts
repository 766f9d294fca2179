// `alignkit orpo` as one library call: a model directory and a preference file in, a run
// directory out (the policy in <out>/model). No reference model.
import { checkEach, declareConfig, valuesFor, type ConfigOf, type Overrides } from '../../config/index.js';
import { pairInputOptions, runOptions, runPairJob, type JobHooks, type PairJobResult } from '../trainer/job.js';
import { orpoConfig } from './config.js';
import { trainOrpo } from './orpo.js';

export const orpoJobOptions = declareConfig('orpo', {
  ...pairInputOptions(),
  ...runOptions('runs/orpo'),
  ...orpoConfig.options,
}, checkEach(orpoConfig));

export type OrpoJobOptions = ConfigOf<typeof orpoJobOptions>;

export async function runOrpoJob(options: Overrides<typeof orpoJobOptions.options>, hooks: JobHooks = {}): Promise<PairJobResult> {
  const o = orpoJobOptions.resolve(options);
  const config = orpoConfig.resolve(valuesFor(orpoConfig, o));
  return runPairJob({ name: 'orpo', ...o }, config, hooks,
    (policy, tokenizer, split, store) => trainOrpo({ policy, tokenizer, pairs: split.train, eval: split.eval, config, store, quiet: o.quiet }));
}
