// The remote-generation options, declared once and spread into every job that samples from its
// policy (rest, rest-em, ser, eval, grpo, rloo, ppo): without --generator nothing changes.
import { int, num, optionalText } from '../../../config/index.js';
import { join } from 'node:path';
import { localGenerator, type Generator } from './generator.js';
import { RemoteGenerator } from './remote.js';

/** The remote-generation option group, one set of Option objects shared by the seven jobs. */
export const generatorOptions = {
  generator: optionalText('OpenAI-compatible servers that generate the samples instead of this process: base URLs ending in /v1, comma-separated (vLLM, llama.cpp server, alignkit serve); they share the prompts, and a training command pushes each new policy to them'),
  generatorModel: optionalText('the model name --generator requests carry (default: the first one GET /v1/models lists)'),
  generatorApiKey: optionalText('bearer token for the --generator servers'),
  generatorTimeout: num(300, 'seconds one --generator request may take before it is tried again', { gt: 0 }),
  generatorRetries: int(3, 'consecutive failed tries a --generator server gets beyond the first before it is dropped and its prompts go to the others', { min: 0 }),
  generatorConcurrency: int(8, 'requests in flight per --generator server (a server batches concurrent requests)', { min: 1 }),
};

/** The online trainers' (grpo, rloo, ppo, ser's PPO step) one more: how often their policy is pushed. */
export const generatorSyncOptions = {
  generatorSyncEvery: int(1, 'push the policy to the --generator servers every N policy updates (between pushes they sample from the last one pushed; log-probabilities are always the current policy\'s)', { min: 1 }),
};

export interface GeneratorOptionValues {
  generator?: string | undefined;
  generatorModel?: string | undefined;
  generatorApiKey?: string | undefined;
  generatorTimeout: number;
  generatorRetries: number;
  generatorConcurrency: number;
}

/** The comma-separated --generator value as base URLs, each checked. */
export function generatorUrls(value: string): string[] {
  const urls = value.split(',').map((u) => u.trim()).filter((u) => u.length > 0);
  if (urls.length === 0) throw new RangeError(`--generator ${JSON.stringify(value)}: expected one or more base URLs, comma-separated (e.g. http://127.0.0.1:8000/v1)`);
  for (const u of urls) {
    let ok = false;
    try { ok = /^https?:$/.test(new URL(u).protocol); } catch { /* not a URL */ }
    if (!ok) throw new RangeError(`--generator: ${JSON.stringify(u)} is not an http(s) URL; expected a server's base URL such as http://127.0.0.1:8000/v1`);
  }
  return urls;
}

/**
 * The job's generator: local without --generator, else remote, pushing weights under
 * <out>/generator-weights (the servers must see that path: run them on this machine or share it).
 */
export function openGenerator(o: GeneratorOptionValues, out: string, log?: (line: string) => void): Generator {
  if (!o.generator) return localGenerator;
  return new RemoteGenerator({
    urls: generatorUrls(o.generator), timeoutMs: o.generatorTimeout * 1000, retries: o.generatorRetries, concurrency: o.generatorConcurrency,
    pushDir: join(out, 'generator-weights'), ...(o.generatorModel ? { model: o.generatorModel } : {}), ...(o.generatorApiKey ? { apiKey: o.generatorApiKey } : {}), ...(log ? { log } : {}),
  });
}

/** The online trainers' generator fields (grpo, rloo, ppo): none without --generator, so they sample here. */
export function onlineGenerator(o: GeneratorOptionValues & { generatorSyncEvery: number }, out: string, log?: (line: string) => void): { generator?: Generator; generatorSyncEvery?: number } {
  return o.generator ? { generator: openGenerator(o, out, log), generatorSyncEvery: o.generatorSyncEvery } : {};
}
