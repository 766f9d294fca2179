// `alignkit grpo`: Group Relative Policy Optimisation (DeepSeekMath) against a verifier or a
// reward model: G samples per prompt, group-normalised advantages, k3 KL to the reference
// (align/grpo/job.ts).
import { grpoJobOptions, runGrpoJob } from '../../../align/grpo/job.js';
import { describeLast } from '../../../align/rollout/job-run.js';
import { defineCommand } from '../../command.js';

export const grpoCommand = defineCommand({
  name: 'grpo',
  summary: 'GRPO: group-normalised policy gradient against a verifier or a reward model, no critic',
  options: grpoJobOptions,
  examples: [
    'alignkit grpo --model runs/arith-sft/model --task arithmetic --samples-per-prompt 8 --out runs/grpo',
    'alignkit grpo --model runs/sft/model --reward-model runs/rm/model --prompts prompts.jsonl --beta 0 --out runs/grpo-rm',
    'alignkit grpo --model runs/sft/model --prompts rows.jsonl --verifier check.mjs --reward-fn 0.2*brevity.mjs --out runs/grpo-fn',
    'alignkit grpo --config grpo.yaml --num_generations 4',
  ],
  async run(o) {
    const r = await runGrpoJob(o, { log: (s) => { if (!o.quiet) console.error(`grpo: ${s}`); } });
    console.log(`grpo: done, step ${r.step} (${describeLast(r.last)}); policy in ${r.model}, samples in ${r.out}/samples/`);
    return 0;
  },
});
