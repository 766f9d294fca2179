// Issue 16: the same conversations stored as TRL `messages` and as conversational prompt/completion
// scored perplexity 1.07 and 434 on one model, because the two were rendered differently. Both are
// now the tokenizer's chat template render of one conversation (data/chat/), so a model trained on
// one scores the other identically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../io/temp-dir.test.js';
import { defaultConfig, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer, loadTokenizer, type Tokenizer } from '../../tokenizer/index.js';
import { foreignDir } from '../../tokenizer/test-util.test.js';
import { runSftJob } from './job.js';
import { runPerplexity } from './perplexity.js';

function files(dir: string): { messages: string; pc: string } {
  const convs = Array.from({ length: 24 }, (_, i) => [
    { role: 'system', content: 'Name the animal.' },
    { role: 'user', content: `Which animal says ${['moo', 'baa', 'woof'][i % 3]}? (${i})` },
    { role: 'assistant', content: ['A cow.', 'A sheep.', 'A dog.'][i % 3]! },
  ]);
  const messages = join(dir, 'messages.jsonl'), pc = join(dir, 'pc.jsonl');
  writeFileSync(messages, convs.map((m) => JSON.stringify({ messages: m })).join('\n') + '\n');
  writeFileSync(pc, convs.map((m) => JSON.stringify({ prompt: m.slice(0, 2), completion: m.slice(2) })).join('\n') + '\n');
  return { messages, pc };
}

for (const [name, tok] of [['built-in format', new ByteTokenizer()], ['ChatML template', loadTokenizer(foreignDir())]] as [string, Tokenizer][]) {
  test(`sft on messages, then eval: messages and conversational prompt/completion give the same perplexity (${name})`, async () => {
    const dir = tempDir('alignkit-sft-chat-');
    const { messages, pc } = files(dir);
    const start = join(dir, 'start');
    saveModelDir(start, new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 32, nHead: 2, nLayer: 1, maxSeqLen: 128 }), undefined, 3), { tokenizer: tok });
    const r = await runSftJob({ model: start, data: messages, steps: 30, batchSize: 8, seqLen: 96, lr: 1e-2, out: join(dir, 'run'), quiet: true });
    const a = await runPerplexity({ model: r.model, data: messages, all: true, seqLen: 96 });
    const b = await runPerplexity({ model: r.model, data: pc, all: true, seqLen: 96 });
    assert.equal(a.sequences, 24);
    assert.equal(b.perplexity, a.perplexity, `messages ${a.perplexity}, prompt/completion ${b.perplexity}`);
    assert.ok(a.perplexity < 20, `training on the replies lowered their perplexity (${a.perplexity})`);
    if (process.env["ALIGNKIT_PRINT"]) console.log(name, a.perplexity, b.perplexity);
  });
}
