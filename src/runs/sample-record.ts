// One generated sample as the run keeps it. Grow and Improve are decoupled so that this data can
// be inspected: reward hacking is found by reading what was sampled, by which policy,
// how it scored and whether a filter kept it, so every field a person needs for that is required.
import { parseJsonl } from '../io/jsonl.js';
import { RunStoreError } from './run-layout.js';

/** How a sample was drawn; enough to redraw it from the same policy. */
export interface SamplingSettings {
  /** Softmax temperature; 0 means greedy. */
  temperature: number;
  /** Only the k most likely tokens were eligible (absent: no top-k cut). */
  topK?: number;
  /** Nucleus mass (absent: no nucleus cut). */
  topP?: number;
  /** RNG seed of this draw, when the sampler was seeded per sample or per batch. */
  seed?: number;
}

export interface SampleRecord {
  /** Stable id of the prompt, so that N samples of one prompt group together (pass@k, majority vote). */
  promptId: string;
  /** The prompt text as the policy saw it, after any chat template. */
  prompt: string;
  /** The generated continuation only, without the prompt. */
  sample: string;
  /** The score the filter and loss used (reward model output, or 0/1 from a verifier). Finite. */
  reward: number;
  /** The verifier's or scorer's detail (parsed answer, failing test, sub-scores): why `reward` is what it is. */
  verifier?: unknown;
  /** Which policy produced it, e.g. "base", "iter2/m-step" or a checkpoint name. */
  policy: string;
  sampling: SamplingSettings;
  /**
   * Whether a filter kept it for training: one flag, or one per filter/Improve step
   * (ReST marks `{"improve1": true, "improve2": false, …}` as the threshold rises).
   */
  kept: boolean | Record<string, boolean>;
  /** Anything else a method wants to keep beside the sample (log-probs, lengths, ranks). */
  [extra: string]: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const show = (v: unknown): string => {
  if (typeof v === 'number') return String(v);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** The first thing wrong with `v` as a SampleRecord, naming the field, or null when it is one. */
export function sampleRecordProblem(v: unknown): string | null {
  if (!isObject(v)) return `expected a sample record object, got ${show(v)}`;
  for (const key of ['promptId', 'prompt', 'sample', 'policy'] as const) {
    if (typeof v[key] !== 'string') return `field "${key}" must be a string, got ${show(v[key])}`;
  }
  if (typeof v['reward'] !== 'number' || !Number.isFinite(v['reward'])) {
    return `field "reward" must be a finite number, got ${show(v['reward'])}`;
  }
  const s = v['sampling'];
  if (!isObject(s)) return `field "sampling" must be an object {temperature, topK?, topP?, seed?}, got ${show(s)}`;
  const t = s['temperature'];
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) return `field "sampling.temperature" must be a number ≥ 0, got ${show(t)}`;
  const k = s['topK'];
  if (k !== undefined && (typeof k !== 'number' || !Number.isInteger(k) || k < 1)) return `field "sampling.topK" must be an integer ≥ 1, got ${show(k)}`;
  const p = s['topP'];
  if (p !== undefined && (typeof p !== 'number' || !(p > 0 && p <= 1))) return `field "sampling.topP" must be a number in (0, 1], got ${show(p)}`;
  const seed = s['seed'];
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) return `field "sampling.seed" must be an integer, got ${show(seed)}`;
  const kept = v['kept'];
  if (isObject(kept)) {
    for (const [name, flag] of Object.entries(kept)) {
      if (typeof flag !== 'boolean') return `field "kept.${name}" must be a boolean, got ${show(flag)}`;
    }
  } else if (typeof kept !== 'boolean') {
    return `field "kept" must be a boolean or an object of booleans per filter, got ${show(kept)}`;
  }
  return null;
}

/** Parses a samples file's text, throwing `file:line: field … ` at the first bad record. */
export function parseSampleRecords(text: string, file: string): SampleRecord[] {
  return parseJsonl(text, file).map(({ line, value }) => {
    const problem = sampleRecordProblem(value);
    if (problem) throw new RunStoreError(`${file}:${line}`, problem);
    return value as SampleRecord;
  });
}
