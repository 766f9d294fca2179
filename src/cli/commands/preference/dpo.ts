// `alignkit dpo`: Direct Preference Optimisation (DPO, IPO, cDPO, robust) on preference pairs.
import { dpoJobOptions, runDpoJob } from '../../../align/dpo/job.js';
import { defineCommand } from '../../command.js';

export const dpoCommand = defineCommand({
  name: 'dpo',
  summary: 'direct preference optimisation (DPO, IPO, cDPO, robust DPO) on preference pairs',
  options: dpoJobOptions,
  examples: [
    'alignkit dpo --model runs/sft/model --data prefs.jsonl --out runs/dpo',
    'alignkit dpo --model runs/sft/model --data prefs.jsonl --variant cdpo --label-smoothing 0.1 --beta 0.2 --out runs/cdpo --resume',
    'alignkit dpo --config dpo.yaml --learning_rate 5e-5',
  ],
  async run(o) {
    const r = await runDpoJob(o, { log: (s) => { if (!o.quiet) console.error(`dpo: ${s}`); } });
    const held = r.eval ? `held-out loss ${r.eval.loss.toFixed(4)}, accuracy ${r.eval.accuracy.toFixed(3)}, margin ${r.eval.margin.toFixed(3)}` : 'no held-out pairs';
    console.log(`dpo: done, step ${r.step}, ${held}; policy in ${r.model}`);
    return 0;
  },
});
