import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startFakeServer } from '../../../test/fixtures/fake-openai-server.js';
import { chatCompletionsUrl } from './chat-client.js';
import { createLlmJudge, type LlmJudgeOptions } from './llm-judge.js';
import { parsePairAnswer, parseScoreAnswer } from './parse-answer.js';
import { fillJudgeTemplate, parseJudgeTemplate, type JudgeMode } from './template.js';

const SCORE_T = 'Rate the answer to {prompt}.\nAnswer: <<{completion}>>\nReply "Score: N" with N in 0..10. {{json}} stays.';
const PAIR_T = 'Question: {prompt}\nA: <<{completion_a}>>\nB: <<{completion_b}>>\nWhich is longer? Reply A or B.';

test('templates: placeholders filled, {{ }} literal, unknown and mode-foreign names refused with file and line', () => {
  const t = parseJudgeTemplate(SCORE_T, 'score', 'judge.txt');
  assert.deepEqual(t.fields, ['prompt', 'completion']);
  assert.equal(fillJudgeTemplate(t, { prompt: 'p', completion: 'c' }), 'Rate the answer to p.\nAnswer: <<c>>\nReply "Score: N" with N in 0..10. {json} stays.');
  assert.throws(() => parseJudgeTemplate('ok\nsee {completon}', 'score', 'j.txt'), /j\.txt:2: unknown placeholder \{completon\}/);
  assert.throws(() => parseJudgeTemplate('{completion_a} {completion}', 'score', 'j.txt'), /j\.txt:1: unknown placeholder \{completion_a\} \(\{completion_a\} belongs to --judge-mode pair\)/);
  assert.throws(() => parseJudgeTemplate('{prompt} only', 'score', 'j.txt'), /j\.txt: the template has no \{completion\}/);
  assert.throws(() => parseJudgeTemplate('{completion_a}', 'pair', 'j.txt'), /no \{completion_b\}/);
  const r = parseJudgeTemplate('{completion} vs {reference}', 'score', 'r.txt');
  assert.throws(() => fillJudgeTemplate(r, { completion: 'x' }), /r\.txt: the template uses \{reference\}, but this prompt has no reference/);
});

test('answer rules: a Score: line wins, else the last number; range checked; pairs need an exact pick', () => {
  assert.deepEqual(parseScoreAnswer('I think 3 things.\nScore: 7/10\nthanks 2', 0, 10), { ok: true, value: 7 });
  assert.deepEqual(parseScoreAnswer('maybe 4, maybe 8.5', 0, 10), { ok: true, value: 8.5 });
  assert.deepEqual(parseScoreAnswer('**Score**: 2', 0, 10), { ok: true, value: 2 });
  assert.equal(parseScoreAnswer('Score: 11', 0, 10).ok, false);
  assert.equal(parseScoreAnswer('no idea', 0, 10).ok, false);
  assert.deepEqual(parsePairAnswer('B'), { ok: true, value: 1 });
  assert.deepEqual(parsePairAnswer('Completion A.'), { ok: true, value: 0 });
  assert.deepEqual(parsePairAnswer('A looks short but\nWinner: 2'), { ok: true, value: 1 });
  assert.equal(parsePairAnswer('A is better than B').ok, false);
  assert.equal(parsePairAnswer('Winner: both').ok, false);
});

test('the OpenAI base URL forms all reach /v1/chat/completions', () => {
  for (const u of ['http://h:1', 'http://h:1/', 'http://h:1/v1', 'http://h:1/v1/chat/completions']) assert.equal(chatCompletionsUrl(u), 'http://h:1/v1/chat/completions');
});

function options(url: string, mode: JudgeMode, dir: string, extra: Partial<LlmJudgeOptions> = {}): LlmJudgeOptions {
  return {
    endpoint: { url, model: 'm', timeout: 5, maxTokens: 16 }, template: parseJudgeTemplate(mode === 'score' ? SCORE_T : PAIR_T, mode, 'judge.txt'),
    retries: 2, min: 0, max: 10, cacheFile: join(dir, 'cache.jsonl'), failuresFile: join(dir, 'failures.jsonl'), concurrency: 4, ...extra,
  };
}

/** The rule the fake judge follows: the score is the completion's length (capped at 10); the longer of a pair wins. */
const lengthRule = (content: string) => {
  const parts = [...content.matchAll(/<<(.*?)>>/g)].map((m) => m[1]!);
  return parts.length === 1 ? `Thinking about ${parts[0]}...\nScore: ${Math.min(10, parts[0]!.length)}` : parts[0]!.length >= parts[1]!.length ? 'Winner: A' : 'B';
};

