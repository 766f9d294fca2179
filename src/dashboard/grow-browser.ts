// The Grow data browser's answers (issue 21): every sample of a samples file with its reward(s),
// verdict, policy and each Improve step's kept flag, filtered; the reward histogram with the
// thresholds; duplicate counts (a ReST-EM run once kept 1,028 samples that were 106 distinct
// answers); the reference answer beside a sample when the run has one (the original data D that
// ReST keeps as `source: "data"` records, or a record's own `reference`).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES_DIR, stageOfSlug } from '../runs/run-layout.js';
import { parseSampleRecords, type SampleRecord } from '../runs/sample-record.js';

export interface GrowFilter {
  policy?: string;
  /** `<step>:yes|no`, e.g. `improve2:yes`; `kept:yes` for a single flag. */
  kept?: string;
  minReward?: number;
  maxReward?: number;
  verdict?: 'correct' | 'wrong' | 'none';
  /** Case-insensitive text in the prompt, the sample or the reference. */
  text?: string;
}

export interface GrowRow {
  index: number;
  promptId: string;
  prompt: string;
  sample: string;
  reward: number;
  /** Other numeric rewards a record carries (rawReward, sub-scores). */
  rewards: Record<string, number>;
  verdict: 'correct' | 'wrong' | 'none';
  detail: string | null;
  policy: string;
  source: string | null;
  kept: Record<string, boolean>;
  reference: string | null;
  /** How many records of the file have this prompt and this very sample. */
  duplicates: number;
}

export interface GrowView {
  stages: string[];
  stage: string | null;
  total: number;
  matched: number;
  rows: GrowRow[];
  policies: string[];
  keptSteps: string[];
  histogram: { lo: number; hi: number; bins: number[]; binsMatched: number[] };
  /** Per Improve step, its threshold when every record has the same one (null: per-prompt thresholds). */
  thresholds: { step: string; value: number | null }[];
  /** Distinct (prompt, sample) pairs among all records, and per kept flag: kept and distinct kept. */
  duplicates: { records: number; distinct: number; kept: Record<string, { kept: number; distinct: number; correct: number }> };
}

export function sampleStages(dir: string): string[] {
  const d = join(dir, SAMPLES_DIR);
  return existsSync(d) ? readdirSync(d).filter((n) => n.endsWith('.jsonl')).sort().map((n) => stageOfSlug(n.slice(0, -'.jsonl'.length))) : [];
}

const keptOf = (r: SampleRecord): Record<string, boolean> => (typeof r.kept === 'boolean' ? { kept: r.kept } : r.kept);

function verdictOf(r: SampleRecord): { verdict: GrowRow['verdict']; detail: string | null } {
  const v = r.verifier as { correct?: unknown; detail?: unknown } | undefined;
  if (!v || typeof v !== 'object' || typeof v.correct !== 'boolean') return { verdict: 'none', detail: null };
  return { verdict: v.correct ? 'correct' : 'wrong', detail: typeof v.detail === 'string' ? v.detail : null };
}

function rowsOf(records: SampleRecord[]): GrowRow[] {
  const refs = new Map<string, string>();
  for (const r of records) if (r['source'] === 'data') refs.set(r.promptId, r.sample);
  const key = (r: SampleRecord) => `${r.promptId}\u0000${r.sample.trim()}`;
  const count = new Map<string, number>();
  for (const r of records) count.set(key(r), (count.get(key(r)) ?? 0) + 1);
  return records.map((r, index) => {
    const rewards: Record<string, number> = {};
    for (const [k, v] of Object.entries(r)) if (k !== 'reward' && /reward/i.test(k) && typeof v === 'number') rewards[k] = v;
    const own = typeof r['reference'] === 'string' ? (r['reference'] as string) : null;
    return {
      index, promptId: r.promptId, prompt: r.prompt, sample: r.sample, reward: r.reward, rewards, ...verdictOf(r), policy: r.policy,
      source: typeof r['source'] === 'string' ? (r['source'] as string) : null, kept: keptOf(r),
      reference: own ?? (r['source'] === 'data' ? null : refs.get(r.promptId) ?? null), duplicates: count.get(key(r))!,
    };
  });
}

