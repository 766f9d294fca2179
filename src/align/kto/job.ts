// `alignkit kto` as one library call: a model directory and an unpaired preference file (or a pair
// file, unpaired) in, a run directory out (the policy in <out>/model). The reference is
// `reference` or the starting model; its log-probabilities are computed once and kept in the run.
import { checkEach, declareConfig, num, optionalText, requiredText, valuesFor, type ConfigOf, type Overrides } from '../../config/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { saveModelDir } from '../../model/index.js';
import { frozenDtypeOption } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { finite } from '../trainer/checkpoint.js';
import { loadReference, readUnpairedSplit } from '../trainer/inputs.js';
import { loadTrainable, checkpointingOptions, loraOptions, loraRunConfig } from '../trainer/lora-options.js';
import { hubOf, noLog, runOptions, type JobHooks } from '../trainer/job.js';
import { ktoConfig } from './config.js';
import { trainKto, type KtoEval } from './kto.js';

export const ktoJobOptions = declareConfig('kto', {
  model: requiredText('language model directory to optimise (with its tokenizer); also the reference unless --reference', 'the language model directory to optimise', { aliases: ['model_name_or_path'], hub: 'model' }),
  data: requiredText('unpaired preference file (.jsonl/.json/.parquet) of {prompt, completion, label}, or pairs {prompt, chosen, rejected} to unpair', 'a file of {prompt, completion, label} records', { hub: 'dataset' }),
  evalData: optionalText('held-out file of the same kind (default: --eval-fraction of --data)', { hub: 'dataset' }),
  evalFraction: num(0.05, 'share of --data held out when --eval-data is not given', { min: 0, lt: 1 }),
  reference: optionalText('frozen reference model directory (default: --model as it starts)', { aliases: ['ref_model'], hub: 'model' }),
  frozenDtype: frozenDtypeOption,
  ...runOptions('runs/kto'),
  ...loraOptions.options,
  ...checkpointingOptions.options,
  ...ktoConfig.options,
}, checkEach(ktoConfig));

export type KtoJobOptions = ConfigOf<typeof ktoJobOptions>;

export interface KtoJobResult {
  out: string;
  model: string;
  step: number;
  eval: Pick<KtoEval, 'loss' | 'kl' | 'rewardMargin'> | null;
  trainExamples: number;
  evalExamples: number;
  /** Desirable share of the training examples. */
  desirable: number;
}

export async function runKtoJob(options: Overrides<typeof ktoJobOptions.options>, hooks: JobHooks = {}): Promise<KtoJobResult> {
  const o = await resolveModelOptions(ktoJobOptions.options, ktoJobOptions.resolve(options), hooks);
  const log = hooks.log ?? noLog;
  const config = ktoConfig.resolve(valuesFor(ktoConfig, o));
  const split = await readUnpairedSplit(o.data, o.evalData, o.evalFraction, o.seed, hubOf(o, hooks));
  const { model: policy, tokenizer } = loadTrainable(o.model, o, 'model', o.seed);
  const reference = loadReference(o.reference, policy, o.frozenDtype);
  const desirable = split.train.filter((e) => e.label).length / Math.max(1, split.train.length);
  const runConfig = { command: 'kto', model: o.model, reference: o.reference ?? null, data: o.data, evalData: o.evalData ?? null, evalFraction: o.evalFraction, ...loraRunConfig(o), ...config };
  const store = RunStore.open(o.out, runConfig, { resume: o.resume, reportTo: o.reportTo, resumeMayChange: ['steps', 'epochs'] });
  try {
    if (store.resumed) log(`resuming ${o.out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
    log(`${config.lossType}, β ${config.beta}: ${split.train.length} training examples (${(100 * desirable).toFixed(0)}% desirable) / ${split.eval.length} held out from ${o.data}`);
    const res = await trainKto({ policy, ...(reference ? { reference } : {}), tokenizer, examples: split.train, eval: split.eval, config, store, quiet: o.quiet });
    const fin = await store.stage(`final/step-${res.step}`, () => {
      store.saveModel((d) => saveModelDir(d, policy, { tokenizer }));
      return finite({ step: res.step, evalLoss: res.eval?.loss, evalKl: res.eval?.kl, evalMargin: res.eval?.rewardMargin });
    });
    const evalResult = fin.evalLoss !== undefined ? { loss: fin.evalLoss, kl: fin.evalKl!, rewardMargin: fin.evalMargin! } : null;
    return { out: o.out, model: store.modelPath, step: res.step, eval: evalResult, trainExamples: split.train.length, evalExamples: split.eval.length, desirable };
  } finally {
    store.close();
  }
}
