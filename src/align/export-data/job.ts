// `alignkit export-data RUN --format trl-sft|trl-dpo --out FILE` as one library call (run-rows.ts
// says what each format reads; dataset-file.ts how the file is written).
import { choice, declareConfig, optionalText, requiredText, type ConfigOf, type Overrides } from '../../config/index.js';
import { writeDatasetFile } from './dataset-file.js';
import { dpoRows, sftRows } from './run-rows.js';

export const exportDataJobOptions = declareConfig('export-data', {
  run: requiredText('the run directory to read (also the first argument)', 'the run directory'),
  format: choice(['trl-sft', 'trl-dpo'] as const, 'trl-sft', "trl-sft: a rest/rest-em run's kept Grow samples as {prompt, completion}; trl-dpo: pairs as {prompt, chosen, rejected}"),
  stage: optionalText('only this stage (e.g. grow2, iter1/e-step, step-3, judge, data); default all'),
  out: requiredText('the dataset file to write: .jsonl or .parquet', 'the output file (.jsonl or .parquet)'),
});

export type ExportDataJobOptions = ConfigOf<typeof exportDataJobOptions>;

export async function runExportDataJob(options: Overrides<typeof exportDataJobOptions.options>): Promise<{ out: string; rows: number; columns: string[] }> {
  const o = exportDataJobOptions.resolve(options);
  if (!/\.(jsonl|parquet)$/i.test(o.out)) throw new Error(`--out ${o.out}: expected a .jsonl or .parquet file name`);
  const rows = o.format === 'trl-sft' ? sftRows(o.run, o.stage) : await dpoRows(o.run, o.stage);
  if (rows.length === 0) throw new Error(`export-data ${o.run}${o.stage ? ` --stage ${o.stage}` : ''}: no ${o.format === 'trl-sft' ? 'kept samples' : 'pairs'} to export`);
  writeDatasetFile(o.out, rows, `export-data ${o.run}`);
  return { out: o.out, rows: rows.length, columns: Object.keys(rows[0]!) };
}
