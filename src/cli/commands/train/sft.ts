// `alignkit sft`: pretraining (text) and supervised fine-tuning (prompt/completion, messages).
import { runSftJob, sftJobOptions } from '../../../align/sft/job.js';
import { defineCommand } from '../../command.js';

export const sftCommand = defineCommand({
  name: 'sft',
  summary: 'pretrain on text or fine-tune on prompt/completion pairs',
  options: sftJobOptions,
  examples: [
    'alignkit sft --corpus moby-dick --steps 300 --save-every 100 --out runs/moby',
    'alignkit sft --corpus moby-dick --steps 600 --out runs/moby --resume',
    'alignkit sft --data pairs.jsonl --model runs/moby/model --epochs 3 --out runs/moby-sft',
    'alignkit sft --config sft.yaml --learning_rate 3e-4',
  ],
  async run(o) {
    const r = await runSftJob(o, { log: (s) => { if (!o.quiet) console.error(`sft: ${s}`); } });
    const loss = (x: number | null) => x?.toFixed(4) ?? '-';
    const t = r.truncation?.train;
    const cut = t && t.cut > 0 ? `; ${t.cut} of ${t.examples} training examples truncated (--truncation ${o.truncation}), ${t.dropped} dropped` : '';
    console.log(`sft: done, step ${r.step}, train loss ${loss(r.loss)}, held-out loss ${loss(r.evalLoss)}${cut}; model in ${r.model}`);
    return 0;
  },
});
