// Model directories for the serve tests: a tiny Llama-shaped model over a character tokenizer,
// with or without a chat template (a template needs the tokenizer loaded through its Hugging Face
// files, which is what a model from the Hub is), and a PEFT adapter for it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../tensor/index.js';
import { CharTokenizer } from '../tokenizer/index.js';
import { Transformer, createLora, defaultConfig, layoutOf, saveModelDir, type ModelConfig } from '../model/index.js';

export const CHAT_TEMPLATE = "{% for m in messages %}{{ m.role + ': ' + m.content + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}";

export const tokenizer = (): CharTokenizer => CharTokenizer.fromCorpus('abcdefghijklmnopqrstuvwxyz0123456789 .,?!:+=\n', { specials: ['<|eos|>'] });

export function tinyModel(seed = 1, over: Partial<ModelConfig> = {}): Transformer {
  return new Transformer(defaultConfig('llama', {
    vocabSize: tokenizer().vocabSize, dModel: 32, nHead: 4, nKvHead: 2, nLayer: 2, maxSeqLen: 96, initStd: 0.2, tieEmbeddings: false, ...over,
  }), undefined, seed);
}

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'alignkit-serve-'));

/** Saves `model` with the tokenizer; with `chat`, as Hugging Face files plus chat_template.jinja. */
export function modelDir(model: Transformer, chat: boolean, dir = join(tempDir(), 'model')): string {
  saveModelDir(dir, model, { tokenizer: tokenizer() });
  if (chat) {
    const file = join(dir, 'tokenizer_config.json');
    const cfg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    delete cfg.alignkit;
    writeFileSync(file, JSON.stringify(cfg));
    writeFileSync(join(dir, 'chat_template.jinja'), CHAT_TEMPLATE);
  }
  return dir;
}

/** A PEFT adapter on `base`'s q/v projections with random (non-zero) B, saved beside a copy of the base. */
export function adapterDir(base: Transformer, seed = 7): string {
  const m = new Transformer(base.config, base.params);
  m.lora = createLora(m.params, layoutOf(m.config), { rank: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj', 'down_proj'] }, new Rng(seed));
  const rng = new Rng(seed + 1);
  for (const a of m.lora.values()) for (let i = 0; i < a.B.f32.length; i++) a.B.f32[i] = 0.5 * rng.normal();
  const dir = join(tempDir(), 'adapter');
  saveModelDir(dir, m, { tokenizer: tokenizer(), adapters: 'peft' });
  return dir;
}
