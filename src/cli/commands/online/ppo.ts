// `alignkit ppo`: RLHF with PPO against a reward model or a task's verifier (align/ppo/job.ts).
import { runPpoJob, ppoJobOptions } from '../../../align/ppo/job.js';
import { describeLast } from '../../../align/rollout/job-run.js';
import { defineCommand } from '../../command.js';

export const ppoCommand = defineCommand({
  name: 'ppo',
  summary: 'RLHF with PPO against a reward model or a verifier (KL to a frozen reference, GAE, clipped losses)',
  options: ppoJobOptions,
  examples: [
    'alignkit ppo --model runs/sft/model --reward-model runs/rm/model --prompts prompts.jsonl --out runs/ppo',
    'alignkit ppo --model runs/arith-sft/model --task arithmetic --task-opts digits=1 --adaptive-kl --kl-target 2 --out runs/ppo-arith --resume',
    'alignkit ppo --config ppo.yaml --learning_rate 5e-5',
  ],
  async run(o) {
    const r = await runPpoJob(o, { log: (s) => { if (!o.quiet) console.error(`ppo: ${s}`); } });
    console.log(`ppo: done, step ${r.step} (${describeLast(r.last)}); policy in ${r.model}, samples in ${r.out}/samples/`);
    return 0;
  },
});
