// POST /v1/completions: text in, text out. `prompt` is a string, a list of strings, a list of token
// ids or a list of such lists (as vLLM accepts); `logprobs: k` gives the chosen token's
// log-probability and its k most likely alternatives per token (logprob convention: generate.ts's,
// log softmax(logits / T), before top-k/top-p).
import type { ServerResponse } from 'node:http';
import type { BatchEngine, EngineSample, SampleDelta, TopLogprob } from '../model/sampling/engine/engine.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { badField } from './http.js';
import type { ModelRegistry } from './models.js';
import { completionLogprobs, sampling } from './params.js';
import { answer } from './run.js';

export async function completions(body: Record<string, unknown>, res: ServerResponse, engine: BatchEngine, models: ModelRegistry): Promise<void> {
  const model = models.resolve(body.model);
  const tok = models.tokenizer, V = model.config.vocabSize;
  const prompts = promptsOf(body.prompt, tok, V, model.config.maxSeqLen);
  const lp = completionLogprobs(body);
  const s = sampling(body, engine.maxBatch, models.stopTokens, lp ?? 0, 16);
  const served = typeof body.model === 'string' ? body.model : models.name;
  // vLLM's return_tokens_as_token_ids: each token named `token_id:N`, so a client reads the very ids
  // (alignkit's --generator does: re-tokenising text need not give them back).
  const asIds = body.return_tokens_as_token_ids === true;
  const name = (t: number) => (asIds ? `token_id:${t}` : tok.decode([t]));
  const logprobs = (tokens: readonly number[], lps: readonly number[], tops: readonly TopLogprob[][]) => {
    if (lp === null) return null;
    const strs = tokens.map(name);
    let at = 0;
    return {
      tokens: strs, token_logprobs: lps,
      top_logprobs: tops.map((top) => Object.fromEntries(top.map((e) => [name(e.token), e.logprob]))),
      text_offset: tokens.map((t) => { const o = at; at += tok.decode([t]).length; return o; }),
    };
  };
  await answer(engine, res, served, model, prompts, s, {
    object: 'text_completion', chunkObject: 'text_completion', idPrefix: 'cmpl',
    choice: (index: number, smp: EngineSample) => ({ index, text: smp.text, logprobs: logprobs(smp.tokens, smp.logprobs, smp.top), finish_reason: smp.finishReason }),
    chunk: (index: number, d: SampleDelta) => {
      if (!d.text && !d.finishReason && lp === null) return null;
      const l = d.token !== undefined ? logprobs([d.token], [d.logprob!], [d.top ?? []]) : null;
      return { index, text: d.text, logprobs: l, finish_reason: d.finishReason ?? null };
    },
  });
}

function promptsOf(p: unknown, tok: Tokenizer, V: number, maxSeqLen: number): number[][] {
  const expected = 'a string, a list of strings, a list of token ids, or a list of token-id lists';
  let list: unknown[];
  if (typeof p === 'string') list = [p];
  else if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'number')) list = [p];
  else if (Array.isArray(p) && p.length > 0) list = p;
  else return badField('prompt', p, expected);
  return list.map((x, i) => {
    const where = list.length > 1 || Array.isArray(p) && typeof p[0] !== 'number' ? `prompt[${i}]` : 'prompt';
    let ids: number[];
    if (typeof x === 'string') {
      ids = tok.encode(x, { parseSpecial: false });
      // An empty prompt starts from BOS (or EOS, the document separator of packed pretraining), as `alignkit generate` does.
      if (!ids.length) ids = [tok.bos ?? tok.eos ?? 0];
    } else if (Array.isArray(x) && x.length > 0) {
      x.forEach((t, j) => { if (!(Number.isInteger(t) && t >= 0 && t < V)) badField(`${where}[${j}]`, t, `a token id in [0, ${V})`); });
      ids = x as number[];
    } else return badField(where, x, expected);
    if (ids.length > maxSeqLen) badField(where, `${ids.length} tokens`, `at most the model's context of ${maxSeqLen} tokens`);
    return ids;
  });
}
