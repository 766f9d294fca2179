// What a run directory holds, read without changing anything, so that `alignkit inspect` can look
// at a run that is still going: its in-progress files are reported, not removed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readJson } from '../io/checkpoint.js';
import {
  CHECKPOINTS_DIR, CONFIG_FILE, SAMPLES_DIR, STATE_FILE, TMP_SUFFIX, stageOfSlug,
} from './run-layout.js';
import { readMetrics } from './metrics-file.js';
import { parseSampleRecords } from './sample-record.js';
import { readRunState, type CompletedStage } from './run-state.js';

export interface SamplesSummary {
  stage: string;
  /** Path relative to the run directory. */
  file: string;
  records: number;
  /** Distinct prompt ids. */
  prompts: number;
  /** Records whose `kept` is `true` (single-flag form). */
  kept: number;
  /** For the per-filter form: filter name → records it kept. */
  keptBy: Record<string, number>;
  meanReward: number | null;
  /** Whether the stage that wrote the file is completed (false: a crash left it, its rerun replaces it). */
  stageDone: boolean;
}

export interface RunSummary {
  dir: string;
  config: Record<string, unknown> | null;
  stages: CompletedStage[];
  samples: SamplesSummary[];
  /** Committed checkpoint names. */
  checkpoints: string[];
  metrics: { records: number; byStage: Record<string, number> };
  /** Temporary files of a stage in progress (or of a crash not yet resumed), relative to the run. */
  inProgress: string[];
}

function list(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

export function readRunSummary(dir: string): RunSummary {
  const configFile = join(dir, CONFIG_FILE);
  const config = existsSync(configFile) ? (readJson(configFile, 'run config') as Record<string, unknown>) : null;
  const stages = existsSync(join(dir, STATE_FILE)) ? readRunState(dir).completed : [];
  const done = new Set(stages.map((s) => s.stage));

  const samples: SamplesSummary[] = [];
  for (const name of list(join(dir, SAMPLES_DIR))) {
    if (!name.endsWith('.jsonl')) continue;
    const file = join(dir, SAMPLES_DIR, name);
    const records = parseSampleRecords(readFileSync(file, 'utf8'), file);
    const keptBy: Record<string, number> = {};
    let kept = 0, rewardSum = 0;
    for (const r of records) {
      rewardSum += r.reward;
      if (r.kept === true) kept++;
      else if (typeof r.kept === 'object') for (const [k, v] of Object.entries(r.kept)) keptBy[k] = (keptBy[k] ?? 0) + (v ? 1 : 0);
    }
    const stage = stageOfSlug(name.slice(0, -'.jsonl'.length));
    samples.push({
      stage, file: `${SAMPLES_DIR}/${name}`, records: records.length, prompts: new Set(records.map((r) => r.promptId)).size,
      kept, keptBy, meanReward: records.length ? rewardSum / records.length : null, stageDone: done.has(stage),
    });
  }

  const checkpoints = list(join(dir, CHECKPOINTS_DIR)).filter(
    (n) => !n.endsWith(TMP_SUFFIX) && statSync(join(dir, CHECKPOINTS_DIR, n)).isDirectory(),
  );

  const byStage: Record<string, number> = {};
  const metricRecords = readMetrics(dir);
  for (const m of metricRecords) byStage[m.stage] = (byStage[m.stage] ?? 0) + 1;

  const inProgress: string[] = [];
  for (const sub of ['', SAMPLES_DIR, CHECKPOINTS_DIR]) {
    for (const n of list(join(dir, sub))) if (n.endsWith(TMP_SUFFIX)) inProgress.push(sub ? `${sub}/${n}` : n);
  }
  return { dir, config, stages, samples, checkpoints, metrics: { records: metricRecords.length, byStage }, inProgress };
}
