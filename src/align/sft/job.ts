// `alignkit sft` as one library call: text (a built-in corpus or a dataset file) in, a run
// directory out with the model in <out>/model. The model is a fresh one (family, width, depth,
// heads, tokenizer) or a model directory to fine-tune; every option is checked, the text read
// and the model built before anything is written, so a bad option leaves no <out> behind.
import { totalmem } from 'node:os';
import { ConfigError, choice, declareConfig, int, num, optionalNum, optionalText, text, valuesFor, type ConfigOf, type Overrides } from '../../config/index.js';
import { TRUNCATIONS } from '../../data/lm-examples.js';
import { describeTruncation, readSource, sourceText, textSourceOptions, checkTextSource, toExamples, type SourceExamples, type TextSource } from '../../data/text-source.js';
import { chatTemplateKwargs } from '../../tokenizer/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { defaultConfig, saveModelDir, Transformer } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { makeTokenizer, TOKENIZER_SPEC_WORDS } from '../../tokenizer/from-spec.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { finite } from '../trainer/checkpoint.js';
import { loadTrainable, checkpointingOptions, loraOptions, loraRunConfig, prepareForTraining } from '../trainer/lora-options.js';
import { hubOf, noLog, runOptions, type JobHooks } from '../trainer/job.js';
import { sftConfig, type SftConfig } from './config.js';
import { trainSft } from './sft.js';

/** A fresh model's shape must be one the transformer can build (model/config.ts's validateConfig), checked here to name the flags. */
function checkFreshModel(c: { model?: string | undefined; family: string; dModel: number; layers: number; heads: number; kvHeads?: number | undefined; seqLen: number }): void {
  if (c.model !== undefined) return;
  const kv = c.kvHeads ?? c.heads;
  if (c.dModel % c.heads !== 0) throw new ConfigError(`sft config: heads ${c.heads} must divide dModel ${c.dModel}`, 'heads');
  if (c.heads % kv !== 0) throw new ConfigError(`sft config: kvHeads ${kv} must divide heads ${c.heads}`, 'kvHeads');
  if (c.family === 'gpt2' && kv !== c.heads) throw new ConfigError(`sft config: family gpt2 has no grouped-query attention, so kvHeads ${kv} must equal heads ${c.heads}`, 'kvHeads');
  // RoPE rotates pairs of a head's dimensions.
  if (c.family === 'llama' && (c.dModel / c.heads) % 2 !== 0) throw new ConfigError(`sft config: family llama needs an even head size, dModel / heads = ${c.dModel / c.heads}`, 'heads');
  // A lower bound (the blocks' matrices and the position table, no vocabulary): weights,
  // gradients and AdamW's two moments take 4 bytes each per parameter. Refused here, by name,
  // rather than as an allocation failure halfway through building the model.
  const params = 12 * c.layers * c.dModel ** 2 + Math.max(c.seqLen, 256) * c.dModel;
  if (16 * params > totalmem()) {
    throw new ConfigError(`sft config: dModel ${c.dModel} with layers ${c.layers} makes at least ${params.toExponential(2)} parameters, whose weights, `
      + `gradients and AdamW moments (${(16 * params / 2 ** 30).toFixed(0)} GiB) exceed this machine's memory (${(totalmem() / 2 ** 30).toFixed(0)} GiB)`, 'dModel');
  }
}

export const sftJobOptions = declareConfig('sft', {
  ...textSourceOptions({
    corpus: 'built-in corpus to train on (every 20th document held out)',
    data: 'dataset file (.jsonl/.json/.parquet: text, prompt/completion or messages; .txt: plain text, paragraphs as documents), --eval-fraction held out; chats use the tokenizer\'s chat template',
  }),
  /** 5%: enough held-out loss to see overfitting on a small file, little taken from training. */
  evalFraction: num(0.05, 'share of --data held out for the evaluation loss (0: none), unless --eval-data', { min: 0, lt: 1, aliases: ['eval_fraction'] }),
  evalData: optionalText('held-out dataset file of the same format as --data (then all of --data trains)', { aliases: ['eval_dataset'], hub: 'dataset' }),
  chatTemplateKwargs,
  truncation: choice(TRUNCATIONS, 'keep-start', 'a prompt + completion longer than --seq-len: keep-start (cut its end), keep-end (cut the start of the prompt) or drop it', { aliases: ['truncation_mode'] }),
  model: optionalText('model directory (with its tokenizer) to fine-tune instead of a fresh model', { aliases: ['model_name_or_path'], hub: 'model' }),
  tokenizer: text('byte', `tokenizer of a fresh model: ${TOKENIZER_SPEC_WORDS}`),
  family: choice(['gpt2', 'llama'], 'gpt2', 'architecture of a fresh model'),
  dModel: int(128, 'width of a fresh model', { min: 1 }),
  layers: int(4, 'transformer blocks of a fresh model', { min: 1 }),
  heads: int(4, 'attention heads of a fresh model', { min: 1 }),
  kvHeads: optionalNum('key/value heads of a fresh llama, fewer than --heads for grouped-query attention (default: --heads)', { integer: true, min: 1 }),
  ...runOptions('runs/sft'),
  ...loraOptions.options,
  ...checkpointingOptions.options,
  ...sftConfig.options,
}, (c) => {
  checkTextSource('sft', c);
  if (c.evalData !== undefined && c.data === undefined) throw new ConfigError('sft config: evalData is held out from a dataset file; give data too (a corpus holds out every 20th document)', 'evalData');
  checkFreshModel(c);
  sftConfig.resolve(valuesFor(sftConfig, c));
});

