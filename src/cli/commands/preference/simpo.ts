// `alignkit simpo`: SimPO, length-normalised rewards with a target margin, no reference model and
// no NLL term: CPO's simpo loss with SimPO's defaults (align/cpo/job.ts).
import { runSimpoJob, simpoJobOptions } from '../../../align/cpo/job.js';
import { defineCommand } from '../../command.js';
import { describePairJob } from '../../../align/trainer/job.js';

export const simpoCommand = defineCommand({
  name: 'simpo',
  summary: 'SimPO: token-mean log-probability margins above γ, no reference model (CPO\'s simpo loss, no NLL)',
  options: simpoJobOptions,
  examples: [
    'alignkit simpo --model runs/sft/model --data prefs.jsonl --out runs/simpo',
    'alignkit simpo --model runs/sft/model --data prefs.jsonl --beta 2.5 --simpo_gamma 1.0 --out runs/simpo',
  ],
  async run(o) {
    const r = await runSimpoJob(o, { log: (s) => { if (!o.quiet) console.error(`simpo: ${s}`); } });
    console.log(describePairJob('simpo', r));
    return 0;
  },
});
