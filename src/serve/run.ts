// Running the samples of one API request on the batch engine, answered whole or as a stream of
// server-sent events. Each prompt of a request is one engine request with the request's seed, so
// prompt i's samples are those a request for prompt i alone with that seed gets.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Transformer } from '../model/index.js';
import type { BatchEngine, EngineSample, SampleDelta } from '../model/sampling/engine/engine.js';
import { eventStream, sendError, sendJson } from './http.js';
import type { Sampling } from './params.js';

export interface Formats {
  /** 'text_completion' or 'chat.completion'; the stream's chunks add '.chunk' for chat. */
  object: string;
  chunkObject: string;
  idPrefix: string;
  /** The answer's choice `index` for a finished sample. */
  choice(index: number, s: EngineSample): Record<string, unknown>;
  /** A stream chunk's choice for one step of a sample, or null when there is nothing to send. */
  chunk(index: number, d: SampleDelta): Record<string, unknown> | null;
  /** Chunks sent before any token (chat's assistant role), per choice. */
  opening?(index: number): Record<string, unknown>;
}

export async function answer(engine: BatchEngine, res: ServerResponse, served: string, model: Transformer, prompts: number[][], s: Sampling, f: Formats): Promise<void> {
  const id = `${f.idPrefix}-${randomBytes(12).toString('hex')}`, created = Math.floor(Date.now() / 1000);
  const head = { id, created, model: served };
  const ac = new AbortController();
  res.on('close', () => { if (!res.writableFinished) ac.abort(); });
  let stream: ReturnType<typeof eventStream> | null = null;
  const pending: { index: number; d: SampleDelta }[] = [];
  const sendChunk = (index: number, d: SampleDelta): void => {
    if (!stream) { pending.push({ index, d }); return; }
    const c = f.chunk(index, d);
    if (c) stream.send({ ...head, object: f.chunkObject, choices: [c] });
  };
  // Every submit checks its request and throws before anything is sent, so a bad one is a plain 400.
  const runs = prompts.map((prompt, i) => engine.submit({
    model, prompt, n: s.n, maxTokens: s.maxTokens, params: s.params, signal: ac.signal,
    ...(s.seed !== undefined ? { seed: s.seed } : {}),
    ...(s.sampleSeeds !== undefined ? { sampleSeeds: s.sampleSeeds } : {}),
    ...(s.stream ? { onDelta: (d: SampleDelta) => sendChunk(i * s.n + d.sample, d) } : {}),
  }));
  if (s.stream) {
    stream = eventStream(res);
    for (let c = 0; c < prompts.length * s.n; c++) {
      const o = f.opening?.(c);
      if (o) stream.send({ ...head, object: f.chunkObject, choices: [o] });
    }
    for (const p of pending.splice(0)) sendChunk(p.index, p.d);
  }
  let results: EngineSample[][];
  try {
    results = await Promise.all(runs);
  } catch (err) {
    if (ac.signal.aborted) return; // the client went away
    sendError(res, err);
    return;
  }
  const usage = usageOf(prompts, results);
  if (stream) {
    if (s.includeUsage) stream.send({ ...head, object: f.chunkObject, choices: [], usage });
    stream.done();
    return;
  }
  const choices = results.flatMap((samples, i) => samples.map((smp, j) => f.choice(i * s.n + j, smp)));
  sendJson(res, 200, { ...head, object: f.object, choices, usage });
}

function usageOf(prompts: number[][], results: EngineSample[][]): Record<string, number> {
  const prompt = prompts.reduce((a, p) => a + p.length, 0);
  const completion = results.reduce((a, r) => a + r.reduce((b, smp) => b + smp.tokens.length, 0), 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
