// Golden tests: the real chat templates of ../shared/data/hf-models against transformers'
// apply_chat_template. The fixture chat-templates.json is made by make_chat_templates.py (run it
// with a python3 that has the pinned reference packages): every conversation of its test set (system prompts, multi-turn,
// whitespace and Unicode, reasoning in <think> tags), with and without the generation prompt, and
// Qwen3 with enable_thinking unset, false and true; each render with the ids Python `tokenizers`
// gives it. Skips when ../shared is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeChat, loadTokenizer, renderChat, strftime, type ChatMessage, type Tokenizer } from '../../src/tokenizer/index.js';
import { chatExamples, renderCompletions, renderForTraining } from '../../src/data/index.js';
import { tempDir } from '../../src/io/temp-dir.test.js';
import { sharedData } from '../fixtures/shared-data.js';

interface Render { conversation: string; addGenerationPrompt: boolean; extra: Record<string, unknown>; text: string; ids?: number[] }
interface TrlRow { conversation: string; turn: number; extra: Record<string, unknown>; record: Record<string, ChatMessage[]>; trl: Record<string, string> }
interface Fixture { name: string; folder: string; tokenizerFolder: string; files: string; renders: Render[]; trl: TrlRow[] }
const golden = JSON.parse(readFileSync('test/golden/chat-templates.json', 'utf8')) as {
  transformers: string; trl: string; conversations: Record<string, ChatMessage[]>; fixtures: Fixture[];
};
const models = sharedData('hf-models');

/** The fixture's tokenizer; Llama 3.2 has no tokenizer files, so its template runs on Llama 3's (the generator did the same). */
function tokenizerOf(f: Fixture): Tokenizer {
  const src = join(models.path!, f.tokenizerFolder);
  let dir = src;
  if (f.files !== 'tokenizer.json') {
    dir = tempDir('alignkit-chat-slow-');
    for (const name of ['vocab.json', 'merges.txt', 'tokenizer_config.json']) copyFileSync(join(src, name), join(dir, name));
  }
  if (f.folder === f.tokenizerFolder) return loadTokenizer(dir);
  const config = JSON.parse(readFileSync(join(models.path!, f.folder, 'tokenizer_config.json'), 'utf8')) as { chat_template: string };
  return loadTokenizer(dir, { chatTemplate: config.chat_template });
}

for (const f of golden.fixtures) {
  test(`chat template golden: ${f.name} renders what transformers ${golden.transformers} renders, ${f.renders.length} renders`, { skip: models.skip }, () => {
    const tok = tokenizerOf(f);
    assert.ok(tok.chatTemplate, `${f.name} has a chat template`);
    const bad: string[] = [];
    for (const r of f.renders) {
      const at = `${r.conversation}, generation prompt ${r.addGenerationPrompt}, ${JSON.stringify(r.extra)}`;
      const text = renderChat(tok, golden.conversations[r.conversation]!, { addGenerationPrompt: r.addGenerationPrompt, extra: r.extra });
      if (text !== r.text) bad.push(`${at}:\n  got  ${JSON.stringify(text)}\n  want ${JSON.stringify(r.text)}`);
      else if (r.ids && JSON.stringify(encodeChat(tok, text)) !== JSON.stringify(r.ids)) bad.push(`${at}: ids differ from tokenizers'`);
    }
    assert.deepEqual(bad, [], bad.slice(0, 4).join('\n'));
  });
}

test(`chat template golden: prompts and completions render as TRL ${golden.trl}'s maybe_apply_chat_template renders them, for every template`, { skip: models.skip }, () => {
  for (const f of golden.fixtures) {
    const tok = tokenizerOf(f);
    assert.ok(f.trl.length >= 10, `${f.name}: records`);
    for (const row of f.trl) {
      const at = `${f.name} ${row.conversation} ${JSON.stringify(row.extra)}`;
      const keys = ['completion', 'chosen', 'rejected'].filter((k) => k in row.record);
      const got = renderCompletions(tok, row.record['prompt']!, keys.map((k) => row.record[k]!), row.extra, at);
      // TRL keeps the newline after the end-of-turn token; alignkit does not train on it.
      assert.deepEqual(got, { prompt: row.trl['prompt'], completions: keys.map((k) => row.trl[k]!.trimEnd()) }, at);
    }
  }
});

