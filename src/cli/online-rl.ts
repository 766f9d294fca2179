// The flags and the setup that `alignkit ppo`, `grpo` and `rloo` share: policy, prompts, reward, run store.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { getTask } from '../data/tasks/index.js';
import { loadDataset } from '../data/load-dataset.js';
import { renderTurns } from '../data/lm-examples.js';
import { saveModelDir, type Transformer } from '../model/index.js';
import { RunStore } from '../runs/run-store.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { verifierReward, weightedReward, type RewardFn } from '../align/trainer/reward-fn.js';
import { loadRewardModel } from '../align/reward/reward-fn-model.js';
import type { PromptItem } from '../align/rollout/rollout.js';
import type { OnlineConfig } from '../align/rollout/config.js';
import { flag, helpText, num, parseCommand, required, str, UsageError, type OptionSpecs, type Parsed } from './args.js';
import { loadWithTokenizer } from '../align/trainer/inputs.js';

// ---- shared by ppo, grpo and rloo ---------------------------------------------------------------

/** The flags every online RL command takes; defaults from the trainer's config. */
export function rlSpecs(d: OnlineConfig): OptionSpecs {
  return {
    model: { type: 'string', help: 'policy model directory (with tokenizer.json); also the frozen reference' },
    task: { type: 'string', help: 'reward from a verifier: arithmetic, g2p, program, or a JSONL file of {prompt, answer}; its training problems are the prompts' },
    'task-opts': { type: 'string', help: 'task options as k=v,k=v (e.g. digits=1,steps=1)' },
    matcher: { type: 'string', help: 'for a JSONL task: exact, numeric, regex or last-number', default: 'exact' },
    'reward-model': { type: 'string', help: 'reward from a reward model directory (scalar head "score")' },
    'rm-weight': { type: 'number', help: 'weight of the reward model beside the verifier when both are given', default: 1 },
    prompts: { type: 'string', help: 'prompt file (.jsonl/.json/.parquet of {prompt}); default the task\'s training problems' },
    out: { type: 'string', help: 'run directory: metrics.jsonl, samples/, checkpoints/step-N, checkpoints/final' },
    steps: { type: 'number', help: 'rollout batches', default: d.steps },
    'prompts-per-step': { type: 'number', help: 'prompts per rollout batch', default: d.promptsPerStep },
    'samples-per-prompt': { type: 'number', help: 'completions per prompt', default: d.samplesPerPrompt },
    temperature: { type: 'number', help: 'sampling temperature (> 0)', default: d.temperature },
    'top-k': { type: 'number', help: 'sample from the k most likely tokens only (0: all)', default: d.topK },
    'max-new-tokens': { type: 'number', help: 'longest completion', default: d.maxNewTokens },
    'missing-eos-penalty': { type: 'number', help: 'subtracted from the score of a completion that never emits EOS', default: d.missingEosPenalty },
    lr: { type: 'number', help: 'learning rate', default: d.lr },
    'save-every': { type: 'number', help: 'checkpoint (and resume point) every N steps (0: at the end)', default: d.saveEvery },
    'batch-size': { type: 'number', help: 'sequences per forward pass when sampling and scoring', default: d.batchSize },
    seed: { type: 'number', help: 'seed of sampling, minibatch order and the task', default: d.seed },
    resume: { type: 'boolean', help: 'continue the run in --out from its last completed block' },
    quiet: { type: 'boolean', help: 'no progress display' },
  };
}

/** The shared settings as a trainer config. */
export function rlConfig(p: Parsed): Partial<OnlineConfig> {
  return {
    steps: num(p, 'steps'), promptsPerStep: num(p, 'prompts-per-step'), samplesPerPrompt: num(p, 'samples-per-prompt'),
    temperature: num(p, 'temperature'), topK: num(p, 'top-k'), maxNewTokens: num(p, 'max-new-tokens'), missingEosPenalty: num(p, 'missing-eos-penalty'),
    lr: num(p, 'lr'), saveEvery: num(p, 'save-every'), batchSize: num(p, 'batch-size'), seed: num(p, 'seed'),
  };
}

