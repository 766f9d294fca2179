// `alignkit dpo` as one library call: a model directory and a preference file in, a run directory
// out (the policy in <out>/model). The reference is `reference` or the starting model; its
// log-probabilities are computed once and kept in the run, so a resume never loads it again.
import { ConfigError, checkEach, declareConfig, num, optionalText, requiredText, valuesFor, type ConfigOf, type Overrides } from '../../config/index.js';
import { chatTemplateKwargs } from '../../tokenizer/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { saveModelDir } from '../../model/index.js';
import { frozenDtypeOption } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { finite } from '../trainer/checkpoint.js';
import { loadReference } from '../trainer/inputs.js';
import { loadTrainable, checkpointingOptions, loraOptions, loraRunConfig } from '../trainer/lora-options.js';
import { checkJudgeInputs, judgeOptions, judgeSource } from '../judge/options.js';
import { readPairsOrJudge } from '../judge/judged-pairs.js';
import { hubOf, noLog, runOptions, type JobHooks } from '../trainer/job.js';
import { dpoConfig } from './config.js';
import { trainDpo, type DpoEval } from './dpo.js';

export const dpoJobOptions = declareConfig('dpo', {
  model: requiredText('language model directory to optimise (with its tokenizer); also the reference unless --reference', 'the language model directory to optimise', { aliases: ['model_name_or_path'], hub: 'model' }),
  data: requiredText('preference file (.jsonl/.json/.parquet): {prompt, chosen, rejected}, strings or message lists (rendered with the tokenizer\'s chat template)', 'a preference file of {prompt, chosen, rejected} records', { hub: 'dataset' }),
  chatTemplateKwargs,
  evalData: optionalText('held-out preference file (default: --eval-fraction of --data)', { hub: 'dataset' }),
  evalFraction: num(0.05, 'share of --data held out when --eval-data is not given', { min: 0, lt: 1 }),
  reference: optionalText('frozen reference model directory (default: --model as it starts)', { aliases: ['ref_model'], hub: 'model' }),
  ...judgeOptions,
  frozenDtype: frozenDtypeOption,
  ...runOptions('runs/dpo'),
  ...loraOptions.options,
  ...checkpointingOptions.options,
  ...dpoConfig.options,
}, (o) => {
  checkJudgeInputs('dpo', o);
  checkEach(dpoConfig)(o);
  if (o.referenceFree && o.reference !== undefined) throw new ConfigError(`dpo config: give referenceFree or reference, not both (got reference ${o.reference})`, 'reference');
});

export type DpoJobOptions = ConfigOf<typeof dpoJobOptions>;

export interface DpoJobResult {
  /** The run directory and the trained policy in it. */
  out: string;
  model: string;
  step: number;
  /** Held-out loss, accuracy and margin of the final policy (null without held-out pairs). */
  eval: Pick<DpoEval, 'loss' | 'accuracy' | 'margin'> | null;
  trainPairs: number;
  evalPairs: number;
  /** Training pairs whose prompt lost its start to fit maxLen. */
  truncated: number;
}

export async function runDpoJob(options: Overrides<typeof dpoJobOptions.options>, hooks: JobHooks = {}): Promise<DpoJobResult> {
  const o = await resolveModelOptions(dpoJobOptions.options, dpoJobOptions.resolve(options), hooks);
  const log = hooks.log ?? noLog;
  const config = dpoConfig.resolve(valuesFor(dpoConfig, o));
  const { model: policy, tokenizer } = loadTrainable(o.model, o, 'model', o.seed);
  const split = await readPairsOrJudge(o, { tokenizer, kwargs: o.chatTemplateKwargs }, hubOf(o, hooks));
  // Loaded before the run directory is touched, so that a bad --reference leaves nothing behind.
  const reference = loadReference(o.reference, policy, o.frozenDtype);
  const runConfig = {
    command: 'dpo', model: o.model, reference: o.reference ?? null, data: o.data, evalData: o.evalData ?? null, evalFraction: o.evalFraction,
    chatTemplateKwargs: o.chatTemplateKwargs, ...loraRunConfig(o), ...(o.judge ? { judge: judgeSource(o) } : {}), ...config,
  };
  const store = RunStore.open(o.out, runConfig, { resume: o.resume, reportTo: o.reportTo, resumeMayChange: ['steps', 'epochs'] });
  try {
    if (store.resumed) log(`resuming ${o.out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
    split.save(o.out);
    for (const n of split.notes) log(n);
    log(`${[config.lossType].flat().join('+')}${config.referenceFree ? ' (reference-free)' : ''}, β ${config.beta}: ${split.train.length} training / ${split.eval.length} held-out pairs from ${o.data}; policy ${o.model}, reference ${o.reference ?? 'a copy of the policy'}`);
    const res = await trainDpo({ policy, ...(reference ? { reference } : {}), tokenizer, pairs: split.train, eval: split.eval, config, store, quiet: o.quiet });
    if (res.truncated) log(`${res.truncated} training pairs lost the start of their prompt to fit ${config.maxLen || policy.config.maxSeqLen} tokens`);
    // Named by the step count, so that a resume with more steps writes a new final model.
    const fin = await store.stage(`final/step-${res.step}`, () => {
      store.saveModel((d) => saveModelDir(d, policy, { tokenizer }));
      return finite({ step: res.step, evalLoss: res.eval?.loss, evalAccuracy: res.eval?.accuracy, evalMargin: res.eval?.margin });
    });
    const evalResult = fin.evalAccuracy !== undefined ? { loss: fin.evalLoss!, accuracy: fin.evalAccuracy, margin: fin.evalMargin! } : null;
    return { out: o.out, model: store.modelPath, step: res.step, eval: evalResult, trainPairs: split.train.length, evalPairs: split.eval.length, truncated: res.truncated };
  } finally {
    store.close();
  }
}
