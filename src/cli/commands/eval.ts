// `alignkit eval`: held-out loss and perplexity of a model on a corpus or dataset.
import { evaluateLoss } from '../../align/sft/sft.js';
import { loadModelDir } from '../../model/index.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, required, str, UsageError, type OptionSpecs } from '../args.js';
import { readSource, toExamples } from '../../data/text-source.js';

const specs: OptionSpecs = {
  model: { type: 'string', help: 'model directory' },
  corpus: { type: 'string', help: 'built-in corpus (its held-out split is used)' },
  data: { type: 'string', help: 'dataset file (its held-out split is used unless --all)' },
  all: { type: 'boolean', help: 'evaluate on every record, not only the held-out split' },
  'seq-len': { type: 'number', help: 'window length for text', default: 64 },
  'batch-size': { type: 'number', help: 'sequences per forward pass', default: 16 },
  seed: { type: 'number', help: 'seed of the train/held-out split', default: 0 },
  json: { type: 'boolean', help: 'print a JSON object' },
};

export const evalCommand: Command = {
  name: 'eval',
  summary: 'loss and perplexity on held-out text',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('eval', this.summary, specs, ['alignkit eval --model runs/moby --corpus moby-dick']));
      return 0;
    }
    const dir = required(p, 'model', 'the model directory to evaluate');
    const { model, tokenizer } = loadModelDir(dir);
    if (!tokenizer) throw new UsageError(`${dir}: no tokenizer.json, cannot encode the text`);
    const seqLen = Math.min(num(p, 'seq-len'), model.config.maxSeqLen);
    const ex = toExamples(await readSource(str(p, 'corpus'), str(p, 'data'), num(p, 'seed')), tokenizer, seqLen);
    const examples = flag(p, 'all') ? [...ex.train, ...ex.eval] : ex.eval;
    if (!examples.length) throw new UsageError('no evaluation sequences (the text is shorter than one window of --seq-len)');
    const loss = evaluateLoss(model, examples, num(p, 'batch-size'), tokenizer.pad ?? tokenizer.eos ?? 0);
    const res = { model: dir, sequences: examples.length, loss, perplexity: Math.exp(loss) };
    console.log(flag(p, 'json') ? JSON.stringify(res) : `eval: ${res.sequences} sequences, loss ${loss.toFixed(4)}, perplexity ${res.perplexity.toFixed(2)}`);
    return 0;
  },
};
