// `alignkit rloo`: REINFORCE Leave-One-Out (Ahmadian et al. 2024) against a verifier or a reward
// model: k samples per prompt, each baselined by the mean of the others, KL folded into the reward.
import { trainRloo } from '../../align/rloo/rloo.js';
import { defaultRlooConfig, resolveRlooConfig, type RlooConfig } from '../../align/rloo/config.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, str, type OptionSpecs } from '../args.js';
import { checked, readRlSetup, rlConfig, rlSpecs, runRl } from '../online-rl.js';

const d = defaultRlooConfig;
const specs: OptionSpecs = {
  ...rlSpecs(d),
  out: { type: 'string', help: 'run directory: metrics.jsonl, samples/, checkpoints/step-N, checkpoints/final', default: 'runs/rloo' },
  beta: { type: 'number', help: 'β of the KL to the reference folded into each reward', default: d.beta },
  'minibatch-size': { type: 'number', help: 'samples per forward/backward pass, accumulated into one update (0: all)', default: d.minibatchSize },
};

export const rlooCommand: Command = {
  name: 'rloo',
  summary: 'RLOO: REINFORCE with leave-one-out baselines against a verifier or a reward model, no critic',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('rloo', this.summary, specs, [
        'alignkit rloo --model runs/arith-sft --task arithmetic --samples-per-prompt 4 --out runs/rloo',
        'alignkit rloo --model runs/sft --reward-model runs/rm --prompts prompts.jsonl --out runs/rloo-rm --resume',
      ]));
      return 0;
    }
    const config = checked<RlooConfig>(resolveRlooConfig, { ...rlConfig(p), beta: num(p, 'beta'), minibatchSize: num(p, 'minibatch-size') });
    const setup = await readRlSetup(p);
    return runRl('rloo', str(p, 'out')!, p, { command: 'rloo', ...setup.sources, ...config }, setup, async (store) => {
      const res = await trainRloo({ policy: setup.policy, tokenizer: setup.tokenizer, prompts: setup.prompts, reward: setup.reward, store, config, quiet: flag(p, 'quiet') });
      const l = res.logs.at(-1);
      return { step: res.step, last: l ? { score: l.score, kl: l.kl } : null };
    });
  },
};
