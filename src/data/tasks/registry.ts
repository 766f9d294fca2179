// Tasks by name, so a trainer or the CLI can say `--task arithmetic --task-opt digits=3` without
// knowing where each task lives. Every built-in task is registered here; a user's own code can
// add more with registerTask.
import { programTask } from './builtin/program-task.js';
import type { Task } from './task.js';
import { arithmeticTask } from './builtin/arithmetic.js';
import { g2pTask } from './builtin/g2p.js';
import { loadUserTask, type UserTaskOptions } from './user-task.js';

/** What every task is built with, beside its own options: the run's seed, for tasks that draw or split at random. */
export interface TaskContext { seed: number }

/** Builds a task from loose options; it validates them and throws naming the bad option. */
export type TaskFactory = (opts: Record<string, unknown>, context: TaskContext) => Task | Promise<Task>;

interface Entry { factory: TaskFactory; description: string }

const registry = new Map<string, Entry>();

/** Adds a task; a name can be taken once, so two modules cannot silently shadow each other. */
export function registerTask(name: string, factory: TaskFactory, description = ''): void {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`registerTask: name must be kebab-case (a-z, 0-9, -), got ${JSON.stringify(name)}`);
  if (registry.has(name)) throw new Error(`registerTask: task "${name}" is already registered`);
  registry.set(name, { factory, description });
}

/** Removes a task; for tests that register a throwaway one. */
export function unregisterTask(name: string): boolean {
  return registry.delete(name);
}

export function listTasks(): { name: string; description: string }[] {
  return [...registry].map(([name, e]) => ({ name, description: e.description }));
}

/** Builds the named task; an option `seed` overrides the context's. Unknown names fail with the list of known ones. */
export async function getTask(name: string, opts: Record<string, unknown> = {}, context: TaskContext = { seed: 0 }): Promise<Task> {
  const entry = registry.get(name);
  if (!entry) {
    throw new Error(`unknown task "${name}"; known tasks: ${[...registry.keys()].join(', ')}`);
  }
  return entry.factory(opts, context);
}

const USER_OPTIONS = ['name', 'matcher', 'matcherOptions', 'verifier', 'testPath', 'testFraction', 'seed', 'repeats'];

registerTask('arithmetic', (o, ctx) => arithmeticTask({ seed: ctx.seed, ...o }),
  'arithmetic word problems with worked solutions; options: seed, trainSize, testSize, digits, steps, carries');
registerTask('g2p', (o, ctx) => g2pTask({ seed: ctx.seed, ...o }),
  'CMU Pronouncing Dictionary grapheme-to-phoneme; options: stress, vocabulary, minCount, minLength, maxLength, testFraction, trainSize, testSize, seed');
registerTask('user', (o, ctx) => {
  const { path, ...rest } = o;
  if (typeof path !== 'string' || path === '') {
    throw new Error(`task "user": option "path" must be the path of a .jsonl or .json file, got ${JSON.stringify(path)}`);
  }
  for (const k of Object.keys(rest)) {
    if (!USER_OPTIONS.includes(k)) throw new Error(`task "user": unknown option "${k}"; known options: path, ${USER_OPTIONS.join(', ')}`);
  }
  return loadUserTask(path, { seed: ctx.seed, ...rest } as UserTaskOptions);
}, `problems from a JSONL file of {prompt, answer} or {prompt, tests}; options: path, ${USER_OPTIONS.join(', ')}`);
// The program task splits by a hash of each problem's id, so the run's seed does not move it.
registerTask('program', (o) => programTask(o),
  'short JavaScript functions run against assertions in a sandboxed Node process; options: testFraction, timeoutMs, memoryMb');
