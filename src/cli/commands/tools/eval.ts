// `alignkit eval`: held-out loss and perplexity of a model on a corpus or dataset.
import { perplexityOptions, runPerplexity } from '../../../align/sft/perplexity.js';
import { bool, checkEach, declareConfig } from '../../../config/index.js';
import { defineCommand } from '../../command.js';

export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'loss and perplexity on held-out text',
  options: declareConfig('eval', { ...perplexityOptions.options, json: bool(false, 'print a JSON object') }, checkEach(perplexityOptions)),
  examples: ['alignkit eval --model runs/moby/model --corpus moby-dick', 'alignkit eval --model runs/sft/model --data pairs.jsonl --all --json'],
  async run({ json, ...o }) {
    const r = await runPerplexity(o, { log: (s) => console.error(`eval: ${s}`) });
    console.log(json ? JSON.stringify(r) : `eval: ${r.sequences} sequences, loss ${r.loss.toFixed(4)}, perplexity ${r.perplexity.toFixed(2)}`);
    return 0;
  },
});
