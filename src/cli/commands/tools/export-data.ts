// `alignkit export-data RUN --format trl-sft|trl-dpo --out FILE`: a run's kept Grow samples or its
// pairs as a dataset in TRL's formats, so Improve can run in TRL or OpenRLHF (README, "Export a run's data").
import { exportDataJobOptions, runExportDataJob } from '../../../align/export-data/job.js';
import { defineCommand } from '../../command.js';
import { withPositionals } from '../../positional.js';

export const exportDataCommand = withPositionals(defineCommand({
  name: 'export-data',
  summary: "a run's kept Grow samples (trl-sft) or preference pairs (trl-dpo) as a TRL dataset, JSONL or Parquet",
  options: exportDataJobOptions,
  examples: ['alignkit export-data runs/rest-em --format trl-sft --out kept.parquet', 'alignkit export-data runs/dpo-judged --format trl-dpo --stage judge --out pairs.jsonl'],
  async run(o) {
    const r = await runExportDataJob(o);
    console.log(`export-data: ${r.rows} rows (${r.columns.join(', ')}) → ${r.out}`);
    return 0;
  },
}), ['run']);
