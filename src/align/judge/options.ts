// The LLM judge's options, declared once for every command that takes one (rest, grpo, ppo, rloo
// as a reward; reward, dpo, ser as the labeller of preference pairs; online-dpo as its pairwise
// judge), and the judge they open. README, "Judges". The API key is never written into a run's
// config: give it by flag or as OPENAI_API_KEY.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, choice, declareConfig, int, num, optionalText, text, type ValuesOf } from '../../config/index.js';
import { createLlmJudge, parseJudgeTemplate, type LlmJudge } from '../../rewards/judge/index.js';

export const judgeOptions = {
  judge: optionalText('LLM judge: the base URL of an OpenAI-compatible server (http://host:port or …/v1), asked with --judge-template'),
  judgeTemplate: optionalText('the judge prompt: a text file with {prompt}, {completion} (score) or {completion_a}, {completion_b} (pair), and {reference}'),
  judgeModel: text('default', 'the model name sent to the judge server'),
  judgeApiKey: optionalText('API key for the judge server (default: $OPENAI_API_KEY); never stored in the run'),
  judgeMode: choice(['score', 'pair'] as const, 'score', 'score: a number per completion; pair: which of two completions is better'),
  judgeMin: num(0, 'lowest score the judge may give (score mode); rewards are (s − min)/(max − min)'),
  judgeMax: num(10, 'highest score the judge may give (score mode)'),
  judgeRetries: int(2, 'asks again after an answer that does not parse (then the item is recorded and left out)', { min: 0 }),
  judgeTimeout: num(120, 'seconds before a judge request is given up and retried', { gt: 0 }),
  judgeConcurrency: int(8, 'judge requests in flight at once', { min: 1 }),
  judgeCache: optionalText("directory of the judge's answer cache, shareable between runs (default: <out>/judge)"),
};

export type JudgeInputs = ValuesOf<typeof judgeOptions>;

/** No judge: every option at its default (library callers spread it in). */
export const noJudge: JudgeInputs = declareConfig('judge', judgeOptions).defaults;

export const isJudgeUrl = (v: string | undefined): v is string => v !== undefined && /^https?:\/\//i.test(v);

/**
 * The judge options that must go together. `moduleOk`: --judge may also name a JS module
 * (online-dpo's pairwise judges), which takes no template.
 */
export function checkJudgeInputs(name: string, o: JudgeInputs, moduleOk = false): void {
  if (o.judge === undefined) {
    if (o.judgeTemplate !== undefined) throw new ConfigError(`${name} config: judgeTemplate is given without judge (the server's URL)`, 'judgeTemplate');
    return;
  }
  if (!isJudgeUrl(o.judge)) {
    if (!moduleOk) throw new ConfigError(`${name} config: judge ${o.judge}: expected an http:// or https:// URL of an OpenAI-compatible server`, 'judge');
    if (o.judgeTemplate !== undefined) throw new ConfigError(`${name} config: judge ${o.judge} is a module (not an http(s) URL), which takes no judgeTemplate`, 'judgeTemplate');
    return;
  }
  if (o.judgeTemplate === undefined) throw new ConfigError(`${name} config: judge ${o.judge} needs judgeTemplate, the prompt file it is asked with`, 'judgeTemplate');
  if (!(o.judgeMax > o.judgeMin)) throw new ConfigError(`${name} config: judgeMin ${o.judgeMin} must be below judgeMax ${o.judgeMax}`, 'judgeMax');
}

/** Where a run keeps its judge's failures: always in the run, whatever --judge-cache says. */
export const judgeFailuresFile = (out: string): string => join(out, 'judge-failures.jsonl');

/** The judge the options name, its cache in --judge-cache or <out>/judge, its failures in the run. */
export function openJudge(o: JudgeInputs & { judge: string; judgeTemplate: string }, out: string): LlmJudge {
  let text: string;
  try { text = readFileSync(o.judgeTemplate, 'utf8'); } catch (err) { throw new Error(`--judge-template ${o.judgeTemplate}: cannot read it (${(err as Error).message})`); }
  return createLlmJudge({
    endpoint: { url: o.judge, model: o.judgeModel, apiKey: o.judgeApiKey ?? process.env['OPENAI_API_KEY'], timeout: o.judgeTimeout, maxTokens: 512 },
    template: parseJudgeTemplate(text, o.judgeMode, o.judgeTemplate),
    retries: o.judgeRetries, min: o.judgeMin, max: o.judgeMax, concurrency: o.judgeConcurrency,
    cacheFile: join(o.judgeCache ?? join(out, 'judge'), 'cache.jsonl'), failuresFile: judgeFailuresFile(out),
  });
}

/** What a run's config.json records of its judge (the template's text, so a changed file shows on resume; no key). */
export function judgeSource(o: JudgeInputs): Record<string, unknown> | null {
  if (!isJudgeUrl(o.judge)) return null;
  return {
    url: o.judge, template: o.judgeTemplate, templateText: readFileSync(o.judgeTemplate!, 'utf8'), model: o.judgeModel, mode: o.judgeMode,
    min: o.judgeMin, max: o.judgeMax, retries: o.judgeRetries,
  };
}
