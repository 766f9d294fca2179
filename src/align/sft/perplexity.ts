// `alignkit eval` as one library call: a model's loss and perplexity on the held-out part of a
// corpus or dataset file (the same split `sft` trains beside, given the same --seed), or on all
// of it. Text is cut into windows of seqLen tokens; pairs score their completions only.
import { bool, declareConfig, int, requiredText, type ConfigOf, type Overrides } from '../../config/index.js';
import { checkTextSource, readSource, textSourceOptions, toExamples } from '../../data/text-source.js';
import { chatTemplateKwargs } from '../../tokenizer/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { loadWithTokenizer } from '../trainer/inputs.js';
import { evaluateLoss } from './sft.js';

export const perplexityOptions = declareConfig('eval', {
  model: requiredText('model directory (with its tokenizer)', 'the model directory to evaluate', { aliases: ['model_name_or_path'], hub: 'model' }),
  ...textSourceOptions({
    corpus: 'built-in corpus (its held-out split is used)',
    data: 'dataset file: text, prompt/completion or messages (its held-out split is used unless --all)',
  }),
  chatTemplateKwargs,
  all: bool(false, 'evaluate on every record, not only the held-out split'),
  /** Longer than the model takes is cut to its maxSeqLen. */
  seqLen: int(64, "window length for text (at most the model's longest sequence)", { min: 1, aliases: ['seq_len', 'max_length'] }),
  batchSize: int(16, 'sequences per forward pass', { min: 1, aliases: ['per_device_eval_batch_size'] }),
  seed: int(0, 'seed of the train/held-out split of a dataset file', { min: 0 }),
}, (c) => checkTextSource('eval', c));

export type PerplexityOptions = ConfigOf<typeof perplexityOptions>;

export interface PerplexityResult {
  model: string;
  sequences: number;
  /** Mean cross-entropy per labelled token, in nats. */
  loss: number;
  perplexity: number;
}

export async function runPerplexity(options: Overrides<typeof perplexityOptions.options>, hooks: { log?: (line: string) => void } = {}): Promise<PerplexityResult> {
  const o = await resolveModelOptions(perplexityOptions.options, perplexityOptions.resolve(options), hooks);
  const { model, tokenizer } = loadWithTokenizer(o.model, 'model');
  const seqLen = Math.min(o.seqLen, model.config.maxSeqLen);
  const ex = toExamples(await readSource(o.corpus, o.data, o.seed, hooks), tokenizer, seqLen, 'keep-start', o.chatTemplateKwargs);
  const examples = o.all ? [...ex.train, ...ex.eval] : ex.eval;
  if (!examples.length) throw new Error(`no evaluation sequences (the text is shorter than one window of --seq-len ${seqLen}${o.all ? '' : ', or nothing was held out: try --all'})`);
  const loss = evaluateLoss(model, examples, o.batchSize, tokenizer.pad ?? tokenizer.eos ?? 0);
  return { model: o.model, sequences: examples.length, loss, perplexity: Math.exp(loss) };
}
