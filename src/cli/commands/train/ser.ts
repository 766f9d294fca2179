// `alignkit ser`: Self-Evolved Reward Learning (Huang et al. 2024) on a preference file; the run is
// align/ser/job.ts. The evolved reward model lands in <out>/model, the per-loop RMs in
// <out>/checkpoints/rm-<loop>, the policy in <out>/checkpoints/policy.
import { formatSerTable } from '../../../align/ser/report.js';
import { runSerJob, serJobOptions } from '../../../align/ser/job.js';
import { bool, checkEach, declareConfig, valuesFor } from '../../../config/index.js';
import { defineCommand } from '../../command.js';

// --json is how the command prints, not part of the run: it is declared here, not in the job.
const serCommandOptions = declareConfig('ser', {
  ...serJobOptions.options,
  json: bool(false, 'print the per-loop results as one JSON object on stdout'),
}, checkEach(serJobOptions));

export const serCommand = defineCommand({
  name: 'ser',
  summary: 'Self-Evolved Reward Learning: a seed RM on a labelled fraction self-labels the rest, then DPO or PPO',
  options: serCommandOptions,
  examples: [
    'alignkit ser --model runs/sft/model --data prefs.jsonl --seed-fraction 0.15 --out runs/ser',
    'alignkit ser --model runs/sft/model --data prefs.jsonl --criterion sigmoid-diff --retrain continue --resume',
    'alignkit ser --config ser.yaml --policy-step ppo --ppo-steps 100',
  ],
  async run(v) {
    const r = await runSerJob(valuesFor(serJobOptions, v), { log: (s) => { if (!v.quiet) console.error(`ser: ${s}`); } });
    if (v.json) {
      console.log(JSON.stringify({ seedTestAccuracy: r.seedTestAccuracy, loops: r.loops, stopReason: r.stopReason, dpoEval: r.dpoEval, ppo: r.ppo, out: r.out, model: r.model, policy: r.policy }));
      return 0;
    }
    const how = r.ppo ? `PPO, ${r.ppo.steps} steps against the evolved RM` : `DPO on ${r.policyPairs} RM-labelled pairs`;
    console.log(`\n${formatSerTable(r.seedTestAccuracy, r.loops)}\n\nstopped: ${r.stopReason}. Evolved RM in ${r.model}` + (r.policy ? `; policy (${how}) in ${r.policy}` : ''));
    return 0;
  },
});
