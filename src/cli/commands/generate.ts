// `alignkit generate`: sample continuations of prompts from a model directory.
import { generate, loadModelDir } from '../../model/index.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, required, str, UsageError, type OptionSpecs } from '../args.js';

const specs: OptionSpecs = {
  model: { type: 'string', help: 'model directory (config.json, model.safetensors, tokenizer.json)' },
  prompt: { type: 'string', help: 'prompt text; several prompts separated by "|||"', default: '' },
  'max-new-tokens': { type: 'number', help: 'tokens to generate per sample', default: 100 },
  temperature: { type: 'number', help: 'sampling temperature (0 = greedy)', default: 0.8 },
  'top-k': { type: 'number', help: 'keep the k most likely tokens (0 = off)', default: 40 },
  'top-p': { type: 'number', help: 'nucleus sampling mass (1 = off)', default: 1 },
  n: { type: 'number', help: 'samples per prompt', default: 1 },
  stop: { type: 'string', help: 'stop string (the sample is cut after it)' },
  seed: { type: 'number', help: 'sampling seed (same seed, same samples)', default: 0 },
  json: { type: 'boolean', help: 'print one JSON object per sample' },
};

export const generateCommand: Command = {
  name: 'generate',
  summary: 'sample text from a model',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('generate', this.summary, specs, ['alignkit generate --model runs/moby --prompt "Call me" --max-new-tokens 80']));
      return 0;
    }
    const dir = required(p, 'model', 'the model directory to sample from');
    const { model, tokenizer } = loadModelDir(dir);
    if (!tokenizer) throw new UsageError(`${dir}: no tokenizer.json, cannot encode the prompt`);
    const prompts = str(p, 'prompt')!.split('|||');
    const ids = prompts.map((t) => {
      const e = tokenizer.encode(t, { parseSpecial: false });
      return e.length ? e : [tokenizer.bos ?? tokenizer.eos ?? 0];
    });
    const stop = str(p, 'stop');
    const samples = generate(model, ids, {
      maxNewTokens: num(p, 'max-new-tokens'), temperature: num(p, 'temperature'), topK: num(p, 'top-k'), topP: num(p, 'top-p'),
      n: num(p, 'n'), seed: num(p, 'seed'), stopTokens: tokenizer.eos !== null ? [tokenizer.eos] : [],
      ...(stop ? { stopStrings: [stop] } : {}), tokenizer,
    });
    for (const s of samples) {
      const text = s.text ?? tokenizer.decode(s.tokens, { skipSpecial: true });
      if (flag(p, 'json')) console.log(JSON.stringify({ prompt: prompts[s.promptIndex], completion: text, tokens: s.tokens.length, finishReason: s.finishReason }));
      else console.log(`${prompts[s.promptIndex]}${text}\n---`);
    }
    return 0;
  },
};
