// `alignkit sft`: pretraining (text) and supervised fine-tuning (prompt/completion, messages).
import { existsSync, mkdirSync } from 'node:fs';
import { trainSft, latestCheckpoint } from '../../align/sft/sft.js';
import { defaultConfig, loadModelDir, Transformer, type Family } from '../../model/index.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, str, UsageError, type OptionSpecs } from '../args.js';
import { readSource, sourceText, toExamples } from '../../data/text-source.js';
import { makeTokenizer } from '../../tokenizer/from-spec.js';

const specs: OptionSpecs = {
  corpus: { type: 'string', help: 'built-in corpus: moby-dick or sotu' },
  data: { type: 'string', help: 'dataset file (.jsonl/.json/.parquet): text, prompt/completion or messages' },
  out: { type: 'string', help: 'output directory (checkpoints, metrics.jsonl, final model)', default: 'runs/sft' },
  model: { type: 'string', help: 'start from this model directory instead of a fresh model' },
  tokenizer: { type: 'string', help: 'byte, char, bpe:<vocab> or a directory (fresh models only)', default: 'byte' },
  family: { type: 'string', help: 'gpt2 or llama (fresh models)', default: 'gpt2' },
  'd-model': { type: 'number', help: 'width of a fresh model', default: 128 },
  layers: { type: 'number', help: 'transformer blocks of a fresh model', default: 4 },
  heads: { type: 'number', help: 'attention heads of a fresh model', default: 4 },
  'kv-heads': { type: 'number', help: 'key/value heads (llama; fewer = grouped-query)' },
  'seq-len': { type: 'number', help: 'training sequence length', default: 64 },
  steps: { type: 'number', help: 'optimizer steps', default: 300 },
  'batch-size': { type: 'number', help: 'sequences per micro-batch', default: 16 },
  'grad-accum': { type: 'number', help: 'micro-batches per step', default: 1 },
  lr: { type: 'number', help: 'peak learning rate', default: 1e-3 },
  warmup: { type: 'number', help: 'warm-up steps', default: 20 },
  'eval-every': { type: 'number', help: 'held-out loss every N steps', default: 100 },
  'save-every': { type: 'number', help: 'checkpoint every N steps (0: at the end only)', default: 0 },
  seed: { type: 'number', help: 'seed for initialisation, data order and dropout', default: 0 },
  resume: { type: 'boolean', help: 'continue from the latest checkpoint in --out' },
  quiet: { type: 'boolean', help: 'no progress display' },
};

export const sftCommand: Command = {
  name: 'sft',
  summary: 'pretrain on text or fine-tune on prompt/completion pairs',
  async run(argv) {
    const help = helpText('sft', this.summary, specs, [
      'alignkit sft --corpus moby-dick --steps 300 --out runs/moby',
      'alignkit sft --data pairs.jsonl --model runs/moby --steps 200 --out runs/moby-sft',
    ]);
    const p = parseCommand(argv, specs);
    if (!p) { console.log(help); return 0; }
    const seed = num(p, 'seed'), seqLen = num(p, 'seq-len'), out = str(p, 'out')!;
    const src = await readSource(str(p, 'corpus'), str(p, 'data'), seed);
    const resumeFrom = flag(p, 'resume') ? latestCheckpoint(out) : undefined;
    if (flag(p, 'resume') && !resumeFrom) throw new UsageError(`--resume: no checkpoint-<step> directory in ${out}`);
    const base = resumeFrom ?? str(p, 'model');
    let model: Transformer;
    let tokenizer;
    if (base) {
      const loaded = loadModelDir(base);
      if (!loaded.tokenizer) throw new UsageError(`${base}: no tokenizer.json; a model directory for sft needs its tokenizer`);
      model = loaded.model;
      tokenizer = loaded.tokenizer;
    } else {
      tokenizer = makeTokenizer(str(p, 'tokenizer')!, () => sourceText(src));
      const family = str(p, 'family') as Family;
      if (family !== 'gpt2' && family !== 'llama') throw new UsageError(`--family ${family}: expected gpt2 or llama`);
      const nHead = num(p, 'heads');
      const cfg = defaultConfig(family, {
        vocabSize: tokenizer.vocabSize, maxSeqLen: Math.max(seqLen, 256), dModel: num(p, 'd-model'), nLayer: num(p, 'layers'),
        nHead, nKvHead: (p['kv-heads'] as number | undefined) ?? nHead,
      });
      model = new Transformer(cfg, undefined, seed);
    }
    if (seqLen > model.config.maxSeqLen) throw new UsageError(`--seq-len ${seqLen} exceeds the model's maxSeqLen ${model.config.maxSeqLen}`);
    const { train, eval: evalSet } = toExamples(src, tokenizer, seqLen);
    if (!existsSync(out)) mkdirSync(out, { recursive: true });
    const nParams = model.parameters().reduce((n, t) => n + t.size, 0);
    console.error(`sft: ${src.name}, ${train.length} training / ${evalSet.length} held-out sequences, ${model.config.family} with ${(nParams / 1e6).toFixed(2)}M parameters, tokenizer ${tokenizer.kind} (${tokenizer.vocabSize})${resumeFrom ? `, resuming ${resumeFrom}` : ''}`);
    const res = await trainSft({
      model, tokenizer, train, eval: evalSet, outDir: out, resumeFrom: resumeFrom ?? undefined, quiet: flag(p, 'quiet'),
      config: {
        steps: num(p, 'steps'), batchSize: num(p, 'batch-size'), gradAccum: num(p, 'grad-accum'), lr: num(p, 'lr'), minLr: num(p, 'lr') / 10,
        warmupSteps: num(p, 'warmup'), seqLen, evalEvery: num(p, 'eval-every'), saveEvery: num(p, 'save-every'), seed,
      },
    });
    const last = res.logs.at(-1);
    console.log(`sft: done, step ${res.step}, train loss ${last?.loss.toFixed(4) ?? '-'}, held-out loss ${res.finalEvalLoss?.toFixed(4) ?? '-'}; model in ${out}`);
    return 0;
  },
};
