// `alignkit generate`: sample continuations of prompts from a model directory; with --chat, the
// answers of a chat model to user messages, rendered by its chat template.
import { bool, checkEach, declareConfig } from '../../../config/index.js';
import { generateText, generateTextOptions } from '../../../model/sampling/generate-text.js';
import { defineCommand } from '../../command.js';

export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'sample text from a model',
  options: declareConfig('generate', { ...generateTextOptions.options, json: bool(false, 'print one JSON object per sample') }, checkEach(generateTextOptions)),
  examples: [
    'alignkit generate --model runs/moby/model --prompt "Call me" --max-new-tokens 80',
    'alignkit generate --model runs/sft/model --prompt "Q: 2+3=|||Q: 7+1=" --temperature 0 --json',
    'alignkit generate --model ./SmolLM2-135M-Instruct --chat --system "Be brief." --prompt "What is a whale?"',
  ],
  async run({ json, ...o }) {
    for (const s of await generateText(o, { log: (line) => console.error(`generate: ${line}`) })) console.log(json ? JSON.stringify(s) : `${s.prompt}${s.completion}\n---`);
    return 0;
  },
});
