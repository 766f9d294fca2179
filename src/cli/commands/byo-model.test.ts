// Bring your own model, end to end from the CLI: a tiny random SmolLM2-shaped model with SmolLM2's
// real tokenizer files (../shared/data/hf-models, read in place) runs `generate --chat`, `sft` on
// `messages`, and `dpo` and `reward` on conversational pairs, every text rendered with SmolLM2's
// own chat template. The model is built here rather than committed: its 49,152-token embedding is
// 0.8 MB even at width 16, the tokenizer files it needs cannot be committed anyway (2.1 MB), and
// the config.json is SmolLM2's real one with only its sizes shrunk, so the loader reads the keys
// transformers wrote. Skips, saying why, when ../shared is absent.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { fromHfConfig, generate, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { loadTokenizer, type Tokenizer } from '../../tokenizer/index.js';
import { sharedData } from '../../../test/fixtures/shared-data.js';
import { generateCommand } from './tools/generate.js';
import { dpoCommand } from './preference/dpo.js';
import { rewardCommand } from './train/reward.js';
import { sftCommand } from './train/sft.js';

const smol = sharedData('hf-models/SmolLM2-135M-Instruct');
const root = tempDir('alignkit-byo-');
const model = join(root, 'smollm2-tiny');
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'generation_config.json'];
const saved = { log: console.log, error: console.error };
let printed: string[] = [];

before(() => {
  if (!smol.path) return;
  const real = JSON.parse(readFileSync(join(smol.path, 'config.json'), 'utf8')) as Record<string, unknown>;
  const config = { ...real, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 256 };
  saveModelDir(model, new Transformer(fromHfConfig(config).config, undefined, 7));
  writeFileSync(join(model, 'config.json'), JSON.stringify(config, null, 2));
  for (const f of TOKENIZER_FILES) copyFileSync(join(smol.path, f), join(model, f));
  const conv = (q: string, a: string) => [{ role: 'user', content: q }, { role: 'assistant', content: a }];
  writeFileSync(join(root, 'messages.jsonl'), Array.from({ length: 12 }, (_, i) => JSON.stringify({
    messages: [{ role: 'system', content: 'Answer in one word.' }, ...conv(`Colour of item ${i}?`, i % 2 ? 'Red.' : 'Blue.'), ...conv('Sure?', 'Yes.')],
  })).join('\n') + '\n');
  writeFileSync(join(root, 'prefs.jsonl'), Array.from({ length: 12 }, (_, i) => JSON.stringify({
    prompt: [{ role: 'user', content: `Is ${i} even?` }],
    chosen: [{ role: 'assistant', content: i % 2 ? 'No.' : 'Yes.' }],
    rejected: [{ role: 'assistant', content: i % 2 ? 'Yes.' : 'No.' }],
  })).join('\n') + '\n');
  console.log = (...a: unknown[]) => { printed.push(a.join(' ')); };
  console.error = () => {};
});
after(() => { Object.assign(console, saved); });

const weights = (dir: string) => loadModelDir(dir, { tokenizer: false }).model.params;
function changed(before: string, afterDir: string): boolean {
  const a = weights(before), b = weights(afterDir);
  return [...a].some(([name, t]) => t.f32.some((x, i) => x !== b.get(name)!.f32[i]));
}
const train = ['--steps', '2', '--batch-size', '2', '--lr', '1e-2', '--quiet'];

test('bring your own model: generate --chat --system renders SmolLM2\'s chat template and samples after its generation prompt', { skip: smol.skip }, async () => {
  printed = [];
  const args = ['--model', model, '--chat', '--system', 'Be brief.', '--prompt', 'Hi there', '--max-new-tokens', '6', '--temperature', '0', '--json'];
  assert.equal(await generateCommand.run(args), 0);
  const sample = JSON.parse(printed[0]!) as { prompt: string; completion: string; tokens: number };
  const { model: m, tokenizer } = loadModelDir(model);
  const tok = tokenizer as Tokenizer;
  // What transformers' apply_chat_template renders for these messages (chat-templates.golden.test.ts checks the template itself).
  const want = '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n';
  const [ref] = generate(m, [tok.encode(want)], { maxNewTokens: 6, temperature: 0, stopTokens: [tok.eos!], tokenizer: tok });
  assert.equal(sample.prompt, 'Hi there');
  assert.equal(sample.tokens, ref!.tokens.length);
  assert.equal(sample.completion, ref!.text ?? tok.decode(ref!.tokens, { skipSpecial: true }));
  await assert.rejects(generateCommand.run(['--model', model, '--system', 'x', '--prompt', 'y']), /--system is a message of a conversation; give --chat too/);
});

test('bring your own model: sft on messages, the loss on the assistant turns; the saved model keeps the template and special tokens', { skip: smol.skip }, async () => {
  const out = join(root, 'sft');
  assert.equal(await sftCommand.run(['--model', model, '--data', join(root, 'messages.jsonl'), '--seq-len', '96', '--out', out, ...train]), 0);
  assert.ok(changed(model, join(out, 'model')), 'parameters changed');
  const before = loadTokenizer(model), after = loadTokenizer(join(out, 'model'));
  assert.equal(after.chatTemplate, before.chatTemplate);
  assert.deepEqual([after.bos, after.eos, after.pad, after.specialTokens], [before.bos, before.eos, before.pad, before.specialTokens]);
  assert.match(printed.at(-1)!, /^sft: done, step 2, train loss \d+\.\d+/);
});

test('bring your own model: dpo and reward on conversational pairs rendered with the chat template', { skip: smol.skip }, async () => {
  const data = join(root, 'prefs.jsonl');
  const dpo = join(root, 'dpo');
  assert.equal(await dpoCommand.run(['--model', model, '--data', data, '--out', dpo, '--eval-fraction', '0.2', ...train]), 0);
  assert.ok(changed(model, join(dpo, 'model')), 'DPO changed the policy');
  const rm = join(root, 'rm');
  assert.equal(await rewardCommand.run(['--model', model, '--data', data, '--out', rm, '--normalize', '4', '--normalize-tokens', '4', ...train]), 0);
  const meta = JSON.parse(readFileSync(join(rm, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(meta['command'], 'reward');
  assert.ok(loadModelDir(join(rm, 'model')).model.params.has('score.weight'), 'a reward model with its score head');
});
