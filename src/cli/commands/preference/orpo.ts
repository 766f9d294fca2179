// `alignkit orpo`: odds-ratio preference optimisation, supervised and preference terms in one loss,
// no reference model (align/orpo/job.ts).
import { orpoJobOptions, runOrpoJob } from '../../../align/orpo/job.js';
import { defineCommand } from '../../command.js';
import { describePairJob } from '../../../align/trainer/job.js';

export const orpoCommand = defineCommand({
  name: 'orpo',
  summary: 'ORPO: SFT and an odds-ratio preference term in one loss, no reference model',
  options: orpoJobOptions,
  examples: [
    'alignkit orpo --model runs/base/model --data prefs.jsonl --out runs/orpo',
    'alignkit orpo --model runs/base/model --data prefs.jsonl --beta 0.2 --learning_rate 1e-4 --out runs/orpo',
  ],
  async run(o) {
    const r = await runOrpoJob(o, { log: (s) => { if (!o.quiet) console.error(`orpo: ${s}`); } });
    console.log(describePairJob('orpo', r));
    return 0;
  },
});
