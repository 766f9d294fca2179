// `alignkit rloo`: REINFORCE Leave-One-Out (Ahmadian et al. 2024) against a verifier or a reward
// model: k samples per prompt, each baselined by the mean of the others, KL folded into the
// reward (align/rloo/job.ts).
import { describeLast } from '../../../align/rollout/job-run.js';
import { rlooJobOptions, runRlooJob } from '../../../align/rloo/job.js';
import { defineCommand } from '../../command.js';

export const rlooCommand = defineCommand({
  name: 'rloo',
  summary: 'RLOO: REINFORCE with leave-one-out baselines against a verifier or a reward model, no critic',
  options: rlooJobOptions,
  examples: [
    'alignkit rloo --model runs/arith-sft/model --task arithmetic --samples-per-prompt 4 --out runs/rloo',
    'alignkit rloo --model runs/sft/model --reward-model runs/rm/model --prompts prompts.jsonl --out runs/rloo-rm --resume',
  ],
  async run(o) {
    const r = await runRlooJob(o, { log: (s) => { if (!o.quiet) console.error(`rloo: ${s}`); } });
    console.log(`rloo: done, step ${r.step} (${describeLast(r.last)}); policy in ${r.model}, samples in ${r.out}/samples/`);
    return 0;
  },
});
