// `alignkit rest`: ReST (Grow/Improve, Gulcehre et al. 2023) on a task, from a policy directory.
import { restJobOptions, runRestJob } from '../../../align/rest/job.js';
import { formatRestTable } from '../../../align/rest/report.js';
import { bool, checkEach, declareConfig, valuesFor } from '../../../config/index.js';
import { defineCommand } from '../../command.js';

export const restCommand = defineCommand({
  name: 'rest',
  summary: 'ReST: Grow samples, Improve on a rising reward threshold with an offline loss',
  options: declareConfig('rest', { ...restJobOptions.options, json: bool(false, 'print the rows as JSON') }, checkEach(restJobOptions)),
  examples: [
    'alignkit rest --task g2p --model runs/g2p-sft --reward per --original 400 --out runs/rest',
    'alignkit rest --task g2p --model runs/g2p-sft --reward "0.5*chrf+0.5*per" --schedule percentile:0,50,75 --loss gold',
    'alignkit rest --task qa.jsonl --matcher numeric --model runs/sft/model --config rest.yaml',
  ],
  async run(o) {
    const r = await runRestJob(valuesFor(restJobOptions, o), { log: (s) => { if (!o.quiet) console.error(`rest: ${s}`); } });
    if (o.json) console.log(JSON.stringify({ rows: r.rows, model: r.model }));
    else console.log(`${formatRestTable(r.rows)}\n\nGrown samples with rewards and kept flags: ${r.out}/samples/; metrics: ${r.out}/metrics.jsonl; last policy (${r.policy}): ${r.model}`);
    return 0;
  },
});
