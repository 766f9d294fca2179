// `alignkit ppo`: RLHF with PPO against a reward model or a task's verifier. Also the flags and the
// setup that `alignkit grpo` and `alignkit rloo` share with it (policy, prompts, reward, run store).
// The trained policy is left in <out>/checkpoints/final; every sample with its score and KL in
// <out>/samples/, metrics per step in <out>/metrics.jsonl.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { getTask } from '../../data/tasks/index.js';
import '../../rewards/sandbox/program-verifier.js'; // registers the 'program' task
import { loadDataset } from '../../data/load-dataset.js';
import { renderTurns } from '../../data/lm-examples.js';
import { saveModelDir, type Transformer } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { trainPpo } from '../../align/ppo/ppo.js';
import { defaultPpoConfig, resolvePpoConfig, type PpoConfig } from '../../align/ppo/config.js';
import { verifierReward, weightedReward, type RewardFn } from '../../align/trainer/reward-fn.js';
import { loadRewardModel } from '../../align/reward/reward-fn-model.js';
import type { PromptItem } from '../../align/rollout/rollout.js';
import type { OnlineConfig } from '../../align/rollout/config.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, required, str, UsageError, type OptionSpecs, type Parsed } from '../args.js';
import { loadWithTokenizer } from './reward.js';

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

// ---- ppo ----------------------------------------------------------------------------------------

const d = defaultPpoConfig;
const specs: OptionSpecs = {
  ...rlSpecs(d),
  out: { type: 'string', help: 'run directory: metrics.jsonl, samples/, checkpoints/step-N, checkpoints/final', default: 'runs/ppo' },
  critic: { type: 'string', help: 'value function: head (v_head on the policy trunk) or reward-model (a separate copy of --reward-model)', default: 'head' },
  epochs: { type: 'number', help: 'passes over each rollout batch', default: d.epochs },
  'minibatch-size': { type: 'number', help: 'samples per gradient step (0: the whole batch)', default: d.minibatchSize },
  'kl-coef': { type: 'number', help: 'β of the per-token KL penalty (its start when adaptive)', default: d.klCoef },
  'kl-estimator': { type: 'string', help: 'k1 or k3', default: d.klEstimator },
  'adaptive-kl': { type: 'boolean', help: 'steer the KL towards --kl-target (Ziegler et al. 2019)' },
  'kl-target': { type: 'number', help: 'target KL per sequence (nats) of the adaptive controller', default: d.klTarget },
  'kl-horizon': { type: 'number', help: 'horizon (samples) of the adaptive controller', default: d.klHorizon },
  gamma: { type: 'number', help: 'discount', default: d.gamma },
  lambda: { type: 'number', help: 'GAE λ', default: d.lambda },
  clip: { type: 'number', help: 'ε of the clipped surrogate', default: d.clip },
  'clip-value': { type: 'number', help: 'clip range of the value loss', default: d.clipValue },
  'vf-coef': { type: 'number', help: 'weight of the value loss', default: d.vfCoef },
};

export const ppoCommand: Command = {
  name: 'ppo',
  summary: 'RLHF with PPO against a reward model or a verifier (KL to a frozen reference, GAE, clipped losses)',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('ppo', this.summary, specs, [
        'alignkit ppo --model runs/sft --reward-model runs/rm --prompts prompts.jsonl --out runs/ppo',
        'alignkit ppo --model runs/arith-sft --task arithmetic --task-opts digits=1 --adaptive-kl --kl-target 2 --out runs/ppo-arith --resume',
      ]));
      return 0;
    }
    const criticKind = str(p, 'critic');
    if (criticKind !== 'head' && criticKind !== 'reward-model') throw new UsageError(`--critic ${criticKind}: expected head or reward-model`);
    const config = checked<PpoConfig>(resolvePpoConfig, {
      ...rlConfig(p), epochs: num(p, 'epochs'), minibatchSize: num(p, 'minibatch-size'), klCoef: num(p, 'kl-coef'),
      klEstimator: str(p, 'kl-estimator') as PpoConfig['klEstimator'], adaptiveKl: flag(p, 'adaptive-kl'), klTarget: num(p, 'kl-target'),
      klHorizon: num(p, 'kl-horizon'), gamma: num(p, 'gamma'), lambda: num(p, 'lambda'), clip: num(p, 'clip'), clipValue: num(p, 'clip-value'),
      vfCoef: num(p, 'vf-coef'),
    });
    const setup = await readRlSetup(p);
    if (criticKind === 'reward-model' && !setup.rewardModel) throw new UsageError('--critic reward-model needs --reward-model');
    // The critic is a copy: the reward model itself must stay as it is, it scores every rollout.
    const critic = criticKind === 'reward-model' ? { model: setup.rewardModel!.clone(), head: 'score' } : null;
    const runConfig = { command: 'ppo', ...setup.sources, critic: criticKind, ...config };
    return runRl('ppo', str(p, 'out')!, p, runConfig, setup, async (store) => {
      const res = await trainPpo({ policy: setup.policy, critic, tokenizer: setup.tokenizer, prompts: setup.prompts, reward: setup.reward, store, config, quiet: flag(p, 'quiet') });
      const l = res.logs.at(-1);
      return { step: res.step, last: l ? { score: l.score, kl: l.kl, beta: l.beta } : null };
    });
  },
};
