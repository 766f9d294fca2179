// `alignkit rest-em` as one library call: a base model (and optionally a seed policy) and a task
// with a verifier in, a run directory out — every E-step sample with its verdict and kept flag in
// <out>/samples/, each iteration's policy in <out>/checkpoints/iter<i>, the last one in <out>/model.
import { declareConfig, optionalText, requiredText, valuesFor, type ConfigInput, type ConfigOf, type Option, type Overrides } from '../../config/index.js';
import { languageOption, loadCodeTaskInput } from '../../data/tasks/code-task.js';
import { describeTask, loadTaskInput, taskInputOptions } from '../../data/tasks/task-input.js';
import { resolveModelOptions } from '../../hub/index.js';
import { loadModelDir } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { sftConfig } from '../sft/config.js';
import { loadTrainable, checkpointingOptions, loraOptions, loraRunConfig } from '../trainer/lora-options.js';
import { noLog, runOptions, saveLastPolicy, type JobHooks } from '../trainer/job.js';
import { generatorOptions, openGenerator } from '../trainer/generator/options.js';
import { restEmConfig, type RestEmConfig } from './config.js';
import { restEmPolicyName, runRestEm, type RestEmRow } from './rest-em.js';

// The M-step is SFT: the job exposes its learning rate (the command's --lr) and keeps SFT's
// other settings, which runRestEm sets per M-step.
const { mStep: _mStep, evalN, ...restEmOptions } = restEmConfig.options;

/** The declared option, left out unless given: its value then follows from other options. */
function unlessGiven<T>(o: Option<T>, help: string): Option<T | undefined> {
  return { ...o, default: undefined, schema: o.schema.optional(), help };
}

export const restEmJobOptions = declareConfig('rest-em', {
  model: requiredText('base model directory with its tokenizer: every M-step starts from it', 'the base model directory', { aliases: ['model_name_or_path'], hub: 'model' }),
  policy: optionalText('iteration-0 policy directory, e.g. a seed SFT model (default: the base model)', { hub: 'model' }),
  ...taskInputOptions('arithmetic'),
  language: languageOption(),
  ...runOptions('runs/rest-em'),
  ...loraOptions.options,
  ...checkpointingOptions.options,
  ...restEmOptions,
  evalN: unlessGiven(evalN, 'samples per test problem for pass@k, at least k (default: 2·k)'),
  lr: sftConfig.options.lr,
  ...generatorOptions,
}, (c) => { restEmConfig.resolve(restEmInput(c)); });

export type RestEmJobOptions = ConfigOf<typeof restEmJobOptions>;

/** The trainer's config from the job's flat options: evalN = 2k unless given, the M-step's lr. */
function restEmInput(o: RestEmJobOptions): ConfigInput<typeof restEmConfig> {
  return { ...valuesFor(restEmConfig, o), evalN: o.evalN ?? 2 * o.evalK, mStep: { lr: o.lr } };
}

export interface RestEmJobResult {
  /** The run directory, and the last iteration's policy in it. */
  out: string;
  model: string;
  /** That policy's checkpoint name (iter<N>). */
  policy: string;
  /** One row per iteration, 0 being the starting policy. */
  rows: RestEmRow[];
}

export async function runRestEmJob(options: Overrides<typeof restEmJobOptions.options>, hooks: JobHooks = {}): Promise<RestEmJobResult> {
  const o = await resolveModelOptions(restEmJobOptions.options, restEmJobOptions.resolve(options), hooks);
  const log = hooks.log ?? noLog;
  const config: RestEmConfig = restEmConfig.resolve(restEmInput(o));
  const generator = openGenerator(o, o.out, log);
  // taskInputOptions declares a default task, so o.task is always set.
  const input = { task: o.task as string, taskOpts: o.taskOpts, matcher: o.matcher, verifier: o.verifier, testData: o.testData, seed: o.seed };
  const task = o.language === undefined ? await loadTaskInput(input) : await loadCodeTaskInput({ ...input, language: o.language });
  log(describeTask(task));
  const { model: base, tokenizer } = loadTrainable(o.model, o, 'model', o.seed);
  const policy0 = o.policy ? loadModelDir(o.policy, { tokenizer: false }).model : base.clone();
  if (policy0.config.vocabSize !== base.config.vocabSize) {
    throw new RangeError(`--policy ${o.policy}: vocabulary of ${policy0.config.vocabSize} ids, but --model has ${base.config.vocabSize}; the two must share a tokenizer`);
  }
  const runConfig = {
    command: 'rest-em', model: o.model, policy: o.policy ?? null, task: o.task, taskOpts: o.taskOpts, matcher: o.matcher ?? null, verifier: o.verifier ?? null,
    ...(o.testData ? { testData: o.testData } : {}), ...(o.language !== undefined ? { language: o.language } : {}), ...loraRunConfig(o), ...config,
  };
  const store = RunStore.open(o.out, runConfig, { resume: o.resume, reportTo: o.reportTo, resumeMayChange: ['iterations'] });
  try {
    if (store.resumed) log(`resuming ${o.out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
    const rows = await runRestEm({ base, policy0, tokenizer, task, store, config, quiet: o.quiet, log, generator });
    const last = restEmPolicyName(config.iterations);
    await saveLastPolicy(store, last, tokenizer);
    return { out: o.out, model: store.modelPath, policy: last, rows };
  } finally {
    store.close();
  }
}