/** Runs a trainer's resolve function, turning its error into a usage error. */
export function checked<C>(resolve: (c: Partial<C>) => C, config: Partial<C>): C {
  try {
    return resolve(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** "digits=1,carries=false" → { digits: 1, carries: false }. */
export function parseTaskOpts(s: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!s) return out;
  for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`--task-opts: "${part}" is not k=v`);
    const k = part.slice(0, eq), v = part.slice(eq + 1);
    out[k] = v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}

export interface RlSetup {
  policy: Transformer;
  tokenizer: Tokenizer;
  prompts: PromptItem[];
  reward: RewardFn;
  /** The reward model, when one was given (PPO may start its critic from it). */
  rewardModel: Transformer | null;
  /** Where everything came from, for the run's config.json. */
  sources: Record<string, unknown>;
}

export async function readRlSetup(p: Parsed): Promise<RlSetup> {
  const modelDir = required(p, 'model', 'the policy model directory');
  const taskName = str(p, 'task'), rmDir = str(p, 'reward-model'), promptFile = str(p, 'prompts');
  if (!taskName && !rmDir) throw new UsageError('give --task (a verifier) or --reward-model (a reward model directory), or both');
  const { model: policy, tokenizer } = loadWithTokenizer(modelDir, 'model');

  const parts: { name: string; fn: RewardFn; weight: number }[] = [];
  let taskPrompts: PromptItem[] = [];
  if (taskName) {
    const opts = { seed: num(p, 'seed'), ...parseTaskOpts(str(p, 'task-opts')) };
    const task = existsSync(taskName) && taskName.endsWith('.jsonl')
      ? await getTask('user', { path: taskName, matcher: str(p, 'matcher'), ...opts })
      : await getTask(taskName, opts);
    parts.push({ name: 'verifier', fn: verifierReward([...task.train, ...task.test], task.verifier), weight: 1 });
    taskPrompts = task.train.map((x) => ({ id: x.id, text: x.prompt }));
  }
  let rewardModel: Transformer | null = null;
  if (rmDir) {
    const rm = loadRewardModel(rmDir, { batchSize: num(p, 'batch-size') });
    rewardModel = rm.model;
    parts.push({ name: 'reward-model', fn: rm.reward, weight: taskName ? num(p, 'rm-weight') : 1 });
  }
  const prompts = promptFile ? await readPrompts(promptFile) : taskPrompts;
  if (prompts.length === 0) throw new UsageError(promptFile ? `--prompts ${promptFile}: no prompts` : '--prompts <file> is required with --reward-model alone (a task brings its own prompts)');
  const reward = parts.length === 1 ? parts[0]!.fn : weightedReward(parts);
  const sources = { model: modelDir, task: taskName ?? null, taskOpts: str(p, 'task-opts') ?? null, rewardModel: rmDir ?? null, rmWeight: num(p, 'rm-weight'), prompts: promptFile ?? null };
  return { policy, tokenizer, prompts, reward, rewardModel, sources };
}

/** Prompts of an RL prompt file; chat prompts end with "assistant: " as sft renders them. */
async function readPrompts(file: string): Promise<PromptItem[]> {
  const ds = await loadDataset(file, { format: 'prompt' });
  return ds.records.map((r, i) => ({
    id: `${basename(file)}:${ds.lines[i]}`,
    text: typeof r.prompt === 'string' ? r.prompt : renderTurns(r.prompt) + 'assistant: ',
  }));
}

/**
 * Opens the run store, runs the trainer, saves the final policy to checkpoints/final once, and
 * closes the store whatever happens. `steps` may change on a resume (to extend a finished run).
 */
export async function runRl(name: string, out: string, p: Parsed, runConfig: Record<string, unknown>, setup: RlSetup,
  train: (store: RunStore) => Promise<{ step: number; last: Record<string, number> | null }>): Promise<number> {
  const store = RunStore.open(out, runConfig, { resume: flag(p, 'resume'), resumeMayChange: ['steps'] });
  try {
    if (store.resumed) console.error(`${name}: resuming ${out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
    const nParams = setup.policy.parameters().reduce((n, t) => n + t.size, 0);
    console.error(`${name}: ${setup.prompts.length} prompts, policy ${setup.sources['model']} (${(nParams / 1e6).toFixed(2)}M parameters), reward ${[setup.sources['task'], setup.sources['rewardModel']].filter(Boolean).join(' + ')}`);
    const res = await train(store);
    const finalStage = `final/step-${res.step}`;
    if (!store.isDone(finalStage)) {
      store.saveCheckpoint('final', (d) => saveModelDir(d, setup.policy, { tokenizer: setup.tokenizer }));
      store.completeStage(finalStage, { step: res.step });
    }
    const last = res.last ? Object.entries(res.last).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ') : 'no step ran';
    console.log(`${name}: done, step ${res.step} (${last}); policy in ${store.checkpointPath('final')}, samples in ${out}/samples/`);
  } finally {
    store.close();
  }
  return 0;
}