function matches(r: GrowRow, f: GrowFilter): boolean {
  if (f.policy && r.policy !== f.policy) return false;
  if (f.kept) {
    const [step, want] = f.kept.split(':');
    if (r.kept[step!] !== (want === 'yes')) return false;
  }
  if (f.minReward !== undefined && r.reward < f.minReward) return false;
  if (f.maxReward !== undefined && r.reward > f.maxReward) return false;
  if (f.verdict && r.verdict !== f.verdict) return false;
  if (f.text) {
    const q = f.text.toLowerCase();
    if (![r.prompt, r.sample, r.reference ?? ''].some((s) => s.toLowerCase().includes(q))) return false;
  }
  return true;
}

function histogram(all: GrowRow[], matched: GrowRow[], nBins = 20): GrowView['histogram'] {
  const rewards = all.map((r) => r.reward);
  let lo = Math.min(0, ...rewards), hi = Math.max(1, ...rewards);
  if (!(hi > lo)) hi = lo + 1;
  const bin = (x: number) => Math.min(nBins - 1, Math.floor(((x - lo) / (hi - lo)) * nBins));
  const bins = new Array<number>(nBins).fill(0), binsMatched = new Array<number>(nBins).fill(0);
  for (const r of all) bins[bin(r.reward)]!++;
  for (const r of matched) binsMatched[bin(r.reward)]!++;
  return { lo, hi, bins, binsMatched };
}

function thresholds(records: SampleRecord[], steps: string[]): GrowView['thresholds'] {
  return steps.map((step) => {
    const values = new Set<number>();
    for (const r of records) {
      const t = (r['threshold'] as Record<string, unknown> | undefined)?.[step];
      if (typeof t === 'number') values.add(t);
    }
    return { step, value: values.size === 1 ? [...values][0]! : null };
  }).filter((t) => t.value !== null || records.some((r) => typeof (r['threshold'] as Record<string, unknown> | undefined)?.[t.step] === 'number'));
}

function duplicates(rows: GrowRow[], steps: string[]): GrowView['duplicates'] {
  const distinct = (rs: GrowRow[]) => new Set(rs.map((r) => `${r.promptId}\u0000${r.sample.trim()}`)).size;
  const kept: GrowView['duplicates']['kept'] = {};
  for (const s of steps) {
    const k = rows.filter((r) => r.kept[s] === true);
    kept[s] = { kept: k.length, distinct: distinct(k), correct: k.filter((r) => r.verdict === 'correct').length };
  }
  return { records: rows.length, distinct: distinct(rows), kept };
}

/** The browser's view of `stage`'s samples in the run `dir` (the first samples file when no stage is given). */
export function growView(dir: string, stage: string | undefined, f: GrowFilter, offset = 0, limit = 100): GrowView {
  const stages = sampleStages(dir);
  const chosen = stage ?? stages[0] ?? null;
  const empty = { lo: 0, hi: 1, bins: [], binsMatched: [] };
  if (chosen === null || !stages.includes(chosen)) {
    return { stages, stage: chosen, total: 0, matched: 0, rows: [], policies: [], keptSteps: [], histogram: empty, thresholds: [], duplicates: { records: 0, distinct: 0, kept: {} } };
  }
  const file = join(dir, SAMPLES_DIR, `${chosen.replaceAll('/', '__')}.jsonl`);
  const records = parseSampleRecords(readFileSync(file, 'utf8'), file);
  const rows = rowsOf(records);
  const steps = [...new Set(rows.flatMap((r) => Object.keys(r.kept)))];
  const matched = rows.filter((r) => matches(r, f));
  return {
    stages, stage: chosen, total: rows.length, matched: matched.length, rows: matched.slice(offset, offset + limit),
    policies: [...new Set(rows.map((r) => r.policy))], keptSteps: steps, histogram: histogram(rows, matched),
    thresholds: thresholds(records, steps), duplicates: duplicates(rows, steps),
  };
}
