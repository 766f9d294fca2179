// `alignkit rest-em`: ReST-EM on a task with a verifier, from a base model directory.
import { restEmJobOptions, runRestEmJob } from '../../../align/rest-em/job.js';
import { formatRestEmTable } from '../../../align/rest-em/report.js';
import { bool, checkEach, declareConfig, valuesFor } from '../../../config/index.js';
import { defineCommand } from '../../command.js';

export const restEmCommand = defineCommand({
  name: 'rest-em',
  summary: 'ReST-EM self-training filtered by a binary verifier',
  options: declareConfig('rest-em', { ...restEmJobOptions.options, json: bool(false, 'print the table as JSON') }, checkEach(restEmJobOptions)),
  examples: [
    'alignkit rest-em --task arithmetic --model runs/base --policy runs/seed-sft --out runs/rem',
    'alignkit rest-em --task problems.jsonl --matcher last-number --model runs/base --iterations 2 --k 8',
    'alignkit rest-em --task program --model runs/code-base --config rest-em.yaml',
  ],
  async run(o) {
    const r = await runRestEmJob(valuesFor(restEmJobOptions, o), { log: (s) => { if (!o.quiet) console.error(`rest-em: ${s}`); } });
    if (o.json) console.log(JSON.stringify({ iterations: r.rows, model: r.model }));
    else console.log(`${formatRestEmTable({ iterations: r.rows })}\n\nEvery sample with its verdict and kept flag: ${r.out}/samples/; metrics: ${r.out}/metrics.jsonl; last policy (${r.policy}): ${r.model}`);
    return 0;
  },
});
