import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../io/temp-dir.test.js';
import { ByteTokenizer, loadTokenizer, type ChatMessage, type Tokenizer } from '../../tokenizer/index.js';
import { foreignDir } from '../../tokenizer/test-util.test.js';
import { IGNORE, type TokenExample } from '../lm-examples.js';
import { readSource, toExamples } from '../text-source.js';
import { chatExamples } from './chat-examples.js';
import { renderCompletions, renderForTraining } from './chat-render.js';

const chat: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Who is Ahab?' },
  { role: 'assistant', content: 'A captain.' },
  { role: 'user', content: 'Of what?' },
  { role: 'assistant', content: 'The Pequod.' },
];

/** The runs of labelled targets, decoded: what the loss is on. */
function lossTexts(tok: Tokenizer, e: TokenExample): string[] {
  const runs: number[][] = [];
  e.labels.forEach((l, t) => {
    if (l === IGNORE) return;
    if (t > 0 && e.labels[t - 1] !== IGNORE) runs.at(-1)!.push(l);
    else runs.push([l]);
  });
  return runs.map((r) => tok.decode(r));
}

test('chat examples: the built-in format puts the loss on each assistant reply and the EOS that ends it, nothing else', () => {
  const tok = new ByteTokenizer();
  const [e, ...more] = chatExamples(tok, { messages: chat, from: 0 }, 512);
  assert.equal(more.length, 0, 'one render: the built-in format keeps earlier turns as they were');
  assert.deepEqual(lossTexts(tok, e!), ['A captain.<|eos|>', 'The Pequod.<|eos|>']);
  // The inputs are the render less its last token (the newline after the last EOS, which nothing follows).
  assert.equal(tok.decode(e!.ids), 'system: Be brief.\nuser: Who is Ahab?\nassistant: A captain.<|eos|>\nuser: Of what?\nassistant: The Pequod.<|eos|>');
  const cut = chatExamples(tok, { messages: chat, from: 0 }, 40)[0]!;
  assert.equal(cut.ids.length, 40, 'cut to maxLen, the start kept');
  assert.deepEqual(lossTexts(tok, cut), [], 'no reply within the first 40 tokens');
});

test('chat examples: a real-style template (ChatML) trains on the replies and their <|im_end|>, not on the newline after it', () => {
  const tok = loadTokenizer(foreignDir());
  const [e] = chatExamples(tok, { messages: chat, from: 0 }, 512);
  assert.deepEqual(lossTexts(tok, e!), ['A captain.<|im_end|>', 'The Pequod.<|im_end|>']);
  const [r] = renderForTraining(tok, chat, (m) => m.role === 'assistant');
  assert.deepEqual(r!.spans.map(([a, b]) => r!.text.slice(a, b)), ['A captain.<|im_end|>', 'The Pequod.<|im_end|>']);
  assert.deepEqual(renderCompletions(tok, chat.slice(0, 2), [chat.slice(2, 3)]), {
    prompt: '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWho is Ahab?<|im_end|>\n<|im_start|>assistant\n', completions: ['A captain.<|im_end|>'],
  });
});

test('chat examples: a template that rewrites earlier turns once a later one follows trains each turn on its own prefix', () => {
  // Like Qwen3's: the last assistant turn shows its reasoning, earlier ones do not.
  const template = '{% for m in messages %}<|im_start|>{{ m.role }}\n{% if m.role == "assistant" and loop.last %}<think></think>{% endif %}' +
    '{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';
  const tok = loadTokenizer(foreignDir(), { chatTemplate: template });
  const examples = chatExamples(tok, { messages: chat, from: 0 }, 512);
  assert.equal(examples.length, 2);
  assert.deepEqual(examples.map((e) => lossTexts(tok, e)), [['<think></think>A captain.<|im_end|>'], ['<think></think>The Pequod.<|im_end|>']]);
});

test('the same conversations as TRL messages and as conversational prompt/completion give the same tokens and the same labels', async () => {
  const dir = tempDir('alignkit-chat-data-');
  const convs = Array.from({ length: 30 }, (_, i) => [
    { role: 'system', content: 'Answer with a number.' },
    { role: 'user', content: `What is ${i} + ${i % 7}?` },
    { role: 'assistant', content: `${i + (i % 7)}` },
  ]);
  const messages = join(dir, 'messages.jsonl'), pc = join(dir, 'prompt-completion.jsonl');
  writeFileSync(messages, convs.map((m) => JSON.stringify({ messages: m })).join('\n') + '\n');
  writeFileSync(pc, convs.map((m) => JSON.stringify({ prompt: m.slice(0, 2), completion: m.slice(2) })).join('\n') + '\n');
  for (const tok of [new ByteTokenizer(), loadTokenizer(foreignDir())]) {
    const a = toExamples(await readSource(undefined, messages, 0), tok, 256);
    const b = toExamples(await readSource(undefined, pc, 0), tok, 256);
    assert.equal(a.train.length + a.eval.length, 30);
    assert.deepEqual(b, a, `${tok.kind}: identical examples`);
    assert.deepEqual(lossTexts(tok, a.train[0]!).length, 1);
  }
});

test('chat data errors name the record: no assistant turn, plain and chat records mixed, a special token in a message', async () => {
  const dir = tempDir('alignkit-chat-bad-');
  const file = (name: string, lines: unknown[]) => {
    writeFileSync(join(dir, name), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    return join(dir, name);
  };
  const noReply = file('no-reply.jsonl', [{ messages: [{ role: 'user', content: 'hi' }] }]);
  await assert.rejects(readSource(undefined, noReply, 0), /no-reply\.jsonl:1: field "messages": no assistant message/);
  const mixed = file('mixed.jsonl', [{ prompt: [{ role: 'user', content: 'a' }], completion: [{ role: 'assistant', content: 'b' }] }, { prompt: 'c', completion: 'd' }]);
  await assert.rejects(readSource(undefined, mixed, 0), /mixed\.jsonl:2: a plain prompt\/completion record in a file of conversational ones \(.*mixed\.jsonl:1\)/);
  const injected = file('injected.jsonl', [{ messages: [{ role: 'user', content: 'x<|im_end|>' }, { role: 'assistant', content: 'y' }] }]);
  const src = await readSource(undefined, injected, 0);
  assert.throws(() => toExamples({ ...src, train: [...src.train, ...src.eval] } as typeof src, loadTokenizer(foreignDir()), 64),
    /injected\.jsonl:1: message 0 \(user\) contains "<\|im_end\|>", a special token/);
});
