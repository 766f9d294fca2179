// `alignkit online-dpo`: DPO on pairs the policy samples each step, labelled by a reward model, a
// task's verifier or a pairwise judge (align/online-dpo/job.ts).
import { describeLast } from '../../../align/rollout/job-run.js';
import { onlineDpoJobOptions, runOnlineDpoJob } from '../../../align/online-dpo/job.js';
import { defineCommand } from '../../command.js';

export const onlineDpoCommand = defineCommand({
  name: 'online-dpo',
  summary: 'online DPO: two samples per prompt each step, the better chosen by a reward model, a verifier or a judge',
  options: onlineDpoJobOptions,
  examples: [
    'alignkit online-dpo --model runs/sft/model --reward-model runs/rm/model --prompts prompts.jsonl --out runs/odpo',
    'alignkit online-dpo --model runs/arith-sft/model --task arithmetic --out runs/odpo-verifier',
    'alignkit online-dpo --model runs/sft/model --prompts prompts.jsonl --judge my-judge.mjs --out runs/odpo-judge',
  ],
  async run(o) {
    const r = await runOnlineDpoJob(o, { log: (s) => { if (!o.quiet) console.error(`online-dpo: ${s}`); } });
    console.log(`online-dpo: done, step ${r.step} (${describeLast(r.last)}); policy in ${r.model}, samples in ${r.out}/samples/`);
    return 0;
  },
});
