// What `alignkit ppo`, `grpo` and `rloo` read before they train, declared once for the three: the
// policy (also the frozen reference), where the reward comes from (a task's verifier, a verifier
// module over the rows of a prompt file, reward modules as TRL's reward_funcs, a reward model; any
// of them together, weighted) and the prompts (a task's training problems, or a prompt file).
import { basename } from 'node:path';
import { z } from 'zod';
import { ConfigError, json, num, optionalText, requiredText, type ValuesOf } from '../../config/index.js';
import { renderPrompt, type TemplateKwargs } from '../../data/chat/chat-render.js';
import { loadDataset } from '../../data/datasets/load-dataset.js';
import { describeTask, loadTaskInput, taskInputOptions } from '../../data/tasks/task-input.js';
import type { Problem } from '../../data/tasks/task.js';
import type { HubOptions } from '../../hub/index.js';
import { frozenDtypeOption, type Transformer } from '../../model/index.js';
import { loadRewardModule } from '../../rewards/reward-module.js';
import { loadVerifierModule } from '../../rewards/verifier-module.js';
import { chatTemplateKwargs, type Tokenizer } from '../../tokenizer/index.js';
import { checkJudgeInputs, isJudgeUrl, judgeOptions, judgeSource, openJudge } from '../judge/options.js';
import { judgeReward } from '../judge/judge-reward.js';
import { loadRewardModel } from '../reward/reward-fn-model.js';
import { loadTrainable, checkpointingOptions, loraOptions, loraRunConfig, type CheckpointingOptions, type LoraOptions } from '../trainer/lora-options.js';
import { moduleReward, verifierReward, weightedReward, type RewardFn, type WeightedPart } from '../trainer/reward-fn.js';
import type { PromptItem } from './rollout.js';

// The online trainers never evaluate on a task's test problems, so --test-data is not theirs.
const { testData: _testData, verifier: _verifier, ...taskInputs } = taskInputOptions(undefined);

/** One reward module and its weight in the sum. */
export interface RewardFnSpec { path: string; weight: number }

/** "len.mjs" or "0.5*len.mjs"; anything else is left for the schema to refuse. */
function rewardFnItem(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const m = /^\s*(?:([-+]?[0-9.]+(?:e[-+]?\d+)?)\s*\*\s*)?(\S.*?)\s*$/i.exec(v);
  return m ? { path: m[2], weight: m[1] === undefined ? 1 : Number(m[1]) } : v;
}

const rewardFnSchema = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').filter((x) => x.trim() !== '').map(rewardFnItem) : Array.isArray(v) ? v.map(rewardFnItem) : v),
  z.array(z.object({ path: z.string().min(1), weight: z.number().finite() }).strict()),
) as unknown as z.ZodType<RewardFnSpec[]>;

export const onlineInputOptions = {
  model: requiredText('policy model directory (with tokenizer.json); also the frozen reference', 'the policy model directory', { aliases: ['model_name_or_path', 'sft_model_path'], hub: 'model' }),
  ...taskInputs,
  verifier: optionalText("a JS module exporting verify(problem, completion): grades a task file's problems, or the rows of --prompts (their answer, tests and other fields)"),
  rewardFn: json<RewardFnSpec[]>([], "reward modules, as TRL's reward_funcs: each exports reward(prompt, completion, fields) returning a number; a weight as 0.5*len.mjs; several joined by commas",
    rewardFnSchema, 'a module path, or several as a.mjs,0.5*b.mjs', (text) => text.split(',').filter((x) => x.trim() !== '').map(rewardFnItem) as RewardFnSpec[],
    { aliases: ['reward_funcs'] }),
  rewardModel: optionalText('reward model directory (scalar head "score"): its score of each completion is the reward', { aliases: ['reward_model_path'], hub: 'model' }),
  rmWeight: num(1, 'weight of the reward model beside the other rewards, when there are others'),
  ...judgeOptions,
  judgeWeight: num(1, 'weight of the LLM judge (--judge) beside the other rewards, when there are others'),
  prompts: optionalText("prompt file (.jsonl/.json/.parquet of {prompt}, a string or a message list); default the task's training problems", { hub: 'dataset' }),
  chatTemplateKwargs,
  ...loraOptions.options,
  ...checkpointingOptions.options,
  frozenDtype: frozenDtypeOption,
};

