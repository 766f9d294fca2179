// Where a trainer's samples come from: alignkit's own engine in this process (local, the default,
// exactly today's generate), or OpenAI-compatible inference servers (remote.ts). Both return
// generate's Sample: tokens (a stop token that ended the sample kept), per-token log-probabilities
// under `policy` at the sampling temperature, and the finish reason.
import { generate, type Sample, type Transformer } from '../../../model/index.js';
import type { Tokenizer } from '../../../tokenizer/index.js';

export interface GenerateSettings {
  maxNewTokens: number;
  /** 0 decodes greedily. */
  temperature: number;
  /** 0: no top-k cut. */
  topK: number;
  /** 1: no nucleus cut. */
  topP?: number;
  /** Sample r (prompt-major) draws from the r-th stream split off this seed, wherever it is decoded. */
  seed: number;
  /** Sequences decoded together (local) or scored together when log-probabilities are recomputed (remote). */
  batchSize: number;
  /** Default [tokenizer.eos]. */
  stopTokens?: readonly number[];
}

export interface Generator {
  readonly kind: 'local' | 'remote';
  /**
   * n completions per prompt, prompt-major (sample j of prompt i at i·n + j). `policy` is this
   * process's copy of the policy: local generation decodes with it, remote generation recomputes
   * the log-probabilities on it (a server's are never trusted).
   */
  sample(policy: Transformer, tok: Tokenizer, prompts: readonly (readonly number[])[], n: number, s: GenerateSettings): Promise<Sample[]>;
  /**
   * Makes the servers serve `policy` from now on (after an Improve step, an M-step, a policy
   * update). `name` names it (a checkpoint name): pushing the name already served does nothing,
   * so a caller may push before every sampling. `dir`: the policy already saved there (a
   * checkpoint the servers can read), pushed as it is. Nothing to do locally.
   */
  push(policy: Transformer, tok: Tokenizer, name: string, dir?: string): Promise<void>;
}

export const stopTokensOf = (tok: Tokenizer, s: GenerateSettings): readonly number[] => s.stopTokens ?? (tok.eos !== null ? [tok.eos] : []);

/** Today's in-process sampling, unchanged. */
export const localGenerator: Generator = {
  kind: 'local',
  sample: (policy, tok, prompts, n, s) => Promise.resolve(generate(policy, prompts, {
    maxNewTokens: s.maxNewTokens, temperature: s.temperature, topK: s.topK, ...(s.topP !== undefined ? { topP: s.topP } : {}),
    n, seed: s.seed, batchSize: s.batchSize, stopTokens: stopTokensOf(tok, s),
  })),
  push: () => Promise.resolve(),
};
