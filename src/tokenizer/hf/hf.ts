// Any Hugging Face tokenizer.json (GPT-2, Llama, Qwen, ...), run by @huggingface/tokenizers, the
// official JS port, behind our Tokenizer interface. BOS/EOS are never added implicitly: the
// post-processor is asked for no special tokens and encode() adds them only when told to, like the
// native tokenizers, so a Llama tokenizer does not slip a BOS into every chunk of a document.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfCore } from '@huggingface/tokenizers';
import { atomicWriteFile } from '../../io/atomic-write.js';
import { applyChatTemplate, type ChatMessage, type ChatTemplateOptions } from './chat-template.js';
import { CONFIG_FILE, TOKENIZER_FILE, readJsonFile } from './json.js';
import { checkIds, type DecodeOptions, type EncodeOptions, type Tokenizer } from '../types.js';

export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

export interface HfTokenizerOptions {
  /** Override the tokenizer_config.json choice of special token, by its string; null for none. */
  bos?: string | null;
  eos?: string | null;
  pad?: string | null;
  chatTemplate?: string | null;
}

type Json = Record<string, unknown>;

export class HfTokenizer implements Tokenizer {
  readonly kind = 'hf';
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly pad: number | null;
  readonly chatTemplate: string | null;
  private readonly core: HfCore;
  private readonly cleanUp: boolean;

  /** source names the file in errors. */
  constructor(readonly json: Json, readonly config: Json, opts: HfTokenizerOptions = {}, readonly source = TOKENIZER_FILE) {
    if (!isObject(json) || !isObject(json.model)) {
      throw new Error(`tokenizer: ${source} has no "model" object; expected a Hugging Face tokenizer.json`);
    }
    // The Rust loader treats these as optional; the JS port insists they exist.
    const full = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json };
    try {
      this.core = new HfCore(full, config);
    } catch (err) {
      throw new Error(`tokenizer: ${source} could not be loaded by @huggingface/tokenizers (${(err as Error).message})`);
    }
    let max = -1;
    for (const id of this.core.get_vocab(true).values()) max = Math.max(max, id);
    this.vocabSize = max + 1;
    this.bos = this.special('bos', opts.bos, config.bos_token);
    this.eos = this.special('eos', opts.eos, config.eos_token);
    this.pad = this.special('pad', opts.pad, config.pad_token);
    this.chatTemplate = opts.chatTemplate !== undefined ? opts.chatTemplate : pickTemplate(config.chat_template);
    // Exact round trips by default; a config that asks for HF's space clean-up gets it.
    this.cleanUp = config.clean_up_tokenization_spaces === true;
  }

  private special(role: string, override: string | null | undefined, fromConfig: unknown): number | null {
    const name = override !== undefined ? override : tokenContent(fromConfig);
    if (name === null) return null;
    const id = this.core.token_to_id(name);
    if (id === undefined) throw new Error(`tokenizer: ${role} token ${JSON.stringify(name)} is not in the vocabulary of ${this.source}`);
    return id;
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    // @huggingface/tokenizers always matches added tokens: text without any encodes the same either
    // way (what the trainers pass: prompts and completions), text with one cannot be kept literal.
    if (opts.parseSpecial === false) {
      const found = this.specialTexts().find((t) => text.includes(t));
      if (found !== undefined) throw new Error(`HfTokenizer.encode: the text holds the special token ${JSON.stringify(found)}, which ${this.source} always reads as that token; parseSpecial false cannot keep it literal`);
    }
    const ids = this.core.encode(text, { add_special_tokens: false }).ids;
    if (opts.addBos) ids.unshift(this.need(this.bos, 'addBos', 'BOS'));
    if (opts.addEos) ids.push(this.need(this.eos, 'addEos', 'EOS'));
    return ids;
  }

  private specialList: string[] | null = null;

  /** The contents of the tokenizer's special added tokens. */
  private specialTexts(): string[] {
    if (this.specialList === null) {
      const added = Array.isArray(this.json.added_tokens) ? (this.json.added_tokens as { content?: unknown; special?: unknown }[]) : [];
      this.specialList = added.filter((t) => t.special === true && typeof t.content === 'string' && t.content !== '').map((t) => t.content as string);
    }
    return this.specialList;
  }

  private need(id: number | null, opt: string, what: string): number {
    if (id === null) throw new Error(`HfTokenizer.encode: ${opt} is true but ${this.source} names no ${what} token`);
    return id;
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    checkIds(ids, this.vocabSize, 'HfTokenizer');
    return this.core.decode([...ids], { skip_special_tokens: opts.skipSpecial ?? false, clean_up_tokenization_spaces: this.cleanUp });
  }

  idToken(id: number): string {
    const s = this.core.id_to_token(id);
    if (s === undefined) throw new RangeError(`HfTokenizer.idToken: id is ${id}; expected an id of ${this.source}`);
    return s;
  }

  tokenId(token: string): number | undefined {
    return this.core.token_to_id(token);
  }

  applyChatTemplate(messages: readonly ChatMessage[], opts: Omit<ChatTemplateOptions, 'bosToken' | 'eosToken'> = {}): string {
    if (this.chatTemplate === null) throw new Error(`HfTokenizer.applyChatTemplate: ${this.source} comes with no chat_template`);
    const name = (id: number | null) => (id === null ? null : this.idToken(id));
    return applyChatTemplate(this.chatTemplate, messages, { ...opts, bosToken: name(this.bos), eosToken: name(this.eos) });
  }

  save(dir: string): void {
    atomicWriteFile(join(dir, TOKENIZER_FILE), JSON.stringify(this.json, null, 2) + '\n');
    const config = { ...this.config, chat_template: this.chatTemplate ?? undefined };
    atomicWriteFile(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
  }
}

/** Reads dir/tokenizer.json, and tokenizer_config.json and chat_template.jinja when present. */
export function loadHfTokenizer(dir: string, opts: HfTokenizerOptions = {}): HfTokenizer {
  const path = join(dir, TOKENIZER_FILE);
  const json = readJsonFile(path, TOKENIZER_FILE);
  if (!isObject(json)) throw new Error(`tokenizer: ${path} holds ${typeof json}; expected a JSON object`);
  const configPath = join(dir, CONFIG_FILE);
  const config = existsSync(configPath) ? readJsonFile(configPath, CONFIG_FILE) : {};
  if (!isObject(config)) throw new Error(`tokenizer: ${configPath} holds ${typeof config}; expected a JSON object`);
  // Newer transformers write the template to its own file, which then wins over the config.
  const jinjaPath = join(dir, CHAT_TEMPLATE_FILE);
  const chatTemplate = opts.chatTemplate !== undefined ? opts.chatTemplate
    : existsSync(jinjaPath) ? readFileSync(jinjaPath, 'utf8') : undefined;
  return new HfTokenizer(json, config, { ...opts, chatTemplate }, path);
}

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Config special tokens are a string or a serialized AddedToken {content, ...}. */
function tokenContent(x: unknown): string | null {
  if (typeof x === 'string') return x;
  if (isObject(x) && typeof x.content === 'string') return x.content;
  return null;
}

/** chat_template is one string, or a list of named templates of which "default" is the one. */
function pickTemplate(x: unknown): string | null {
  if (typeof x === 'string') return x;
  if (Array.isArray(x)) {
    const named = x.filter((t): t is { name: string; template: string } => isObject(t) && typeof t.template === 'string');
    return (named.find((t) => t.name === 'default') ?? named[0])?.template ?? null;
  }
  return null;
}