/** The values of onlineInputOptions, as a job resolved them. */
export type OnlineInputs = Omit<ValuesOf<typeof onlineInputOptions>, keyof LoraOptions | keyof CheckpointingOptions> & Partial<LoraOptions & CheckpointingOptions>;

/**
 * The inputs that must go together, checked before anything is read or written. Its words avoid
 * the option names except where it means them: the command line turns each into its flag.
 */
export function checkOnlineInputs(name: string, o: OnlineInputs): void {
  checkJudgeInputs(name, o);
  const given = (['verifier', 'rewardFn', 'rewardModel', 'judge'] as const).filter((k) => (k === 'rewardFn' ? o.rewardFn.length > 0 : o[k] !== undefined));
  if (!o.task && given.length === 0) {
    throw new ConfigError(`${name} config: give task (whose problems are graded), verifier (a module grading the rows of prompts), rewardFn (reward modules), `
      + 'judge (an LLM behind a URL) or rewardModel (a reward-model directory), or several, to score the completions', 'task');
  }
  if (!o.task && !o.prompts) throw new ConfigError(`${name} config: prompts <file> is required with ${given.join(' and ')} alone: only tasks bring their own problems`, 'prompts');
  if (!o.task && o.matcher) throw new ConfigError(`${name} config: matcher grades the problems of a task file; give task, or a verifier module for the rows of prompts`, 'matcher');
}

export interface OnlineSetup {
  policy: Transformer;
  tokenizer: Tokenizer;
  prompts: PromptItem[];
  reward: RewardFn;
  /** The reward model, when one was given (PPO may start its critic from it). */
  rewardModel: Transformer | null;
  /** Where everything came from, for the run's config.json. */
  sources: OnlineSources;
  /** Lines for the run's log: the task's split, the rewards and their weights. */
  notes: string[];
}

export interface OnlineSources extends Partial<LoraOptions> {
  model: string;
  task: string | null;
  taskOpts: string | null;
  matcher: string | null;
  verifier: string | null;
  /** Only when given, so that the config.json of a run without them reads as before. */
  rewardFn?: RewardFnSpec[];
  rewardModel: string | null;
  rmWeight: number;
  prompts: string | null;
  /** Only when given (no API key in it). */
  judge?: Record<string, unknown>;
}

/** The rows the policy is prompted with, and each row's other fields (what reward modules and verifiers read). */
interface Rows { prompts: PromptItem[]; fields: Map<string, Record<string, unknown>> }

/** A prompt row as a problem a verifier module can grade: its answer, tests and other fields as a task file gives them. */
function rowProblem(p: PromptItem, fields: Record<string, unknown>): Problem {
  const { answer, tests, id: _id, ...meta } = fields;
  return {
    id: p.id, prompt: p.text, meta,
    ...(typeof answer === 'string' || typeof answer === 'number' ? { answer: String(answer) } : {}), ...(tests !== undefined ? { tests } : {}),
  };
}

/** The task's verifier, a verifier module over the prompt rows, the reward modules and the reward model, each with its weight. */
/** The reference a {reference} placeholder shows: the row's reference, else its answer. */
function referenceOf(rows: Rows): (id: string) => string | undefined {
  return (id) => {
    const f = rows.fields.get(id) ?? {};
    const r = f['reference'] ?? f['answer'];
    return typeof r === 'string' || typeof r === 'number' ? String(r) : undefined;
  };
}

async function rewardParts(o: OnlineInputs, rows: Rows, task: Awaited<ReturnType<typeof loadTaskInput>> | null, run: { batchSize: number; out?: string }) {
  const batchSize = run.batchSize;
  const parts: WeightedPart[] = [];
  if (task) parts.push({ name: 'verifier', fn: verifierReward([...task.train, ...task.test], task.verifier), weight: 1 });
  else if (o.verifier) parts.push({ name: 'verifier', fn: verifierReward(rows.prompts.map((p) => rowProblem(p, rows.fields.get(p.id)!)), await loadVerifierModule(o.verifier)), weight: 1 });
  for (const spec of o.rewardFn) parts.push({ name: `reward-fn:${spec.path}`, fn: moduleReward(await loadRewardModule(spec.path), rows.fields), weight: spec.weight });
  let rewardModel: Transformer | null = null;
  if (o.rewardModel) {
    const rm = loadRewardModel(o.rewardModel, { batchSize, frozenDtype: o.frozenDtype });
    rewardModel = rm.model;
    parts.push({ name: 'reward-model', fn: rm.reward, weight: parts.length > 0 ? o.rmWeight : 1 });
  }
  if (isJudgeUrl(o.judge)) {
    if (run.out === undefined) throw new Error('readOnlineSetup: a judge needs the run directory (run.out) for its cache and failures');
    parts.push({ name: 'judge', fn: judgeReward(openJudge({ ...o, judge: o.judge, judgeTemplate: o.judgeTemplate! }, run.out), referenceOf(rows)), weight: parts.length > 0 ? o.judgeWeight : 1 });
  }
  return { parts, rewardModel };
}

