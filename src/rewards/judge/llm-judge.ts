// An LLM judge behind an OpenAI-compatible endpoint (README, "Judges"): fills the template, asks,
// parses (parse-answer.ts), asks again up to `retries` times when the answer does not parse, and
// then records the failure — the raw answers and why each was refused — in `failuresFile` and
// gives null for that item: the caller leaves it out, it is never scored 0. Parsed verdicts are
// cached by content hash (judge-cache.ts). Transient HTTP failures (timeouts, 429, 5xx) are retried
// as often; a server that stays down, or refuses the request (4xx), stops the caller with its error.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chatCompletion, JudgeHttpError, type ChatEndpoint } from './chat-client.js';
import { JudgeCache, judgeKey } from './judge-cache.js';
import { parsePairAnswer, parseScoreAnswer, type Parsed } from './parse-answer.js';
import { fillJudgeTemplate, type JudgeTemplate } from './template.js';

export interface LlmJudgeOptions {
  endpoint: ChatEndpoint;
  template: JudgeTemplate;
  /** Asks after the first whose answer did not parse (or whose request failed transiently). */
  retries: number;
  /** score mode: the range a parsed score must lie in. */
  min: number;
  max: number;
  cacheFile: string;
  failuresFile: string;
  /** Requests in flight at once. */
  concurrency: number;
}

export interface ScoreItem { prompt: string; completion: string; reference?: string }
export interface PairItem { prompt: string; a: string; b: string; reference?: string }

export interface JudgeStats { requests: number; cacheHits: number; failures: number }

export interface LlmJudge {
  readonly template: JudgeTemplate;
  readonly options: LlmJudgeOptions;
  /** A score in [min, max] per item, or null where no answer parsed (recorded in failuresFile). */
  score(items: readonly ScoreItem[]): Promise<(number | null)[]>;
  /** 0 (a is better) or 1 (b is) per item, or null where no answer parsed. */
  pair(items: readonly PairItem[]): Promise<(0 | 1 | null)[]>;
  readonly stats: JudgeStats;
}

/** `f` over `xs` with at most `n` calls in flight, results in order. */
async function pool<T, R>(xs: readonly T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const worker = async () => { while (next < xs.length) { const i = next++; out[i] = await f(xs[i]!); } };
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, worker));
  return out;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createLlmJudge(o: LlmJudgeOptions): LlmJudge {
  if (!(o.max > o.min)) throw new RangeError(`judge score range [${o.min}, ${o.max}]: expected min < max`);
  const cache = new JudgeCache(o.cacheFile);
  const stats: JudgeStats = { requests: 0, cacheHits: 0, failures: 0 };
  const t = o.template;

  const ask = async (fields: Record<string, string | undefined>, parse: (a: string) => Parsed<number>): Promise<number | null> => {
    const content = fillJudgeTemplate(t, fields);
    const key = judgeKey([t.mode, t.text, o.endpoint.model, t.mode === 'score' ? [o.min, o.max] : null, content]);
    const hit = cache.get(key);
    if (hit) { stats.cacheHits++; return hit.value; }
    const tries: { answer: string | null; why: string }[] = [];
    for (let k = 0; k <= o.retries; k++) {
      let answer: string;
      try {
        stats.requests++;
        answer = await chatCompletion(o.endpoint, content);
      } catch (err) {
        if (!(err instanceof JudgeHttpError) || !err.transient || k === o.retries) throw err;
        tries.push({ answer: null, why: err.message });
        await pause(100 * 2 ** k);
        continue;
      }
      const p = parse(answer);
      if (p.ok) { cache.put({ key, value: p.value, answer }); return p.value; }
      tries.push({ answer, why: p.why });
    }
    stats.failures++;
    mkdirSync(dirname(o.failuresFile), { recursive: true });
    appendFileSync(o.failuresFile, JSON.stringify({ time: new Date().toISOString(), mode: t.mode, template: t.file, model: o.endpoint.model, key, fields, tries }) + '\n');
    return null;
  };

  return {
    template: t, options: o, stats,
    score: (items) => {
      if (t.mode !== 'score') throw new Error(`${t.file}: a --judge-mode ${t.mode} template cannot score single completions`);
      return pool(items, o.concurrency, (x) => ask({ prompt: x.prompt, completion: x.completion, reference: x.reference }, (a) => parseScoreAnswer(a, o.min, o.max)));
    },
    pair: (items) => {
      if (t.mode !== 'pair') throw new Error(`${t.file}: a --judge-mode ${t.mode} template cannot compare two completions`);
      return pool(items, o.concurrency, (x) => ask({ prompt: x.prompt, completion_a: x.a, completion_b: x.b, reference: x.reference }, parsePairAnswer)) as Promise<(0 | 1 | null)[]>;
    },
  };
}
