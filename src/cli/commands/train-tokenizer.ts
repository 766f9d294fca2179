// `alignkit train-tokenizer`: build a byte-level BPE (or char/byte) tokenizer and save it as
// tokenizer.json (+ tokenizer_config.json) in a directory.
import { mkdirSync } from 'node:fs';
import type { Command } from '../commands-type.js';
import { helpText, num, parseCommand, str, UsageError, type OptionSpecs } from '../args.js';
import { readSource, sourceText } from '../../data/text-source.js';
import { makeTokenizer } from '../../tokenizer/from-spec.js';

const specs: OptionSpecs = {
  corpus: { type: 'string', help: 'built-in corpus: moby-dick or sotu' },
  data: { type: 'string', help: 'dataset file to learn from' },
  kind: { type: 'string', help: 'bpe, char or byte', default: 'bpe' },
  'vocab-size': { type: 'number', help: 'BPE vocabulary size (256 bytes + merges + specials)', default: 1024 },
  out: { type: 'string', help: 'directory to write tokenizer.json into', default: 'runs/tokenizer' },
};

export const trainTokenizerCommand: Command = {
  name: 'train-tokenizer',
  summary: 'learn a byte-level BPE (or char) tokenizer from text',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('train-tokenizer', this.summary, specs, ['alignkit train-tokenizer --corpus moby-dick --vocab-size 1024 --out runs/tok']));
      return 0;
    }
    const kind = str(p, 'kind')!;
    if (!['bpe', 'char', 'byte'].includes(kind)) throw new UsageError(`--kind ${kind}: expected bpe, char or byte`);
    const src = await readSource(str(p, 'corpus'), str(p, 'data'), 0);
    const text = sourceText(src);
    const t0 = performance.now();
    const tok = makeTokenizer(kind === 'bpe' ? `bpe:${num(p, 'vocab-size')}` : kind, () => text);
    const out = str(p, 'out')!;
    mkdirSync(out, { recursive: true });
    tok.save(out);
    const sample = text.slice(0, 20000);
    const ratio = Buffer.byteLength(sample) / tok.encode(sample, { parseSpecial: false }).length;
    console.log(`train-tokenizer: ${kind}, vocabulary ${tok.vocabSize}, ${ratio.toFixed(2)} bytes per token on the first 20 kB, ${((performance.now() - t0) / 1000).toFixed(1)} s; saved to ${out}`);
    return 0;
  },
};
