// `alignkit train-tokenizer`: learn a byte-level BPE (or char) tokenizer and save it as
// tokenizer.json (+ tokenizer_config.json) in a directory.
import { runTokenizerJob, tokenizerJobOptions } from '../../../data/tokenizer-job.js';
import { defineCommand } from '../../command.js';

export const trainTokenizerCommand = defineCommand({
  name: 'train-tokenizer',
  summary: 'learn a byte-level BPE (or char) tokenizer from text',
  options: tokenizerJobOptions,
  examples: ['alignkit train-tokenizer --corpus moby-dick --vocab-size 1024 --out runs/tok'],
  async run(o) {
    const r = await runTokenizerJob(o);
    console.log(`train-tokenizer: ${r.kind}, vocabulary ${r.vocabSize}, ${r.bytesPerToken.toFixed(2)} bytes per token on the first 20 kB, ${r.seconds.toFixed(1)} s; saved to ${r.out}`);
    return 0;
  },
});
