// `alignkit ppo`: RLHF with PPO against a reward model or a task's verifier.
// The trained policy is left in <out>/checkpoints/final; every sample with its score and KL in
// <out>/samples/, metrics per step in <out>/metrics.jsonl.
import { trainPpo } from '../../align/ppo/ppo.js';
import { defaultPpoConfig, resolvePpoConfig, type PpoConfig } from '../../align/ppo/config.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, str, UsageError, type OptionSpecs } from '../args.js';
import { checked, readRlSetup, rlConfig, rlSpecs, runRl } from '../online-rl.js';

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
