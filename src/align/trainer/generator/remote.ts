// Generation on OpenAI-compatible servers (vLLM, llama.cpp's server, alignkit serve) shared by a
// ServerPool: one request per prompt × sample, each with the seed the local path would give that
// sample (the r-th u32 of Rng(seed), prompt-major), so a run's samples do not depend on how many
// servers drew them, in what order, or which of them died. The log-probabilities are recomputed on
// this process's policy at the sampling temperature, as sequenceLogprobs defines them.
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ADAPTER_CONFIG_FILE, saveModelDir, sequenceLogprobs, type Sample, type Transformer } from '../../../model/index.js';
import { Rng } from '../../../tensor/index.js';
import type { Tokenizer } from '../../../tokenizer/index.js';
import { complete, type RemoteCompletion } from './completion.js';
import { postJson, routeUrl, type Endpoint } from './openai-client.js';
import { ServerPool } from './pool.js';
import { stopTokensOf, type GenerateSettings, type Generator } from './generator.js';

export interface RemoteGeneratorOptions {
  /** Base URLs, each ending in /v1. */
  urls: readonly string[];
  /** The served model's name; default the first one a server's /v1/models lists. */
  model?: string;
  apiKey?: string;
  timeoutMs: number;
  retries: number;
  /** Requests in flight per server. */
  concurrency: number;
  /** Where pushed weights are written: a path every server can read (a shared filesystem). */
  pushDir: string;
  backoffMs?: number;
  log?: (line: string) => void;
}

/** What a push sent, for logs and tests. */
export interface PushRecord { name: string; route: 'load_lora_adapter' | 'load_model'; path: string; servers: string[] }

interface Job { prompt: readonly number[]; promptIndex: number; seed: number; budget: number }

export class RemoteGenerator implements Generator {
  readonly kind = 'remote';
  readonly pool: ServerPool;
  readonly pushes: PushRecord[] = [];
  /** Samples whose tokens came back as ids, and those re-tokenised from text. */
  readonly tokensFrom = { ids: 0, text: 0 };
  private model: string | undefined;
  /** The push directory this generator wrote last (removed after the next push), and the served policy's name and adapter. */
  private written: string | null = null;
  private served: string | null = null;
  private adapter: string | null = null;

  constructor(private readonly o: RemoteGeneratorOptions) {
    const endpoints: Endpoint[] = o.urls.map((base) => ({ base, timeoutMs: o.timeoutMs, ...(o.apiKey ? { apiKey: o.apiKey } : {}) }));
    this.pool = new ServerPool(endpoints, { retries: o.retries, concurrency: o.concurrency, ...(o.backoffMs !== undefined ? { backoffMs: o.backoffMs } : {}), ...(o.log ? { log: o.log } : {}) });
    this.model = o.model;
  }

  /** The model name requests carry: the pushed adapter's, else --generator-model, else what the first live server lists. */
  private async modelName(): Promise<string> {
    if (this.adapter) return this.adapter;
    if (this.model) return this.model;
    for (const base of this.pool.live()) {
      try {
        const res = await fetch(routeUrl(base, 'models'), { headers: this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}, signal: AbortSignal.timeout(this.o.timeoutMs) });
        const id = ((await res.json()) as { data?: { id?: unknown }[] }).data?.[0]?.id;
        if (typeof id === 'string') return (this.model = id);
      } catch { /* the next server may answer */ }
    }
    throw new Error(`--generator: no server listed a model at GET /v1/models (${this.pool.live().join(', ')}); name it with --generator-model`);
  }

  async sample(policy: Transformer, tok: Tokenizer, prompts: readonly (readonly number[])[], n: number, s: GenerateSettings): Promise<Sample[]> {
    const source = new Rng(s.seed), jobs: Job[] = [];
    prompts.forEach((prompt, promptIndex) => {
      for (let j = 0; j < n; j++) jobs.push({ prompt, promptIndex, seed: source.nextU32(), budget: Math.min(s.maxNewTokens, policy.config.maxSeqLen - prompt.length) });
    });
    const model = await this.modelName(), stopTokens = stopTokensOf(tok, s);
    const done = await this.pool.run(jobs, (e, job, r): Promise<RemoteCompletion> => (job.budget <= 0
      ? Promise.resolve({ tokens: [], text: '', finishReason: 'length', tokensFrom: 'ids' })
      : complete(e, { model, prompt: job.prompt, seed: job.seed, temperature: s.temperature, topP: s.topP ?? 1, topK: s.topK, maxTokens: job.budget },
        tok, stopTokens, `sample ${r} (prompt ${job.promptIndex})`)));
    done.forEach((d) => { this.tokensFrom[d.tokensFrom]++; });
    const logprobs = sequenceLogprobs(policy, jobs.map((job, r) => ({ prompt: job.prompt, completion: done[r]!.tokens })), s.temperature, { batchSize: s.batchSize });
    return jobs.map((job, r) => ({ promptIndex: job.promptIndex, tokens: done[r]!.tokens, logprobs: logprobs[r]!, finishReason: done[r]!.finishReason, text: done[r]!.text }));
  }

  /** The name of the policy the servers serve, once one was pushed. */
  get serving(): string | null {
    return this.served;
  }

  /**
   * Has each live server load the policy: a LoRA policy as a PEFT adapter directory through
   * /v1/load_lora_adapter (later requests name the adapter), any other as a full model directory
   * in the Hub layout through /v1/load_model. Without `dir` it is first written under pushDir,
   * and the previous directory written there is removed once every live server has the new one.
   */
  async push(policy: Transformer, tok: Tokenizer, name: string, dir?: string): Promise<void> {
    if (name === this.served) return;
    let path: string;
    if (dir) path = resolve(dir);
    else {
      path = resolve(join(this.o.pushDir, name));
      saveModelDir(path, policy, { tokenizer: tok, ...(policy.lora.size > 0 ? { adapters: 'peft' as const } : {}) });
    }
    const lora = existsSync(join(path, ADAPTER_CONFIG_FILE));
    const route = lora ? 'load_lora_adapter' : 'load_model';
    const adapterName = `alignkit-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    await this.pool.broadcast((e) => postJson(e, route, lora ? { lora_name: adapterName, lora_path: path } : { model_path: path }));
    const previous = this.adapter;
    this.adapter = lora ? adapterName : null;
    if (previous && previous !== adapterName) await this.pool.broadcast((e) => postJson(e, 'unload_lora_adapter', { lora_name: previous }).catch(() => undefined));
    if (this.written && this.written !== path) rmSync(this.written, { recursive: true, force: true });
    this.written = dir ? null : path;
    this.served = name;
    this.pushes.push({ name, route, path, servers: this.pool.live() });
    this.o.log?.(`generator: ${name} pushed (${route}) to ${this.pool.live().join(', ')}`);
  }
}
