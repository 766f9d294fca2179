// The models the GGUF tests export: the family fixtures of test/golden/families (transformers'
// classes, random weights, vocabulary 48) with a 48-id char tokenizer beside them; where
// llama.cpp's graph fixes what a fixture varies, the same weights with that setting at llama.cpp's
// value, said in `why`.
import { join } from 'node:path';
import { loadModelDir, saveModelDir, Transformer, type ModelConfig } from '../../src/model/index.js';
import { charTokenizer, tempDir, withCharTokenizer } from './llama-cpp-util.js';

export const STEPS = 20;
/** The char tokenizer's EOS: 44 characters, then unk, bos, eos, pad. */
export const EOS = 46;

const FIX = 'test/golden/families/checkpoints';

/** The model directory of a case: the fixture as it is, or its weights with `change` applied to the config. */
export function familyModel(name: string, change?: (c: ModelConfig) => ModelConfig): string {
  const dir = withCharTokenizer(join(FIX, name, 'f32'), 48);
  if (!change) return dir;
  const { model } = loadModelDir(dir);
  const out = tempDir('changed');
  saveModelDir(out, new Transformer(change(model.config), model.params), { tokenizer: charTokenizer(48) });
  return out;
}

export const CASES: { name: string; fixture: string; why?: string; change?: (c: ModelConfig) => ModelConfig }[] = [
  { name: 'llama', fixture: 'llama' },
  { name: 'llama-tied', fixture: 'llama-tied' },
  { name: 'llama rope llama3', fixture: 'llama-rope-llama3' },
  { name: 'llama rope linear', fixture: 'llama-rope-linear' },
  { name: 'mistral', fixture: 'mistral', why: 'window 4 → 32 (llama.cpp runs Mistral on its llama graph, which has no sliding window)', change: (c) => ({ ...c, layerWindows: c.layerWindows?.map(() => 32) }) },
  { name: 'qwen2', fixture: 'qwen2' },
  { name: 'qwen3', fixture: 'qwen3' },
  { name: 'phi3', fixture: 'phi3' },
  { name: 'gemma2 (no attention soft-cap)', fixture: 'gemma2-no-attn-cap' },
  {
    name: 'gemma3', fixture: 'gemma3', why: 'local RoPE base 100 → 10000 and window 4 → 32 (llama.cpp fixes Gemma 3\'s local base and its 5-sliding-in-6 pattern)',
    change: (c) => ({ ...c, localRopeTheta: 10000, layerWindows: c.layerWindows?.map(() => 32) }),
  },
  { name: 'gpt2', fixture: 'gpt2' },
];

