// `alignkit kto`: Kahneman–Tversky Optimisation on unpaired preference data (align/kto/job.ts).
import { ktoJobOptions, runKtoJob } from '../../../align/kto/job.js';
import { defineCommand } from '../../command.js';

export const ktoCommand = defineCommand({
  name: 'kto',
  summary: 'KTO: preference optimisation from completions labelled desirable or undesirable, one at a time',
  options: ktoJobOptions,
  examples: [
    'alignkit kto --model runs/sft/model --data feedback.jsonl --out runs/kto',
    'alignkit kto --model runs/sft/model --data prefs.jsonl --desirable_weight 1.33 --out runs/kto-pairs',
  ],
  async run(o) {
    const r = await runKtoJob(o, { log: (s) => { if (!o.quiet) console.error(`kto: ${s}`); } });
    const held = r.eval ? `held-out loss ${r.eval.loss.toFixed(4)}, reward margin ${r.eval.rewardMargin.toFixed(3)}` : 'no held-out examples';
    console.log(`kto: done, step ${r.step}, ${held}; policy in ${r.model}`);
    return 0;
  },
});