test('score and pair judges against a fake server: right verdicts, cached by content (a second judge asks nothing)', async () => {
  const srv = await startFakeServer({ answer: lengthRule, apiKey: 'k1' });
  const dir = mkdtempSync(join(tmpdir(), 'judge-'));
  try {
    const items = ['ab', 'abcd', 'a', 'abcdefghijklmnop', 'ab'].map((completion) => ({ prompt: 'q', completion }));
    const j = createLlmJudge(options(srv.url, 'score', dir, { endpoint: { url: srv.url, model: 'm', timeout: 5, maxTokens: 16, apiKey: 'k1' } }));
    assert.deepEqual(await j.score(items), [2, 4, 1, 10, 2]);
    // 'ab' twice with the same prompt: the second may be asked while the first is in flight; at most 5 requests.
    assert.ok(srv.requests <= 5 && srv.requests >= 4, `${srv.requests} requests`);
    const before = srv.requests;
    const again = createLlmJudge(options(srv.url, 'score', dir, { endpoint: { url: srv.url, model: 'm', timeout: 5, maxTokens: 16, apiKey: 'k1' } }));
    assert.deepEqual(await again.score(items), [2, 4, 1, 10, 2]);
    assert.equal(srv.requests, before, 'a judge over the same cache re-asks nothing');
    assert.equal(again.stats.cacheHits, 5);
    // Another model is another key: asked again.
    const other = createLlmJudge(options(srv.url, 'score', dir, { endpoint: { url: srv.url, model: 'm2', timeout: 5, maxTokens: 16, apiKey: 'k1' } }));
    await other.score(items.slice(0, 1));
    assert.equal(srv.requests, before + 1);
    const pj = createLlmJudge(options(srv.url, 'pair', dir, { endpoint: { url: srv.url, model: 'm', timeout: 5, maxTokens: 16, apiKey: 'k1' } }));
    assert.deepEqual(await pj.pair([{ prompt: 'q', a: 'aaa', b: 'b' }, { prompt: 'q', a: 'a', b: 'bbbb' }]), [0, 1]);
    assert.equal(existsSync(join(dir, 'failures.jsonl')), false);
    const bad = createLlmJudge(options(srv.url, 'score', dir));
    await assert.rejects(bad.score([{ prompt: 'q', completion: 'zzz' }]), /HTTP 401: Incorrect API key/);
  } finally { await srv.close(); }
});

test('garbage answers: retried, then recorded with every raw answer and left unscored (null), never 0', async () => {
  const srv = await startFakeServer({ answer: (c) => (c.includes('<<fine>>') ? 'Score: 6' : 'I would rather not say.') });
  const dir = mkdtempSync(join(tmpdir(), 'judge-'));
  try {
    const j = createLlmJudge(options(srv.url, 'score', dir, { retries: 2 }));
    assert.deepEqual(await j.score([{ prompt: 'q', completion: 'fine' }, { prompt: 'q', completion: 'odd' }]), [6, null]);
    assert.equal(srv.requests, 1 + 3, 'one for the good answer, 1 + 2 retries for the garbage');
    assert.deepEqual(j.stats, { requests: 4, cacheHits: 0, failures: 1 });
    const lines = readFileSync(join(dir, 'failures.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].fields.completion, 'odd');
    assert.deepEqual(lines[0].tries.map((t: { answer: string }) => t.answer), Array(3).fill('I would rather not say.'));
    assert.match(lines[0].tries[0].why, /no number/);
    // Failures are not cached: a later judge asks again.
    await createLlmJudge(options(srv.url, 'score', dir, { retries: 0 })).score([{ prompt: 'q', completion: 'odd' }]);
    assert.equal(srv.requests, 5);
  } finally { await srv.close(); }
});

test('transient server errors are retried; a server that stays down stops the caller', async () => {
  const srv = await startFakeServer({ answer: (_c, n) => { if (n < 2) throw new Error('overloaded'); return 'Score: 3'; } });
  const dir = mkdtempSync(join(tmpdir(), 'judge-'));
  try {
    assert.deepEqual(await createLlmJudge(options(srv.url, 'score', dir)).score([{ prompt: 'q', completion: 'x' }]), [3]);
    assert.equal(srv.requests, 3);
  } finally { await srv.close(); }
  await assert.rejects(createLlmJudge(options(srv.url, 'score', dir, { retries: 1 })).score([{ prompt: 'q', completion: 'y' }]), /--judge http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: /);
});