test('chat template golden: SFT on messages trains each assistant turn on exactly the text TRL takes as that turn\'s completion', { skip: models.skip }, () => {
  const split: string[] = [];
  for (const f of golden.fixtures) {
    const tok = tokenizerOf(f);
    for (const [name, messages] of Object.entries(golden.conversations)) {
      for (const extra of [...new Set(f.trl.map((r) => JSON.stringify(r.extra)))].map((e) => JSON.parse(e) as Record<string, unknown>)) {
        const at = `${f.name} ${name} ${JSON.stringify(extra)}`;
        const rows = f.trl.filter((r) => r.conversation === name && 'completion' in r.record && JSON.stringify(r.extra) === JSON.stringify(extra));
        const renders = renderForTraining(tok, messages, (m) => m.role === 'assistant', extra, at);
        assert.deepEqual(renders.flatMap((r) => r.spans.map(([a, b]) => r.text.slice(a, b))), rows.map((r) => r.trl['completion']!.trimEnd()), at);
        const whole = f.renders.find((r) => r.conversation === name && !r.addGenerationPrompt && JSON.stringify(r.extra) === JSON.stringify(extra))!;
        if (renders.length === 1 && renders[0]!.text === whole.text) {
          if (whole.ids) assert.deepEqual(chatExamples(tok, { messages, from: 0 }, 4096, extra)[0]!.ids, whole.ids.slice(0, -1), `${at}: the ids of the render`);
        } else {
          // Each turn at the end of its own prefix, as TRL renders that prefix and turn.
          assert.deepEqual(renders.map((r) => r.text), rows.map((r) => r.trl['prompt']! + r.trl['completion']!), at);
          split.push(at);
        }
      }
    }
  }
  // Qwen3 shows reasoning only in the last assistant turn, so its multi-turn chats train turn by turn; no other template needs it.
  assert.deepEqual([...new Set(split.map((s) => s.split(' ')[0]))], ['qwen3']);
});

test('chat template golden: the test set covers what it must', () => {
  const all = golden.fixtures.flatMap((f) => f.renders.map((r) => ({ f: f.name, ...r })));
  const convs = golden.conversations;
  assert.ok(Object.values(convs).some((c) => c[0]!.role === 'system'), 'a system prompt');
  assert.ok(Object.values(convs).some((c) => c.filter((m) => m.role === 'assistant').length >= 2), 'several assistant turns');
  for (const f of golden.fixtures) {
    assert.equal(f.renders.length % (Object.keys(convs).length * 2), 0, `${f.name}: every conversation with and without the generation prompt`);
  }
  const qwen3 = all.filter((r) => r.f === 'qwen3');
  assert.deepEqual([...new Set(qwen3.map((r) => JSON.stringify(r.extra)))].sort(), ['{"enable_thinking":false}', '{"enable_thinking":true}', '{}']);
  const off = qwen3.find((r) => r.extra['enable_thinking'] === false && r.addGenerationPrompt)!;
  assert.ok(off.text.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'), 'thinking switched off closes an empty think block');
});

test("chat template golden: Llama 3.2's template prints today's date through strftime_now when no date_string is given", { skip: models.skip }, () => {
  const f = golden.fixtures.find((x) => x.name === 'llama3.2')!;
  const tok = tokenizerOf(f);
  const text = renderChat(tok, golden.conversations['one-user']!, { addGenerationPrompt: true });
  const today = strftime(new Date(), '%d %b %Y');
  assert.ok(text.includes(`Today Date: ${today}\n`), text.slice(0, 200));
  assert.match(today, /^\d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}$/);
  assert.equal(strftime(new Date(2024, 6, 26, 9, 5, 3), '%A %a %B %b %d %m %y %Y %H:%M:%S %%'), 'Friday Fri July Jul 26 07 24 2024 09:05:03 %');
});
