// `alignkit generate` as one library call: text in, sampled continuations out, from a model
// directory with its tokenizer. The options carry Hugging Face's generation names as aliases
// (max_new_tokens, top_k, top_p, num_return_sequences). With `chat`, each prompt is a user message
// rendered by the model's chat template (or the built-in "role: content" format) with its
// generation prompt, after an optional system message, as transformers' apply_chat_template does.
import { ConfigError, bool, declareConfig, int, num, optionalText, requiredText, text, type ConfigOf, type Overrides } from '../../config/index.js';
import { chatTemplateKwargs, encodeChat, renderChat, type ChatMessage, type Tokenizer } from '../../tokenizer/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { loadModelDir } from '../hf/checkpoint-dir.js';
import { bf16ComputeOption, frozenDtypeOption } from '../hf/frozen-dtype.js';
import type { GenerationSettings } from '../hf/generation-config.js';
import { generate, type FinishReason } from './generate.js';

/** Separates several prompts in one `prompt` value. */
export const PROMPT_SEPARATOR = '|||';

export const generateTextOptions = declareConfig('generate', {
  model: requiredText('model directory (config.json, model.safetensors, tokenizer.json)', 'the model directory to sample from', { aliases: ['model_name_or_path'], hub: 'model' }),
  prompt: text('', `prompt text; several prompts separated by "${PROMPT_SEPARATOR}"`),
  maxNewTokens: int(100, 'tokens to generate per sample', { min: 0, aliases: ['max_new_tokens'] }),
  temperature: num(0.8, 'sampling temperature (0: greedy)', { min: 0 }),
  topK: int(40, 'keep the k most likely tokens (0: off)', { min: 0, aliases: ['top_k'] }),
  topP: num(1, 'nucleus sampling mass (1: off)', { gt: 0, max: 1, aliases: ['top_p'] }),
  n: int(1, 'samples per prompt', { min: 1, aliases: ['num_return_sequences'] }),
  stop: optionalText('stop string (the sample is cut after it)'),
  seed: int(0, 'sampling seed (same seed, same samples)', { min: 0 }),
  chat: bool(false, "each prompt is a user message, rendered with the model's chat template (built-in \"role: content\" format without one)"),
  system: optionalText('system message before each --chat prompt'),
  chatTemplateKwargs,
  frozenDtype: frozenDtypeOption,
  bf16Compute: bf16ComputeOption,
}, (c) => {
  if (c.system !== undefined && !c.chat) throw new ConfigError('generate config: system is a message of a conversation; give chat too', 'system');
});

export type GenerateTextOptions = ConfigOf<typeof generateTextOptions>;

export interface TextSample {
  prompt: string;
  completion: string;
  /** Generated tokens, a stop token included. */
  tokens: number;
  finishReason: FinishReason;
}

function chatOf(prompt: string, system: string | undefined): ChatMessage[] {
  return [...(system !== undefined ? [{ role: 'system', content: system }] : []), { role: 'user', content: prompt }];
}

/** The tokenizer's EOS and every id generation_config.json says ends a sample (Llama 3 lists several, <|eot_id|> among them). */
export function stopTokensOf(tok: Tokenizer, generation: GenerationSettings | null): number[] {
  const listed = generation?.eos;
  const ids = [...(tok.eos !== null ? [tok.eos] : []), ...(Array.isArray(listed) ? listed : listed != null ? [listed] : [])];
  return [...new Set(ids)].filter((id) => id < tok.vocabSize);
}

/** n samples per prompt, prompt-major (sample j of prompt i at i·n + j); a Hub id is fetched first. */
export async function generateText(options: Overrides<typeof generateTextOptions.options>, hooks: { log?: (line: string) => void } = {}): Promise<TextSample[]> {
  const o = await resolveModelOptions(generateTextOptions.options, generateTextOptions.resolve(options), hooks);
  const { model, tokenizer, generation } = loadModelDir(o.model, { frozenDtype: o.frozenDtype });
  if (!tokenizer) throw new Error(`--model ${o.model}: no tokenizer.json, cannot encode the prompt`);
  model.bf16Compute = o.bf16Compute;
  const prompts = o.prompt.split(PROMPT_SEPARATOR);
  const ids = prompts.map((t, i) => {
    if (o.chat) return encodeChat(tokenizer, renderChat(tokenizer, chatOf(t, o.system), { addGenerationPrompt: true, extra: o.chatTemplateKwargs }, `--prompt ${i + 1}`));
    const e = tokenizer.encode(t, { parseSpecial: false });
    // An empty prompt starts from BOS (or EOS, the document separator of packed pretraining).
    return e.length ? e : [tokenizer.bos ?? tokenizer.eos ?? 0];
  });
  const samples = generate(model, ids, {
    maxNewTokens: o.maxNewTokens, temperature: o.temperature, topK: o.topK, topP: o.topP, n: o.n, seed: o.seed,
    stopTokens: stopTokensOf(tokenizer, generation), ...(o.stop ? { stopStrings: [o.stop] } : {}), tokenizer,
  });
  return samples.map((s) => ({
    prompt: prompts[s.promptIndex]!, completion: s.text ?? tokenizer.decode(s.tokens, { skipSpecial: true }), tokens: s.tokens.length, finishReason: s.finishReason,
  }));
}
