// The run layer: where a trainer keeps what it produced (run store) and how it reports progress.
export { RunStore, RunStoreError, SampleWriter, stageOf } from './run-store.js';
export type { StageScope } from './run-store.js';
export type {
  CompletedStage, Recovery, RunStoreOptions, RunSummary, SampleRecord, SamplesSummary, SamplingSettings,
} from './run-store.js';
export { readRunSummary } from './run-summary.js';
export { sampleRecordProblem } from './sample-record.js';
export { Progress, formatDuration } from '../io/progress.js';
export type { ProgressOptions } from '../io/progress.js';
