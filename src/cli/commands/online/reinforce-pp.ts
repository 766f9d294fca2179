// `alignkit reinforce-pp`: REINFORCE++ (Hu 2025) against a verifier or a reward model: token-level
// KL-penalised rewards-to-go, whitened over the batch, PPO's clipped surrogate, no critic
// (align/reinforce-pp/job.ts); --baseline for REINFORCE++-baseline.
import { describeLast } from '../../../align/rollout/job-run.js';
import { reinforcePpJobOptions, runReinforcePpJob } from '../../../align/reinforce-pp/job.js';
import { defineCommand } from '../../command.js';

export const reinforcePpCommand = defineCommand({
  name: 'reinforce-pp',
  summary: 'REINFORCE++ (and -baseline): token-level KL rewards, batch-whitened advantages, clipped updates, no critic',
  options: reinforcePpJobOptions,
  examples: [
    'alignkit reinforce-pp --model runs/arith-sft/model --task arithmetic --out runs/rpp',
    'alignkit reinforce-pp --model runs/arith-sft/model --task arithmetic --baseline --samples-per-prompt 8 --out runs/rpp-baseline',
  ],
  async run(o) {
    const r = await runReinforcePpJob(o, { log: (s) => { if (!o.quiet) console.error(`reinforce-pp: ${s}`); } });
    console.log(`reinforce-pp: done, step ${r.step} (${describeLast(r.last)}); policy in ${r.model}, samples in ${r.out}/samples/`);
    return 0;
  },
});
