// `alignkit reward`: a reward model from pairwise preferences (Bradley–Terry), trained from a
// language model directory and optionally normalised on the reference policy's samples; the run
// is align/reward/job.ts, the model lands in <out>/model (a model directory that `alignkit ppo
// --reward-model`, SER and loadModelDir read).
import { rewardJobOptions, runRewardJob } from '../../../align/reward/job.js';
import { defineCommand } from '../../command.js';

export const rewardCommand = defineCommand({
  name: 'reward',
  summary: 'train a reward model on preference pairs (Bradley–Terry)',
  options: rewardJobOptions,
  examples: [
    'alignkit reward --model runs/sft/model --data prefs.jsonl --out runs/rm',
    'alignkit reward --model runs/sft/model --data prefs.jsonl --out runs/rm --steps 400 --resume',
    'alignkit reward --model runs/sft/model --data prefs.jsonl --epochs 1 --normalize 0',
    'alignkit reward --config rm.yaml --learning_rate 1e-4',
  ],
  async run(o) {
    const r = await runRewardJob(o, { log: (s) => { if (!o.quiet) console.error(`reward: ${s}`); } });
    const acc = r.evalAccuracy !== null ? `held-out accuracy ${r.evalAccuracy.toFixed(3)}` : 'no held-out pairs';
    const n = r.normalization;
    const scale = n ? `; rewards normalised (reference samples had mean ${n.mean.toFixed(4)}, std ${n.std.toFixed(4)})` : '';
    console.log(`reward: done, step ${r.step}, ${acc}${scale}; reward model in ${r.model}`);
    return 0;
  },
});
