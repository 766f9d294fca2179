// `alignkit grpo`: Group Relative Policy Optimisation (DeepSeekMath) against a verifier or a
// reward model: G samples per prompt, group-normalised advantages, k3 KL to the reference.
import { trainGrpo } from '../../align/grpo/grpo.js';
import { defaultGrpoConfig, resolveGrpoConfig, type GrpoConfig } from '../../align/grpo/config.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, str, type OptionSpecs } from '../args.js';
import { checked, readRlSetup, rlConfig, rlSpecs, runRl } from '../online-rl.js';

const d = defaultGrpoConfig;
const specs: OptionSpecs = {
  ...rlSpecs(d),
  out: { type: 'string', help: 'run directory: metrics.jsonl, samples/, checkpoints/step-N, checkpoints/final', default: 'runs/grpo' },
  epochs: { type: 'number', help: 'μ, passes over each rollout batch', default: d.epochs },
  'minibatch-size': { type: 'number', help: 'samples per gradient step (0: the whole batch)', default: d.minibatchSize },
  beta: { type: 'number', help: 'β of the k3 KL to the reference in the loss (0: no reference)', default: d.beta },
  clip: { type: 'number', help: 'ε of the ratio clip', default: d.clip },
  aggregation: { type: 'string', help: 'sequence (mean per output, then over outputs) or token (DAPO)', default: d.aggregation },
  'no-std-scale': { type: 'boolean', help: 'advantages r − mean without dividing by the group std (Dr. GRPO)' },
};

export const grpoCommand: Command = {
  name: 'grpo',
  summary: 'GRPO: group-normalised policy gradient against a verifier or a reward model, no critic',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('grpo', this.summary, specs, [
        'alignkit grpo --model runs/arith-sft --task arithmetic --samples-per-prompt 8 --out runs/grpo',
        'alignkit grpo --model runs/sft --reward-model runs/rm --prompts prompts.jsonl --beta 0 --out runs/grpo-rm',
      ]));
      return 0;
    }
    const config = checked<GrpoConfig>(resolveGrpoConfig, {
      ...rlConfig(p), epochs: num(p, 'epochs'), minibatchSize: num(p, 'minibatch-size'), beta: num(p, 'beta'), clip: num(p, 'clip'),
      aggregation: str(p, 'aggregation') as GrpoConfig['aggregation'], scaleByStd: !flag(p, 'no-std-scale'),
    });
    const setup = await readRlSetup(p);
    return runRl('grpo', str(p, 'out')!, p, { command: 'grpo', ...setup.sources, ...config }, setup, async (store) => {
      const res = await trainGrpo({ policy: setup.policy, tokenizer: setup.tokenizer, prompts: setup.prompts, reward: setup.reward, store, config, quiet: flag(p, 'quiet') });
      const l = res.logs.at(-1);
      return { step: res.step, last: l ? { score: l.score, kl: l.kl, zeroVarianceGroups: l.zeroVarianceGroups } : null };
    });
  },
};
