import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatasetError } from './dataset-error.js';
import { detectFormat, extractPrompt, isConversational, validateRecords, type SourcedValue } from './formats.js';

const src = { file: 'data/train.jsonl', unit: 'line' as const };
const lines = (...values: unknown[]): SourcedValue[] => values.map((value, i) => ({ line: i + 1, value }));
const chat = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }];

function rejects(values: SourcedValue[], expected: string, format?: Parameters<typeof validateRecords>[2]): DatasetError {
  let caught: unknown;
  try {
    validateRecords(values, src, format);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DatasetError, `expected a DatasetError, got ${String(caught)}`);
  assert.equal(caught.message, expected);
  return caught;
}

test('detects every format from the first record', () => {
  assert.deepEqual(detectFormat({ text: 'a' }), { format: 'text' });
  assert.deepEqual(detectFormat({ prompt: 'a' }), { format: 'prompt' });
  assert.deepEqual(detectFormat({ prompt: 'a', completion: 'b' }), { format: 'prompt-completion' });
  assert.deepEqual(detectFormat({ messages: chat }), { format: 'messages' });
  assert.deepEqual(detectFormat({ prompt: 'a', chosen: 'b', rejected: 'c' }), { format: 'preference' });
  assert.deepEqual(detectFormat({ chosen: chat, rejected: chat }), { format: 'preference' });
  assert.deepEqual(detectFormat({ prompt: 'a', completion: 'b', label: true }), { format: 'unpaired-preference' });
  assert.ok('reason' in detectFormat({ foo: 1 }));
});

test('parses each format, standard and conversational, dropping extra keys', () => {
  const text = validateRecords(lines({ text: 'Call me Ishmael.', id: 7 }), src);
  assert.deepEqual(text, { format: 'text', records: [{ text: 'Call me Ishmael.' }] });

  const prompts = validateRecords(lines({ prompt: 'Q?' }, { prompt: chat.slice(0, 1) }), src);
  assert.equal(prompts.format, 'prompt');
  assert.equal(prompts.records.length, 2);

  const pc = validateRecords(lines({ prompt: 'Q?', completion: ' A.' }, { prompt: chat.slice(0, 1), completion: chat.slice(1) }), src);
  assert.equal(pc.format, 'prompt-completion');
  assert.deepEqual(pc.records[1], { prompt: chat.slice(0, 1), completion: chat.slice(1) });

  const system = [{ role: 'system', content: 'Be brief.' }, ...chat];
  assert.deepEqual(validateRecords(lines({ messages: system }), src).records[0], { messages: system });

  const pref = validateRecords(lines({ prompt: 'Sky?', chosen: ' Blue.', rejected: ' Green.', score: 0.3 }), src);
  assert.deepEqual(pref, { format: 'preference', records: [{ prompt: 'Sky?', chosen: ' Blue.', rejected: ' Green.' }] });

  const implicit = validateRecords(lines({ chosen: chat, rejected: [chat[0], { role: 'assistant', content: 'Go away.' }] }), src);
  assert.equal(implicit.format, 'preference');
  assert.equal((implicit.records[0] as { prompt?: unknown }).prompt, undefined);
  assert.equal(validateRecords(lines({ chosen: 'Sky? Blue.', rejected: 'Sky? Green.' }), src).format, 'preference');

  const unpaired = validateRecords(lines({ prompt: 'Sky?', completion: ' Blue.', label: true, id: 1 }, { prompt: chat.slice(0, 1), completion: chat.slice(1), label: false }), src);
  assert.deepEqual(unpaired.records[0], { prompt: 'Sky?', completion: ' Blue.', label: true });
  assert.equal(unpaired.format, 'unpaired-preference');
});

test('an explicit format skips detection and may read a subset of the keys', () => {
  const r = validateRecords(lines({ prompt: 'Q?', completion: 'A.' }), src, 'prompt');
  assert.deepEqual(r, { format: 'prompt', records: [{ prompt: 'Q?' }] });
  rejects(lines({ text: 'x' }), 'data/train.jsonl:1: field "prompt": missing, expected a string or a list of {role, content} messages', 'prompt');
});

test('a wrong type names the line, the field and what was expected', () => {
  rejects(lines({ prompt: 'a', chosen: 'b', rejected: 'c' }, { prompt: 'a', chosen: 3, rejected: 'c' }),
    'data/train.jsonl:2: field "chosen": expected a string or a list of {role, content} messages, got number');
  rejects(lines({ text: 'a' }, { text: 'b' }, { text: null }), 'data/train.jsonl:3: field "text": expected a string, got null');
  rejects(lines({ messages: [{ role: 'user', content: 42 }] }), 'data/train.jsonl:1: field "messages[0].content": expected a string, got number');
});