export type SftJobOptions = ConfigOf<typeof sftJobOptions>;

export interface SftJobResult {
  /** The run directory and the trained model in it. */
  out: string;
  model: string;
  step: number;
  /** Training loss of the last step and the last held-out loss (null when there was none). */
  loss: number | null;
  evalLoss: number | null;
  trainExamples: number;
  evalExamples: number;
  parameters: number;
  /** For prompt/completion data: what --truncation did to the training and held-out pairs (null for text). */
  truncation: SourceExamples['truncation'];
}

/** The token examples of the text, with a line on what truncation did, or an error saying why none is left. */
function examplesOf(o: SftJobOptions, src: TextSource, tokenizer: Tokenizer, seqLen: number, log: (s: string) => void): SourceExamples {
  const ex = toExamples(src, tokenizer, seqLen, o.truncation, o.chatTemplateKwargs);
  const t = ex.truncation;
  if (t) {
    const train = describeTruncation(t.train, seqLen, o.truncation), held = describeTruncation(t.eval, seqLen, o.truncation);
    if (train) log(`${src.name}: training set: ${train}`);
    if (held) log(`${src.name}: held-out set: ${held}`);
  }
  if (ex.train.length > 0) return ex;
  if (!t) throw new Error(`${src.name}: no training sequence of --seq-len ${seqLen}: the text is shorter than one window`);
  const fix = o.truncation === 'keep-end' ? 'raise --seq-len' : 'raise --seq-len or give --truncation keep-end';
  throw new Error(`${src.name}: no training example left: ${describeTruncation(t.train, seqLen, o.truncation) ?? `all ${t.train.examples} have an empty completion`}; ${fix}`);
}

/** The model to train and its tokenizer: --model, or a fresh one of the declared shape. */
function startingModel(o: SftJobOptions, src: TextSource): { model: Transformer; tokenizer: Tokenizer } {
  if (o.model !== undefined) return loadTrainable(o.model, o, 'model', o.seed);
  const tokenizer = makeTokenizer(o.tokenizer, () => sourceText(src));
  const cfg = defaultConfig(o.family, {
    // Room for longer prompts when the model is later sampled or fine-tuned.
    vocabSize: tokenizer.vocabSize, maxSeqLen: Math.max(o.seqLen, 256), dModel: o.dModel, nLayer: o.layers, nHead: o.heads, nKvHead: o.kvHeads ?? o.heads,
  });
  return { model: prepareForTraining(new Transformer(cfg, undefined, o.seed), o, null, o.seed), tokenizer };
}

/** What config.json records, and a resume must match: the text, where the model came from, the training settings. */
function runConfigOf(o: SftJobOptions, config: SftConfig): Record<string, unknown> {
  const start = o.model !== undefined
    ? { model: o.model }
    : { tokenizer: o.tokenizer, family: o.family, dModel: o.dModel, layers: o.layers, heads: o.heads, kvHeads: o.kvHeads ?? o.heads };
  return {
    command: 'sft', corpus: o.corpus ?? null, data: o.data ?? null, evalFraction: o.evalFraction, evalData: o.evalData ?? null, truncation: o.truncation, start,
    chatTemplateKwargs: o.chatTemplateKwargs, ...loraRunConfig(o), ...config,
  };
}

export async function runSftJob(options: Overrides<typeof sftJobOptions.options>, hooks: JobHooks = {}): Promise<SftJobResult> {
  const o = await resolveModelOptions(sftJobOptions.options, sftJobOptions.resolve(options), hooks);
  const log = hooks.log ?? noLog;
  const config = sftConfig.resolve(valuesFor(sftConfig, o));
  const src = await readSource(o.corpus, o.data, config.seed, hubOf(o, hooks), { evalFraction: o.evalFraction, evalData: o.evalData });
  const { model, tokenizer } = startingModel(o, src);
  if (config.seqLen > model.config.maxSeqLen) {
    throw new Error(`--seq-len ${config.seqLen}: expected at most ${model.config.maxSeqLen}, the longest sequence --model ${o.model} takes`);
  }
  const { train, eval: evalSet, truncation } = examplesOf(o, src, tokenizer, config.seqLen, log);
  const parameters = model.parameters().filter((t) => t.requiresGrad).reduce((n, t) => n + t.size, 0);
  const store = RunStore.open(o.out, runConfigOf(o, config), { resume: o.resume, reportTo: o.reportTo, resumeMayChange: ['steps', 'epochs'] });
  try {
    if (store.resumed) log(`resuming ${o.out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
    log(`${src.name}: ${train.length} training / ${evalSet.length} held-out sequences; ${o.model ?? `a fresh ${model.config.family}`} with ${(parameters / 1e6).toFixed(2)}M ${model.lora.size ? `trainable (LoRA, r ${o.loraR}) ` : ''}parameters, tokenizer ${tokenizer.kind} (${tokenizer.vocabSize})`);
    const res = await trainSft({ model, tokenizer, train, eval: evalSet, config, store, quiet: o.quiet });
    // Named by the step count, so that a resume with more steps writes a new final model.
    const fin = await store.stage(`final/step-${res.step}`, () => {
      store.saveModel((d) => saveModelDir(d, model, { tokenizer }));
      return finite({ step: res.step, loss: res.finalLoss ?? undefined, evalLoss: res.finalEvalLoss ?? undefined });
    });
    return {
      out: o.out, model: store.modelPath, step: res.step, loss: fin.loss ?? null, evalLoss: fin.evalLoss ?? null,
      trainExamples: train.length, evalExamples: evalSet.length, parameters, truncation,
    };
  } finally {
    store.close();
  }
}
