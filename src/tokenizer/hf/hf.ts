// Any Hugging Face tokenizer.json (GPT-2, Llama, Qwen, SmolLM, ...), run by @huggingface/tokenizers,
// the official JS port, behind our Tokenizer interface. BOS/EOS are never added implicitly: the
// post-processor is asked for no special tokens and encode() adds them only when told to, like the
// native tokenizers, so a Llama tokenizer does not slip a BOS into every chunk of a document.
// Ids and decodes equal Python `tokenizers`' on the real files (test/golden/tokenizers.golden.test.ts).
import { join } from 'node:path';
import { Tokenizer as HfCore } from '@huggingface/tokenizers';
import { atomicWriteFile } from '../../io/atomic-write.js';
import { applyChatTemplate, type ChatMessage, type ChatTemplateOptions } from './chat-template.js';
import { forJsRuntime } from './js-runtime.js';
import { CONFIG_FILE, TOKENIZER_FILE } from './json.js';
import { PlainEncoder } from './plain-encode.js';
import { checkIds, type DecodeOptions, type EncodeOptions, type Tokenizer } from '../types.js';

export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';
export const SPECIAL_TOKENS_MAP_FILE = 'special_tokens_map.json';

export interface HfTokenizerOptions {
  /** Override the tokenizer_config.json choice of special token, by its string; null for none. */
  bos?: string | null;
  eos?: string | null;
  pad?: string | null;
  chatTemplate?: string | null;
}

type Json = Record<string, unknown>;

/** The special-token roles of tokenizer_config.json and special_tokens_map.json. */
export const SPECIAL_ROLES = ['bos_token', 'eos_token', 'unk_token', 'pad_token'] as const;

export class HfTokenizer implements Tokenizer {
  readonly kind = 'hf';
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly pad: number | null;
  readonly chatTemplate: string | null;
  /** Every added token marked special, in id order: what parseSpecial false keeps from matching. */
  readonly specialTokens: readonly string[];
  private readonly core: HfCore;
  private plain: PlainEncoder | null = null;

  /** json is tokenizer.json's content, config tokenizer_config.json's (special_tokens_map.json merged in); source names the file in errors. */
  constructor(readonly json: Json, readonly config: Json, opts: HfTokenizerOptions = {}, readonly source = TOKENIZER_FILE) {
    if (!isObject(json) || !isObject(json.model)) {
      throw new Error(`tokenizer: ${source} has no "model" object; expected a Hugging Face tokenizer.json`);
    }
    try {
      this.core = new HfCore(forJsRuntime(json), config);
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
    this.specialTokens = [...this.core.get_added_tokens_decoder().values()].filter((t) => t.special).sort((a, b) => a.id - b.id).map((t) => t.content);
  }

  private special(role: string, override: string | null | undefined, fromConfig: unknown): number | null {
    const name = override !== undefined ? override : tokenContent(fromConfig);
    if (name === null) return null;
    const id = this.core.token_to_id(name);
    if (id === undefined) throw new Error(`tokenizer: ${role} token ${JSON.stringify(name)} is not in the vocabulary of ${this.source}`);
    return id;
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids = opts.parseSpecial === false
      ? (this.plain ??= new PlainEncoder(this.core)).encode(text)
      : this.core.encode(text, { add_special_tokens: false }).ids;
    if (opts.addBos) ids.unshift(this.need(this.bos, 'addBos', 'BOS'));
    if (opts.addEos) ids.push(this.need(this.eos, 'addEos', 'EOS'));
    return ids;
  }

  private need(id: number | null, opt: string, what: string): number {
    if (id === null) throw new Error(`HfTokenizer.encode: ${opt} is true but ${this.source} names no ${what} token`);
    return id;
  }

  /**
   * As Python `tokenizers` decodes: exact, so that decode(encode(text)) is the text. transformers'
   * clean_up_tokenization_spaces (which Llama 3's config asks for) is not applied: it rewrites
   * " ." as "." and " 's" as "'s", which changes the code and numbers that rewards read.
   */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    checkIds(ids, this.vocabSize, 'HfTokenizer');
    return this.core.decode([...ids], { skip_special_tokens: opts.skipSpecial ?? false, clean_up_tokenization_spaces: false });
  }

  idToken(id: number): string {
    const s = this.core.id_to_token(id);
    if (s === undefined) throw new RangeError(`HfTokenizer.idToken: id is ${id}; expected an id of ${this.source}`);
    return s;
  }

  tokenId(token: string): number | undefined {
    return this.core.token_to_id(token);
  }

  /** The special tokens a chat template sees, as transformers passes its special_tokens_map. */
  templateVariables(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const resolved: Record<string, number | null> = { bos_token: this.bos, eos_token: this.eos, pad_token: this.pad };
    for (const role of SPECIAL_ROLES) {
      const name = role in resolved ? (resolved[role] === null ? null : this.idToken(resolved[role]!)) : tokenContent(this.config[role]);
      if (name !== null) out[role] = name;
    }
    const more = this.config.additional_special_tokens;
    if (Array.isArray(more)) out.additional_special_tokens = more.map(tokenContent).filter((t): t is string => t !== null);
    return out;
  }

  applyChatTemplate(messages: readonly ChatMessage[], opts: Omit<ChatTemplateOptions, 'bosToken' | 'eosToken'> = {}): string {
    if (this.chatTemplate === null) throw new Error(`HfTokenizer.applyChatTemplate: ${this.source} comes with no chat_template`);
    const vars = this.templateVariables();
    return applyChatTemplate(this.chatTemplate, messages, {
      ...opts, bosToken: (vars.bos_token as string) ?? null, eosToken: (vars.eos_token as string) ?? null, extra: { ...vars, ...opts.extra },
    });
  }

  /**
   * tokenizer.json as read (or as built from vocab.json + merges.txt); tokenizer_config.json with
   * the chat template, the special tokens as resolved, and added_tokens_decoder; and
   * special_tokens_map.json, so transformers and alignkit read back the same tokenizer.
   */
  save(dir: string): void {
    atomicWriteFile(join(dir, TOKENIZER_FILE), JSON.stringify(this.json, null, 2) + '\n');
    const specials = this.templateVariables();
    const { chat_template: _, ...rest } = this.config;
    const config: Json = {
      ...rest, ...specials, added_tokens_decoder: addedTokensDecoder(this.json),
      ...(this.chatTemplate !== null ? { chat_template: this.chatTemplate } : {}),
    };
    for (const role of ['bos_token', 'eos_token', 'pad_token'] as const) if (!(role in specials)) config[role] = null;
    atomicWriteFile(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
    atomicWriteFile(join(dir, SPECIAL_TOKENS_MAP_FILE), JSON.stringify(specials, null, 2) + '\n');
  }
}

/** tokenizer.json's added_tokens as tokenizer_config.json's added_tokens_decoder {"id": {...}}. */
function addedTokensDecoder(json: Json): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const t of Array.isArray(json.added_tokens) ? json.added_tokens as Json[] : []) {
    const { id, ...rest } = t;
    out[String(id)] = rest;
  }
  return out;
}

export function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Config special tokens are a string or a serialized AddedToken {content, ...}. */
export function tokenContent(x: unknown): string | null {
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
