// A user's reward as a plain JavaScript module, as TRL takes `reward_funcs`: the module exports
// `reward(prompt, completion, fields)`, named or as the default export, sync or async, returning a
// finite number; `fields` are the other fields of the row the prompt came from (a task problem's
// answer, tests and meta; a prompt file's other columns). Several modules, each with a weight,
// add up (align/trainer/reward-fn.ts's weightedReward).
import { loadUserFunction } from './user-module.js';

export type RowReward = (prompt: string, completion: string, fields: Readonly<Record<string, unknown>>) => unknown;

export interface RewardModule {
  /** The module's `name` export, else `module:<file name>`. */
  name: string;
  /** The module's reward of one completion; throws naming the module when it is not a finite number. */
  score(prompt: string, completion: string, fields: Readonly<Record<string, unknown>>): Promise<number>;
}

/** Imports the module at `path` (relative to the working directory) and wraps its `reward`. */
export async function loadRewardModule(path: string): Promise<RewardModule> {
  const { fn, name, where } = await loadUserFunction<RowReward>(path, 'reward', 'reward', 'prompt, completion, fields');
  return {
    name,
    async score(prompt, completion, fields) {
      const r = await fn(prompt, completion, fields);
      if (typeof r !== 'number' || !Number.isFinite(r)) {
        throw new Error(`${where}: reward() returned ${typeof r === 'number' ? r : JSON.stringify(r)?.slice(0, 80) ?? String(r)}; expected a finite number`);
      }
      return r;
    },
  };
}
