// A task as a command names it: a registered name (arithmetic, g2p, program) or the path of a
// .jsonl/.json file of {prompt, answer} / {prompt, tests}, with the task's own options as
// "k=v,k=v", and for a file a named matcher or a verifier module. Every command that trains on a
// task declares these options and loads the task through here.
import { existsSync } from 'node:fs';
import { optionalChoice, optionalText, text } from '../../config/index.js';
import { MATCHER_NAMES } from '../../rewards/matchers.js';
import { getTask } from './registry.js';
import type { Task } from './task.js';
import { checkDisjoint, readUserProblems } from './user-task.js';

export function taskInputOptions(defaultTask: string | undefined) {
  const help = 'arithmetic, g2p, program, or a .jsonl/.json file of {prompt, answer} or {prompt, tests}';
  return {
    task: defaultTask === undefined ? optionalText(help) : text(defaultTask, help),
    taskOpts: text('', 'task options as k=v,k=v (e.g. digits=1,trainSize=2000)', { aliases: ['task_opts'] }),
    matcher: optionalChoice(MATCHER_NAMES, 'for a task file: how an answer is graded (default exact, unless --verifier)'),
    verifier: optionalText('for a task file: a JS module exporting verify(problem, completion)'),
    testData: optionalText("test problems (.jsonl/.json of {prompt, answer} or {prompt, tests}) instead of the task's own held-out split", { aliases: ['test_data'] }),
  };
}

export interface TaskInput {
  task: string;
  taskOpts?: string;
  matcher?: string | undefined;
  verifier?: string | undefined;
  /** A file of test problems that replaces the task's held-out split. */
  testData?: string | undefined;
  /** The run's seed: tasks that draw or split at random use it unless taskOpts sets one. */
  seed: number;
}

/** "digits=1,carries=false,name=x" → { digits: 1, carries: false, name: 'x' }. */
export function parseTaskOpts(s: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of (s ?? '').split(',').filter((x) => x.trim() !== '')) {
    const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*$/.exec(kv);
    if (!m) throw new Error(`--task-opts: ${JSON.stringify(kv)} is not key=value`);
    const v = m[2]!;
    out[m[1]!] = v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}

const isTaskFile = (task: string): boolean => /\.(jsonl|json)$/i.test(task) || existsSync(task);

export async function loadTaskInput(t: TaskInput): Promise<Task> {
  const opts = parseTaskOpts(t.taskOpts);
  if (isTaskFile(t.task)) {
    if (t.testData !== undefined && opts['testFraction'] !== undefined) throw new Error(`--test-data ${t.testData}: give it or --task-opts testFraction=…, not both`);
    return getTask('user', {
      path: t.task, ...(t.matcher ? { matcher: t.matcher } : {}), ...(t.verifier ? { verifier: t.verifier } : {}), ...(t.testData ? { testPath: t.testData } : {}), ...opts,
    }, { seed: t.seed });
  }
  if (t.matcher || t.verifier) throw new Error(`--${t.matcher ? 'matcher' : 'verifier'} grades the problems of a task file; the built-in task "${t.task}" has its own verifier`);
  const task = await getTask(t.task, opts, { seed: t.seed });
  if (t.testData === undefined) return task;
  // The built-in task's verifier grades them, so they are written as its own problems are.
  const test = readUserProblems(t.testData);
  checkDisjoint(task.train, `the ${task.name} task`, test, t.testData);
  return { ...task, test, description: `${task.description ?? task.name}; test problems from ${t.testData}` };
}

/** "arithmetic: 500 training and 100 test problems (…)": what a job logs before it starts. */
export function describeTask(task: Task): string {
  return `task ${task.name}: ${task.train.length} training and ${task.test.length} test problems${task.description ? ` (${task.description})` : ''}`;
}
