// One entry point for a tokenizer directory: our own files come back as the native tokenizer that
// wrote them (faster, exact decodeBytes, no dependency), anything else through Hugging Face.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BpeTokenizer } from './bpe/bpe.js';
import { ByteTokenizer } from './byte.js';
import { CharTokenizer } from './char.js';
import { CONFIG_FILE, TOKENIZER_FILE, parseNativeConfig, readJsonFile } from './hf/json.js';
import type { HfTokenizerOptions } from './hf/hf.js';
import { loadHfTokenizer } from './hf/load-dir.js';
import type { Tokenizer } from './types.js';

export { hasTokenizerFiles } from './hf/load-dir.js';

export interface LoadTokenizerOptions extends HfTokenizerOptions {
  /** Use the Hugging Face runtime even for files alignkit wrote (to compare the two, say). */
  forceHf?: boolean;
}

/**
 * The mark is `"alignkit": {"kind", "format", "specials"}` in tokenizer_config.json (see
 * hf/json.ts for why not in tokenizer.json). A marked file that does not hold what the mark says
 * is an error, not a silent fallback: it means the file was edited or corrupted.
 */
export function loadTokenizer(dir: string, opts: LoadTokenizerOptions = {}): Tokenizer {
  const path = join(dir, TOKENIZER_FILE);
  const configPath = join(dir, CONFIG_FILE);
  const config = existsSync(configPath) ? readJsonFile(configPath, CONFIG_FILE) : null;
  const marked = typeof config === 'object' && config !== null && 'alignkit' in config;
  if (opts.forceHf || !marked) {
    const { forceHf: _, ...hfOpts } = opts;
    return loadHfTokenizer(dir, hfOpts);
  }
  const native = parseNativeConfig(config, configPath);
  const json = readJsonFile(path, TOKENIZER_FILE);
  switch (native.alignkit.kind) {
    case 'byte':
      return ByteTokenizer.fromFiles(json, native, path);
    case 'char':
      return CharTokenizer.fromFiles(json, native, path);
    case 'bpe':
      return BpeTokenizer.fromFiles(json, native, path);
  }
}
