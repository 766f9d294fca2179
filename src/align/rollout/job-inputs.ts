// What `alignkit ppo`, `grpo` and `rloo` read before they train, declared once for the three: the
// policy (also the frozen reference), where the reward comes from (a task's verifier, a reward
// model, or both, weighted) and the prompts (a task's training problems, or a prompt file).
import { basename } from 'node:path';
import { ConfigError, num, optionalText, requiredText, type ValuesOf } from '../../config/index.js';
import { renderTurns } from '../../data/lm-examples.js';
import { loadDataset } from '../../data/datasets/load-dataset.js';
import { loadTaskInput, taskInputOptions } from '../../data/tasks/task-input.js';
import type { Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { loadRewardModel } from '../reward/reward-fn-model.js';
import { loadWithTokenizer } from '../trainer/inputs.js';
import { verifierReward, weightedReward, type RewardFn, type WeightedPart } from '../trainer/reward-fn.js';
import type { PromptItem } from './rollout.js';

// The online trainers never evaluate on a task's test problems, so --test-data is not theirs.
const { testData: _testData, ...taskInputs } = taskInputOptions(undefined);

export const onlineInputOptions = {
  model: requiredText('policy model directory (with tokenizer.json); also the frozen reference', 'the policy model directory', { aliases: ['model_name_or_path', 'sft_model_path'] }),
  ...taskInputs,
  rewardModel: optionalText('reward model directory (scalar head "score"): its score of each completion is the reward', { aliases: ['reward_model_path'] }),
  rmWeight: num(1, 'weight of the reward model beside the verifier when both are given'),
  prompts: optionalText("prompt file (.jsonl/.json/.parquet of {prompt}, a string or a message list); default the task's training problems"),
};

/** The values of onlineInputOptions, as a job resolved them. */
export type OnlineInputs = ValuesOf<typeof onlineInputOptions>;

/**
 * The inputs that must go together, checked before anything is read or written. Its words avoid
 * the option names except where it means them: the command line turns each into its flag.
 */
export function checkOnlineInputs(name: string, o: OnlineInputs): void {
  if (!o.task && !o.rewardModel) throw new ConfigError(`${name} config: give task (whose problems are graded) or rewardModel (a reward-model directory), or both, to score the completions`, 'task');
  if (!o.task && !o.prompts) throw new ConfigError(`${name} config: prompts <file> is required with rewardModel alone: only tasks bring their own problems`, 'prompts');
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
}

export interface OnlineSources {
  model: string;
  task: string | null;
  taskOpts: string | null;
  matcher: string | null;
  verifier: string | null;
  rewardModel: string | null;
  rmWeight: number;
  prompts: string | null;
}

/**
 * Loads the policy, the task and the reward model, and reads the prompts. `name` is the trainer's
 * (for errors); `seed` the run's (a task that draws its problems at random uses it); `batchSize`
 * bounds the reward model's forwards.
 */
export async function readOnlineSetup(o: OnlineInputs, run: { name: string; seed: number; batchSize: number }): Promise<OnlineSetup> {
  checkOnlineInputs(run.name, o);
  const { model: policy, tokenizer } = loadWithTokenizer(o.model, 'model');
  const parts: WeightedPart[] = [];
  let taskPrompts: PromptItem[] = [];
  if (o.task) {
    const task = await loadTaskInput({ task: o.task, taskOpts: o.taskOpts, matcher: o.matcher, verifier: o.verifier, seed: run.seed });
    parts.push({ name: 'verifier', fn: verifierReward([...task.train, ...task.test], task.verifier), weight: 1 });
    taskPrompts = task.train.map((x) => ({ id: x.id, text: x.prompt }));
  }
  let rewardModel: Transformer | null = null;
  if (o.rewardModel) {
    const rm = loadRewardModel(o.rewardModel, { batchSize: run.batchSize });
    rewardModel = rm.model;
    parts.push({ name: 'reward-model', fn: rm.reward, weight: o.task ? o.rmWeight : 1 });
  }
  const prompts = o.prompts ? await readPrompts(o.prompts) : taskPrompts;
  if (prompts.length === 0) throw new Error(o.prompts ? `--prompts ${o.prompts}: no prompts in the file` : `--task ${o.task}: the task has no training problems to prompt with`);
  const reward = parts.length === 1 ? parts[0]!.fn : weightedReward(parts);
  const sources: OnlineSources = {
    model: o.model, task: o.task ?? null, taskOpts: o.taskOpts || null, matcher: o.matcher ?? null, verifier: o.verifier ?? null,
    rewardModel: o.rewardModel ?? null, rmWeight: o.rmWeight, prompts: o.prompts ?? null,
  };
  return { policy, tokenizer, prompts, reward, rewardModel, sources };
}

/** Prompts of an RL prompt file; chat prompts end with "assistant: " as sft renders them. */
export async function readPrompts(file: string): Promise<PromptItem[]> {
  const ds = await loadDataset(file, { format: 'prompt' });
  return ds.records.map((r, i) => ({
    id: `${basename(file)}:${ds.lines[i]}`,
    text: typeof r.prompt === 'string' ? r.prompt : renderTurns(r.prompt) + 'assistant: ',
  }));
}