test('a missing field names the line and the field', () => {
  rejects(lines({ prompt: 'a', chosen: 'b', rejected: 'c' }, { prompt: 'a', chosen: 'b' }),
    'data/train.jsonl:2: field "rejected": missing, expected a string or a list of {role, content} messages');
  rejects(lines({ text: 'a' }, { txt: 'b' }), 'data/train.jsonl:2: field "text": missing, expected a string');
  rejects(lines({ messages: [{ role: 'user' }] }), 'data/train.jsonl:1: field "messages[0].content": missing, expected a string');
});

test('an unknown role names the message and lists the roles', () => {
  const err = rejects(lines({ messages: [...chat, { role: 'tool', content: '{}' }] }),
    'data/train.jsonl:1: field "messages[2].role": expected one of "system", "user", "assistant", got "tool"');
  assert.equal(err.line, 1);
  assert.equal(err.field, 'messages[2].role');
  // Inside a preference chat the message path is reported the same way.
  rejects(lines({ chosen: [{ role: 'bot', content: 'x' }], rejected: chat }),
    'data/train.jsonl:1: field "chosen[0].role": expected one of "system", "user", "assistant", got "bot"');
});

test('malformed message lists are explained', () => {
  rejects(lines({ messages: [] }), 'data/train.jsonl:1: field "messages": expected a non-empty list of messages, got an empty list');
  rejects(lines({ messages: ['hi'] }), 'data/train.jsonl:1: field "messages[0]": expected a message {role, content}, got string');
  rejects(lines({ chosen: 'a', rejected: chat }), 'data/train.jsonl:1: field "rejected": expected a string like "chosen", got a list of messages');
  rejects(lines({ prompt: chat, completion: 'b' }), 'data/train.jsonl:1: field "completion": expected a list of messages like "prompt", got a string');
});

test('mixed formats, non-objects and unknown shapes are rejected clearly', () => {
  rejects(lines({ text: 'a' }, { prompt: 'q', completion: 'a' }),
    'data/train.jsonl:2: record is in format "prompt-completion" but the file is "text" (from line 1); mixed formats are not allowed');
  rejects(lines({ text: 'a' }, [1, 2]), 'data/train.jsonl:2: expected a JSON object per record, got array');
  rejects(lines({ input: 'a', output: 'b' }),
    'data/train.jsonl:1: cannot tell the dataset format from keys "input", "output"; expected {text}, {prompt}, {prompt, completion}, {messages} or {prompt?, chosen, rejected}');
  rejects(lines({ prompt: 'a', completion: 'b', label: 'yes' }), 'data/train.jsonl:1: field "label": expected a boolean, got string');
  rejects([], 'data/train.jsonl: empty dataset (no records)');
  rejects(lines({ text: 'a' }), 'data/train.jsonl: unknown format "dialog"; expected one of text, prompt, prompt-completion, messages, preference, unpaired-preference',
    'dialog' as 'text');
});

test('parquet sources say row instead of line', () => {
  assert.throws(() => validateRecords(lines({ text: 'a' }, { text: 1 }), { file: 'd.parquet', unit: 'row' }),
    (e: unknown) => e instanceof DatasetError && e.message === 'd.parquet: row 2: field "text": expected a string, got number' && e.row === 2);
});

test('extractPrompt splits an implicit prompt as TRL does', () => {
  assert.deepEqual(extractPrompt({ chosen: 'The sky is blue.', rejected: 'The sky is green.' }),
    { prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' });
  const asked = { role: 'user' as const, content: 'Sky colour?' };
  assert.deepEqual(extractPrompt({ chosen: [asked, { role: 'assistant', content: 'Blue' }], rejected: [asked, { role: 'assistant', content: 'Green' }] }),
    { prompt: [asked], chosen: [{ role: 'assistant', content: 'Blue' }], rejected: [{ role: 'assistant', content: 'Green' }] });
  const explicit = { prompt: 'p', chosen: 'a', rejected: 'b' };
  assert.equal(extractPrompt(explicit), explicit);
});

test('isConversational tells chats from plain text', () => {
  assert.equal(isConversational({ messages: chat }), true);
  assert.equal(isConversational({ prompt: 'a', completion: 'b' }), false);
});
