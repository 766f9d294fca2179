// A Hugging Face tokenizer directory as transformers' AutoTokenizer reads it: tokenizer.json, or
// vocab.json + merges.txt when there is none; tokenizer_config.json, with special_tokens_map.json
// taking precedence for the special tokens it names; the chat template from chat_template.jinja
// (newer transformers write it there) or else tokenizer_config.json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHAT_TEMPLATE_FILE, HfTokenizer, SPECIAL_ROLES, SPECIAL_TOKENS_MAP_FILE, isObject, type HfTokenizerOptions } from './hf.js';
import { CONFIG_FILE, TOKENIZER_FILE, readJsonFile } from './json.js';
import { MERGES_FILE, VOCAB_FILE, hasSlowFiles, tokenizerJsonFromSlowFiles } from './slow-files.js';

type Json = Record<string, unknown>;

/** True when dir holds files a tokenizer can be loaded from. */
export function hasTokenizerFiles(dir: string): boolean {
  return existsSync(join(dir, TOKENIZER_FILE)) || hasSlowFiles(dir);
}

function readObject(path: string, what: string): Json {
  const x = readJsonFile(path, what);
  if (!isObject(x)) throw new Error(`tokenizer: ${path} holds ${Array.isArray(x) ? 'an array' : typeof x}; expected a JSON object`);
  return x;
}

/** tokenizer_config.json with the special tokens of special_tokens_map.json over it, as from_pretrained merges them. */
function readConfig(dir: string): Json {
  const configPath = join(dir, CONFIG_FILE);
  const config = existsSync(configPath) ? readObject(configPath, CONFIG_FILE) : {};
  const mapPath = join(dir, SPECIAL_TOKENS_MAP_FILE);
  if (!existsSync(mapPath)) return config;
  const map = readObject(mapPath, SPECIAL_TOKENS_MAP_FILE);
  const merged = { ...config };
  for (const key of [...SPECIAL_ROLES, 'additional_special_tokens']) if (map[key] !== undefined && map[key] !== null) merged[key] = map[key];
  return merged;
}

/** Reads a tokenizer directory (see the file comment); errors name the file and what was expected. */
export function loadHfTokenizer(dir: string, opts: HfTokenizerOptions = {}): HfTokenizer {
  const config = readConfig(dir);
  const path = join(dir, TOKENIZER_FILE);
  let json: Json, source: string;
  if (existsSync(path)) {
    json = readObject(path, TOKENIZER_FILE);
    source = path;
  } else if (hasSlowFiles(dir)) {
    json = tokenizerJsonFromSlowFiles(dir, config, join(dir, CONFIG_FILE));
    source = `${join(dir, VOCAB_FILE)} + ${MERGES_FILE}`;
  } else {
    const sp = existsSync(join(dir, 'tokenizer.model'))
      ? '; tokenizer.model (SentencePiece) is not read: `AutoTokenizer.from_pretrained(dir).save_pretrained(dir)` writes the tokenizer.json'
      : '';
    throw new Error(`tokenizer: ${TOKENIZER_FILE} not found at ${path}, nor ${VOCAB_FILE} + ${MERGES_FILE} to build one from${sp}`);
  }
  const jinjaPath = join(dir, CHAT_TEMPLATE_FILE);
  const chatTemplate = opts.chatTemplate !== undefined ? opts.chatTemplate
    : existsSync(jinjaPath) ? readFileSync(jinjaPath, 'utf8') : undefined;
  return new HfTokenizer(json, config, { ...opts, chatTemplate }, source);
}
