export { truncateAtEos, type DecodeOptions, type EncodeOptions, type Tokenizer } from './types.js';
export {
  DEFAULT_BOS, DEFAULT_EOS, DEFAULT_PAD, DEFAULT_SPECIALS, SpecialTokens, type SpecialTokenOptions,
} from './specials.js';
export { BYTE_TO_CHAR, CHAR_TO_BYTE, GPT2_SPLIT, preTokenize } from './bpe/byte-level.js';
export { ByteTokenizer } from './byte.js';
export { CharTokenizer, DEFAULT_UNK, type CharTokenizerOptions } from './char.js';
export { BpeTokenizer, type Merge } from './bpe/bpe.js';
export { trainBpe, type BpeTrainOptions } from './bpe/train.js';
export { HfTokenizer, type HfTokenizerOptions } from './hf/hf.js';
export { loadHfTokenizer } from './hf/load-dir.js';
export { applyChatTemplate, strftime, type ChatMessage, type ChatTemplateOptions } from './hf/chat-template.js';
export { hasTokenizerFiles, loadTokenizer, type LoadTokenizerOptions } from './load.js';
export { makeTokenizer } from './from-spec.js';
export {
  BUILTIN_CHAT_TEMPLATE, chatTemplateOf, checkContents, encodeChat, renderChat, type RenderChatOptions,
} from './chat/render.js';
export { chatTemplateKwargs, type TemplateKwargs } from './chat/options.js';
