// A user's reward as a plain JavaScript module, as TRL takes `reward_funcs`: the module exports
// `reward(prompt, completion, fields)`, named or as the default export, sync or async, returning a
// finite number; `fields` are the other fields of the row the prompt came from (a task problem's
// answer, tests and meta; a prompt file's other columns). Several modules, each with a weight,
// add up (align/trainer/reward-fn.ts's weightedReward).
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export type RowReward = (prompt: string, completion: string, fields: Readonly<Record<string, unknown>>) => unknown;

export interface RewardModule {
  /** The module's `name` export, else `module:<file name>`. */
  name: string;
  /** The module's reward of one completion; throws naming the module when it is not a finite number. */
  score(prompt: string, completion: string, fields: Readonly<Record<string, unknown>>): Promise<number>;
}

function findReward(mod: Record<string, unknown>): RowReward | null {
  if (typeof mod.reward === 'function') return mod.reward as RowReward;
  const def = mod.default;
  if (typeof def === 'function') return def as RowReward;
  if (def !== null && typeof def === 'object' && typeof (def as Record<string, unknown>).reward === 'function') {
    return (def as { reward: RowReward }).reward.bind(def);
  }
  return null;
}

/** Imports the module at `path` (relative to the working directory) and wraps its `reward`. */
export async function loadRewardModule(path: string): Promise<RewardModule> {
  const where = `reward module ${path}`;
  const abs = resolve(path);
  if (!existsSync(abs)) throw new Error(`${where}: no such file`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${where}: failed to load (${(err as Error).message})`);
  }
  const fn = findReward(mod);
  if (!fn) {
    const found = Object.keys(mod).map((k) => `${k} (${typeof mod[k]})`).join(', ') || '(no exports)';
    throw new Error(`${where}: expected an export "reward(prompt, completion, fields)", named or default; found ${found}`);
  }
  return {
    name: typeof mod.name === 'string' ? mod.name : `module:${basename(path)}`,
    async score(prompt, completion, fields) {
      const r = await fn(prompt, completion, fields);
      if (typeof r !== 'number' || !Number.isFinite(r)) {
        throw new Error(`${where}: reward() returned ${typeof r === 'number' ? r : JSON.stringify(r)?.slice(0, 80) ?? String(r)}; expected a finite number`);
      }
      return r;
    },
  };
}
