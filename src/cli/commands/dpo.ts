// `alignkit dpo`: Direct Preference Optimisation of a language model on preference pairs, with
// the sigmoid (DPO), IPO, cDPO and robust losses. The reference is --reference or the starting
// --model; its log-probabilities are computed once and kept in the run. The trained policy is
// left in <out>/checkpoints/final.
import { saveModelDir } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { DPO_VARIANTS, resolveDpoConfig } from '../../align/dpo/config.js';
import { trainDpo } from '../../align/dpo/dpo.js';
import { finite } from '../../align/trainer/checkpoint.js';
import type { DpoVariant } from '../../align/losses/index.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, required, str, UsageError, type OptionSpecs } from '../args.js';
import { loadWithTokenizer, readPreferenceSplit } from '../../align/trainer/inputs.js';

const specs: OptionSpecs = {
  model: { type: 'string', help: 'language model directory to optimise (with tokenizer.json); also the reference unless --reference' },
  data: { type: 'string', help: 'preference file (.jsonl/.json/.parquet): {prompt, chosen, rejected}, strings or message lists' },
  'eval-data': { type: 'string', help: 'held-out preference file (default: --eval-fraction of --data)' },
  'eval-fraction': { type: 'number', help: 'share of --data held out when --eval-data is not given', default: 0.05 },
  reference: { type: 'string', help: 'frozen reference model directory (default: --model as it starts)' },
  out: { type: 'string', help: 'run directory: metrics.jsonl, checkpoints/step-N, checkpoints/final', default: 'runs/dpo' },
  variant: { type: 'string', help: `loss: ${DPO_VARIANTS.join(', ')}`, default: 'sigmoid' },
  beta: { type: 'number', help: 'β, strength of the tie to the reference', default: 0.1 },
  'label-smoothing': { type: 'number', help: 'ε, assumed rate of flipped labels (cdpo and robust need it > 0)', default: 0 },
  steps: { type: 'number', help: 'optimizer steps', default: 200 },
  'batch-size': { type: 'number', help: 'preference pairs per step', default: 8 },
  lr: { type: 'number', help: 'peak learning rate', default: 1e-4 },
  warmup: { type: 'number', help: 'warm-up steps', default: 10 },
  'max-len': { type: 'number', help: 'longest prompt + completion in tokens (0: the model\'s maximum)', default: 0 },
  'eval-every': { type: 'number', help: 'held-out loss, accuracy and margin every N steps', default: 50 },
  'save-every': { type: 'number', help: 'checkpoint (and resume point) every N steps', default: 100 },
  seed: { type: 'number', help: 'seed of the data order and the held-out split', default: 0 },
  resume: { type: 'boolean', help: 'continue the run in --out from its last checkpoint' },
  quiet: { type: 'boolean', help: 'no progress display' },
};

export const dpoCommand: Command = {
  name: 'dpo',
  summary: 'direct preference optimisation (DPO, IPO, cDPO, robust DPO) on preference pairs',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('dpo', this.summary, specs, [
        'alignkit dpo --model runs/sft --data prefs.jsonl --out runs/dpo',
        'alignkit dpo --model runs/sft --data prefs.jsonl --variant cdpo --label-smoothing 0.1 --beta 0.2 --out runs/cdpo --resume',
      ]));
      return 0;
    }
    const modelDir = required(p, 'model', 'the language model directory to optimise');
    const data = required(p, 'data', 'a preference file of {prompt, chosen, rejected} records');
    const variant = str(p, 'variant') as DpoVariant, eps = num(p, 'label-smoothing');
    if (!DPO_VARIANTS.includes(variant)) throw new UsageError(`--variant ${variant}: expected one of ${DPO_VARIANTS.join(', ')}`);
    if ((variant === 'cdpo' || variant === 'robust') && !(eps > 0)) throw new UsageError(`--variant ${variant} needs --label-smoothing in (0, 0.5), the assumed rate of flipped labels`);
    const out = str(p, 'out')!, seed = num(p, 'seed');
    const config = {
      beta: num(p, 'beta'), variant, labelSmoothing: eps, steps: num(p, 'steps'), batchSize: num(p, 'batch-size'), lr: num(p, 'lr'),
      warmupSteps: num(p, 'warmup'), maxLen: num(p, 'max-len'), evalEvery: num(p, 'eval-every'), saveEvery: num(p, 'save-every'), seed,
    };
    try {
      resolveDpoConfig(config);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const split = await readPreferenceSplit(data, str(p, 'eval-data'), num(p, 'eval-fraction'), seed);
    const { model: policy, tokenizer } = loadWithTokenizer(modelDir, 'model');
    const refDir = str(p, 'reference');
    // Loaded before the run directory is touched, so that a bad --reference leaves nothing behind.
    const reference = refDir ? loadWithTokenizer(refDir, 'reference').model : undefined;
    if (reference && reference.config.vocabSize !== policy.config.vocabSize) {
      throw new UsageError(`--reference ${refDir}: vocabulary of ${reference.config.vocabSize} ids, but --model has ${policy.config.vocabSize}; the two must share a tokenizer`);
    }
    const runConfig = { command: 'dpo', model: modelDir, reference: refDir ?? null, data, evalData: str(p, 'eval-data') ?? null, evalFraction: num(p, 'eval-fraction'), ...config };
    const store = RunStore.open(out, runConfig, { resume: flag(p, 'resume'), resumeMayChange: ['steps'] });
    const finalStage = `final/step-${config.steps}`;
    try {
      if (store.resumed) console.error(`dpo: resuming ${out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
      console.error(`dpo (${variant}, β ${config.beta}): ${split.train.length} training / ${split.eval.length} held-out pairs from ${data}; policy ${modelDir}, reference ${refDir ?? 'a copy of the policy'}`);
      const res = await trainDpo({ policy, ...(reference ? { reference } : {}), tokenizer, pairs: split.train, eval: split.eval, config, store, quiet: flag(p, 'quiet') });
      if (res.truncated) console.error(`dpo: ${res.truncated} training pairs lost the start of their prompt to fit ${config.maxLen || policy.config.maxSeqLen} tokens`);
      if (!store.isDone(finalStage)) {
        store.saveCheckpoint('final', (d) => saveModelDir(d, policy, { tokenizer }));
        store.completeStage(finalStage, finite({ step: res.step, evalLoss: res.eval?.loss, evalAccuracy: res.eval?.accuracy, evalMargin: res.eval?.margin }));
      }
      const fin = store.stageResult<{ evalLoss?: number; evalAccuracy?: number; evalMargin?: number }>(finalStage);
      const held = fin.evalAccuracy !== undefined
        ? `held-out loss ${fin.evalLoss?.toFixed(4)}, accuracy ${fin.evalAccuracy.toFixed(3)}, margin ${fin.evalMargin?.toFixed(3)}`
        : 'no held-out pairs';
      console.log(`dpo: done, step ${res.step}, ${held}; policy in ${store.checkpointPath('final')}`);
    } finally {
      store.close();
    }
    return 0;
  },
};
