// What every training command shares as a library call: where its run goes (--out, --resume,
// --quiet, --report-to), and one output layout — the final model in <out>/model, resume points in
// <out>/checkpoints/, the run store's config.json, state.json, metrics.jsonl and samples/ beside.
import { bool, choice, num, optionalText, requiredText, text } from '../../config/index.js';
import type { HubOptions } from '../../hub/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { loadModelDir, saveModelDir, type Transformer } from '../../model/index.js';
import { REPORT_TARGETS, RunStore, type ReportTarget } from '../../runs/run-store.js';
import { chatTemplateKwargs, type TemplateKwargs } from '../../tokenizer/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { finite } from './checkpoint.js';
import { readPreferenceSplit } from './inputs.js';
import { loadTrainable, checkpointingOptions, loraOptions, loraRunConfig, type LoraOptions } from './lora-options.js';
import type { PreferencePair } from './preference-data.js';

export function runOptions(defaultOut: string) {
  return {
    out: text(defaultOut, 'run directory: the final model in <out>/model, checkpoints/, metrics.jsonl, samples/', { aliases: ['output_dir'] }),
    resume: bool(false, 'continue the run in --out from its last completed stage'),
    quiet: bool(false, 'no progress display'),
    reportTo: choice(REPORT_TARGETS, 'none', 'where metrics go besides metrics.jsonl: tensorboard writes event files beside it (tensorboard --logdir <out>)', { aliases: ['report_to'] }),
  };
}

/** Where a job reports what it is doing, a line at a time (the CLI prints them to stderr). */
export interface JobHooks {
  log?: (line: string) => void;
}

export const noLog = (): void => {};

/** How a job fetches Hub inputs: its --quiet silences the download progress, its log hears what was resolved. */
export function hubOf(o: { quiet?: boolean }, hooks: JobHooks): HubOptions {
  return { quiet: o.quiet === true, ...(hooks.log ? { log: hooks.log } : {}) };
}

/**
 * Copies the run's last policy, checkpoint `checkpoint`, to <out>/model in stage `final/<name>`:
 * named by the checkpoint, so a resume that adds iterations writes the new last policy.
 */
export async function saveLastPolicy(store: RunStore, checkpoint: string, tokenizer: Tokenizer): Promise<void> {
  await store.stage(`final/${checkpoint}`, () => {
    store.saveModel((d) => saveModelDir(d, loadModelDir(store.checkpointPath(checkpoint), { tokenizer: false }).model, { tokenizer }));
    return { policy: checkpoint };
  });
}

/** The inputs of a command that trains a policy on preference pairs: the model, the pairs, the held-out ones. */
export function pairInputOptions() {
  return {
    model: requiredText('language model directory to optimise (with its tokenizer)', 'the language model directory to optimise', { aliases: ['model_name_or_path'], hub: 'model' }),
    data: requiredText('preference file (.jsonl/.json/.parquet): {prompt, chosen, rejected}, strings or message lists (rendered with the tokenizer\'s chat template)', 'a preference file of {prompt, chosen, rejected} records', { hub: 'dataset' }),
    chatTemplateKwargs,
    evalData: optionalText('held-out preference file (default: --eval-fraction of --data)', { hub: 'dataset' }),
    evalFraction: num(0.05, 'share of --data held out when --eval-data is not given', { min: 0, lt: 1 }),
    ...loraOptions.options,
  ...checkpointingOptions.options,
  };
}

export interface PairJobResult {
  out: string;
  model: string;
  step: number;
  /** Held-out loss, accuracy and margin of the final policy (null without held-out pairs). */
  eval: { loss: number; accuracy: number; margin: number } | null;
  trainPairs: number;
  evalPairs: number;
}

interface PairJobInputs extends Partial<LoraOptions> {
  name: string; model: string; data: string; evalData?: string | undefined; evalFraction: number; chatTemplateKwargs: TemplateKwargs;
  out: string; resume: boolean; quiet: boolean; seed: number; reportTo?: ReportTarget | undefined;
}

/**
 * A reference-free pair job (ORPO, CPO, SimPO): reads the pairs and the model before the run
 * directory is touched, trains, and leaves the policy in <out>/model.
 */
export async function runPairJob(given: PairJobInputs, config: Record<string, unknown>, hooks: JobHooks,
  train: (policy: Transformer, tokenizer: Tokenizer, split: { train: PreferencePair[]; eval: PreferencePair[] }, store: RunStore) => Promise<{ step: number; eval: { loss: number; accuracy: number; margin: number } | null }>): Promise<PairJobResult> {
  const o = await resolveModelOptions(pairInputOptions(), given, hooks);
  const log = hooks.log ?? noLog;
  const { model: policy, tokenizer } = loadTrainable(o.model, o, 'model', o.seed);
  const split = await readPreferenceSplit(o.data, o.evalData, o.evalFraction, o.seed, { tokenizer, kwargs: o.chatTemplateKwargs }, hubOf(o, hooks));
  const runConfig = {
    command: o.name, model: o.model, data: o.data, evalData: o.evalData ?? null, evalFraction: o.evalFraction, chatTemplateKwargs: o.chatTemplateKwargs, ...loraRunConfig(o), ...config,
  };
  const store = RunStore.open(o.out, runConfig, { resume: o.resume, reportTo: o.reportTo, resumeMayChange: ['steps', 'epochs'] });
  try {
    if (store.resumed) log(`resuming ${o.out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
    log(`${split.train.length} training / ${split.eval.length} held-out pairs from ${o.data}; policy ${o.model}, no reference model`);
    const res = await train(policy, tokenizer, split, store);
    const fin = await store.stage(`final/step-${res.step}`, () => {
      store.saveModel((d) => saveModelDir(d, policy, { tokenizer }));
      return finite({ step: res.step, evalLoss: res.eval?.loss, evalAccuracy: res.eval?.accuracy, evalMargin: res.eval?.margin });
    });
    const evalResult = fin.evalAccuracy !== undefined ? { loss: fin.evalLoss!, accuracy: fin.evalAccuracy, margin: fin.evalMargin! } : null;
    return { out: o.out, model: store.modelPath, step: res.step, eval: evalResult, trainPairs: split.train.length, evalPairs: split.eval.length };
  } finally {
    store.close();
  }
}

/** "orpo: done, step 200, held-out loss …": the last line a pair command prints. */
export function describePairJob(name: string, r: PairJobResult): string {
  const held = r.eval ? `held-out loss ${r.eval.loss.toFixed(4)}, accuracy ${r.eval.accuracy.toFixed(3)}, margin ${r.eval.margin.toFixed(3)}` : 'no held-out pairs';
  return `${name}: done, step ${r.step}, ${held}; policy in ${r.model}`;
}
