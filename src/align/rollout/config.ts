// Settings every online trainer (PPO, GRPO, RLOO) shares: how many samples a step draws, how
// they are drawn, how the policy is optimised, when the run is checkpointed. Each trainer's
// declaration spreads these in with its own defaults; they suit the small models this project
// trains on one CPU.
import { int, num } from '../../config/index.js';
import { adamOptions } from '../trainer/optimizer-options.js';

export function onlineOptions(d: { promptsPerStep: number; samplesPerPrompt: number }) {
  return {
    /** Each rollout batch is sampled, scored and learned from once. */
    steps: int(100, 'rollout batches', { min: 1, aliases: ['max_steps'] }),
    promptsPerStep: int(d.promptsPerStep, 'prompts per rollout batch', { min: 1 }),
    /** 1 for PPO; the group (G, k) for GRPO and RLOO. */
    samplesPerPrompt: int(d.samplesPerPrompt, 'completions per prompt', { min: 1, aliases: ['num_generations'] }),
    temperature: num(1, 'sampling temperature', { gt: 0, expected: 'a finite number > 0 (RL samples from the policy)' }),
    /** Sampling with a cut while the loss uses the full distribution is off-policy by the cut mass; keep it 0 unless the tail is garbage. */
    topK: int(0, 'sample from the k most likely tokens only (0: all)', { min: 0, aliases: ['top_k'] }),
    maxNewTokens: int(32, 'longest completion in tokens', { min: 1, aliases: ['max_completion_length', 'response_length'] }),
    /** TRL's missing_eos_penalty; 0 turns it off. */
    missingEosPenalty: num(0, 'subtracted from the score of a completion that never emits EOS', { min: 0, aliases: ['missing_eos_penalty'] }),
    // lr: RL fine-tuning moves a trained policy a little, about a tenth of the SFT rate; weight
    // decay 0: decaying towards zero would pull the policy away from the reference for no reason.
    ...adamOptions({ lr: 1e-4, weightDecay: 0 }),
    /** A crash loses at most one block. */
    saveEvery: int(10, 'checkpoint (and resume point) every N steps (0: at the end only)', { min: 0, aliases: ['save_steps'] }),
    /** Bounds memory, not results. */
    batchSize: int(64, 'sequences per forward pass when sampling and scoring', { min: 1, aliases: ['local_rollout_forward_batch_size'] }),
    /** Per step, so a resumed run redraws what the lost one drew; the jobs also draw a task's problems with it. */
    seed: int(0, 'seed of sampling, of the minibatch order and of the task', { min: 0 }),
  };
}

/** What PPO, GRPO and RLOO share (their configs have these fields and more). */
export interface OnlineConfig {
  steps: number;
  promptsPerStep: number;
  samplesPerPrompt: number;
  temperature: number;
  topK: number;
  maxNewTokens: number;
  missingEosPenalty: number;
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  gradClip: number;
  saveEvery: number;
  batchSize: number;
  seed: number;
}
