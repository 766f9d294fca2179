// `alignkit cpo`: contrastive preference optimisation (sigmoid, hinge, ipo or simpo) with an NLL
// term, no reference model (align/cpo/job.ts).
import { cpoJobOptions, runCpoJob } from '../../../align/cpo/job.js';
import { defineCommand } from '../../command.js';
import { describePairJob } from '../../../align/trainer/job.js';

export const cpoCommand = defineCommand({
  name: 'cpo',
  summary: 'CPO: preference term plus NLL on the chosen completions, no reference model (loss types sigmoid, hinge, ipo, simpo)',
  options: cpoJobOptions,
  examples: [
    'alignkit cpo --model runs/sft/model --data prefs.jsonl --out runs/cpo',
    'alignkit cpo --model runs/sft/model --data prefs.jsonl --loss_type simpo --cpo_alpha 0.1 --out runs/cpo-simpo',
  ],
  async run(o) {
    const r = await runCpoJob(o, { log: (s) => { if (!o.quiet) console.error(`cpo: ${s}`); } });
    console.log(describePairJob('cpo', r));
    return 0;
  },
});