/**
 * Loads the policy, the task, the reward modules and the reward model, and reads the prompts.
 * `name` is the trainer's (for errors); `seed` the run's (a task that draws its problems at random
 * uses it); `batchSize` bounds the reward model's forwards.
 */
export async function readOnlineSetup(o: OnlineInputs, run: { name: string; seed: number; batchSize: number; hub?: HubOptions; out?: string }): Promise<OnlineSetup> {
  checkOnlineInputs(run.name, o);
  const { model: policy, tokenizer } = loadTrainable(o.model, o, 'model', run.seed);
  const task = o.task ? await loadTaskInput({ task: o.task, taskOpts: o.taskOpts, matcher: o.matcher, verifier: o.verifier, seed: run.seed }) : null;
  const rows: Rows = o.prompts ? await readPromptRows(o.prompts, tokenizer, o.chatTemplateKwargs, run.hub) : { prompts: [], fields: new Map() };
  if (task) {
    for (const { prompt: _p, ...fields } of [...task.train, ...task.test]) if (!rows.fields.has(fields.id)) rows.fields.set(fields.id, fields);
    if (!o.prompts) rows.prompts = task.train.map((x) => ({ id: x.id, text: x.prompt }));
  }
  if (rows.prompts.length === 0) throw new Error(o.prompts ? `--prompts ${o.prompts}: no prompts in the file` : `--task ${o.task}: the task has no training problems to prompt with`);
  const { parts, rewardModel } = await rewardParts(o, rows, task, run);
  const reward = parts.length === 1 && parts[0]!.weight === 1 ? parts[0]!.fn : weightedReward(parts);
  const sources: OnlineSources = {
    model: o.model, task: o.task ?? null, taskOpts: o.taskOpts || null, matcher: o.matcher ?? null, verifier: o.verifier ?? null,
    ...(o.rewardFn.length ? { rewardFn: o.rewardFn } : {}), rewardModel: o.rewardModel ?? null, rmWeight: o.rmWeight, prompts: o.prompts ?? null,
    ...loraRunConfig(o),
    ...(isJudgeUrl(o.judge) ? { judge: { ...judgeSource(o), weight: o.judgeWeight } } : {}),
  };
  const notes = [...(task ? [describeTask(task)] : []), `reward: ${parts.map((p) => `${p.weight}·${p.name}`).join(' + ')}`];
  return { policy, tokenizer, prompts: rows.prompts, reward, rewardModel, sources, notes };
}

/**
 * Prompts of an RL prompt file. A message list is rendered with the policy tokenizer's chat
 * template and its generation prompt, as sft renders the same conversation (the built-in format
 * ends it with "assistant: ").
 */
export async function readPrompts(file: string, tok: Tokenizer, kwargs: TemplateKwargs = {}, hub: HubOptions = {}): Promise<PromptItem[]> {
  return (await readPromptRows(file, tok, kwargs, hub)).prompts;
}

async function readPromptRows(file: string, tok: Tokenizer, kwargs: TemplateKwargs = {}, hub: HubOptions = {}): Promise<Rows> {
  const ds = await loadDataset(file, { format: 'prompt', keepFields: true, hub });
  const rows: Rows = { prompts: [], fields: new Map() };
  ds.records.forEach((r, i) => {
    const id = `${basename(file)}:${ds.lines[i]}`;
    rows.prompts.push(typeof r.prompt === 'string' ? { id, text: r.prompt } : { id, text: renderPrompt(tok, r.prompt, kwargs, `${file}:${ds.lines[i]}`), chat: true });
    rows.fields.set(id, ds.fields![i]!);
  });
  return rows;
}
