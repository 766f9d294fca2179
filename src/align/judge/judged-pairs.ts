// RLAIF (Bai et al. 2022, Constitutional AI; Lee et al. 2023): preference pairs whose order an LLM
// judge decided, for `reward`, `dpo` and `ser`. With --judge, each record of --data (and
// --eval-data) is two completions of a prompt — {prompt, completion_a, completion_b}, or a
// preference record whose chosen/rejected are re-ordered by the judge — and the judge's pick
// becomes chosen. A pair the judge left undecided (answers that never parsed, recorded in
// judge-failures.jsonl, or equal scores) is dropped. Where the file had labels, the share of
// decided pairs on which the judge agrees with them is reported. The judged pairs are kept in
// <out>/judge-pairs.jsonl (TRL's preference format; `alignkit export-data` reads them).
import { join } from 'node:path';
import { loadDataset } from '../../data/datasets/load-dataset.js';
import { splitDataset } from '../../data/split-dataset.js';
import type { HubOptions } from '../../hub/index.js';
import { writeJsonl } from '../../io/jsonl.js';
import type { LlmJudge } from '../../rewards/judge/index.js';
import { isConversational, type PreferenceRecord } from '../../data/datasets/formats.js';
import { loadPreferencePairs, pairFromRecord, type ChatRendering, type PreferencePair } from '../trainer/preference-data.js';
import { readPreferenceSplit } from '../trainer/inputs.js';
import { isJudgeUrl, openJudge, type JudgeInputs } from './options.js';
import { orderPairs } from './order-pairs.js';

export const JUDGE_PAIRS_FILE = 'judge-pairs.jsonl';

interface Candidate {
  a: PreferencePair; where: string; labelled: boolean;
  /** The record as the file gave it, when its texts are message lists (export-data writes those conversational). */
  messages?: PreferenceRecord;
}

/** The two completions of each record; `labelled` when the file said which was chosen. */
async function candidates(file: string, chat: ChatRendering | undefined, hub: HubOptions): Promise<Candidate[]> {
  let ds;
  try {
    ds = await loadDataset(file, { format: 'prompt', keepFields: true, hub });
  } catch {
    // Implicit-prompt preference records (no prompt field): the preference reader takes the shared prefix.
    return (await loadPreferencePairs(file, chat, hub)).map((a, i) => ({ a, where: `${file}:${i + 1}`, labelled: true }));
  }
  return ds.records.map((r, i) => {
    const f = ds.fields![i]!, where = `${file}:${ds.lines[i]}`;
    const two = f['completion_a'] !== undefined || f['completion_b'] !== undefined ? ['completion_a', 'completion_b'] : ['chosen', 'rejected'];
    if (f[two[0]!] === undefined || f[two[1]!] === undefined) throw new Error(`${where}: expected two completions to judge: completion_a and completion_b (or chosen and rejected); the record has ${Object.keys(f).join(', ')}`);
    const rec = { prompt: r.prompt, chosen: f[two[0]!], rejected: f[two[1]!] } as PreferenceRecord;
    return { a: pairFromRecord(rec, where, chat), where, labelled: two[0] === 'chosen', ...(isConversational(rec) ? { messages: rec } : {}) };
  });
}

export interface JudgedFile {
  pairs: PreferencePair[];
  /** What judge-pairs.jsonl keeps of each decided pair. */
  rows: Record<string, unknown>[];
  undecided: number;
  /** Share of the decided pairs with file labels on which the judge agrees; null without labels. */
  agreement: number | null;
}

/** The records of `file`, ordered by the judge. */
export async function judgeFile(judge: LlmJudge, file: string, chat?: ChatRendering, hub: HubOptions = {}): Promise<JudgedFile> {
  const cs = await candidates(file, chat, hub);
  const verdicts = await orderPairs(judge, cs.map((c) => ({ prompt: c.a.prompt, a: c.a.chosen, b: c.a.rejected })), 'drop');
  const out: JudgedFile = { pairs: [], rows: [], undecided: 0, agreement: null };
  let labelled = 0, agree = 0;
  cs.forEach((c, i) => {
    const v = verdicts[i];
    if (v === null || v === undefined) { out.undecided++; return; }
    const [chosen, rejected] = v === 0 ? [c.a.chosen, c.a.rejected] : [c.a.rejected, c.a.chosen];
    out.pairs.push({ prompt: c.a.prompt, chosen, rejected, ...(c.a.chat ? { chat: true } : {}) });
    const m = c.messages;
    out.rows.push({
      prompt: c.a.prompt, chosen, rejected, chat: c.a.chat === true, source: c.where, ...(c.labelled ? { agreesWithFile: v === 0 } : {}),
      ...(m ? { messages: { prompt: m.prompt, chosen: v === 0 ? m.chosen : m.rejected, rejected: v === 0 ? m.rejected : m.chosen } } : {}),
    });
    if (c.labelled) { labelled++; if (v === 0) agree++; }
  });
  if (labelled) out.agreement = agree / labelled;
  if (out.pairs.length === 0) throw new Error(`--data ${file}: the judge decided none of its ${cs.length} pairs (see judge-failures.jsonl in the run)`);
  return out;
}

export interface JudgedSplit {
  train: PreferencePair[];
  eval: PreferencePair[];
  /** Lines for the run's log. */
  notes: string[];
  /** Writes <out>/judge-pairs.jsonl; called once the run directory is the job's (after RunStore.open). */
  save(out: string): void;
}

/** readPreferenceSplit's split, of pairs the judge ordered. */
export async function readJudgedSplit(
  judge: LlmJudge, data: string, evalData: string | undefined, evalFraction: number, seed: number, chat?: ChatRendering, hub: HubOptions = {},
): Promise<JudgedSplit> {
  if (!(evalFraction >= 0 && evalFraction < 1)) throw new Error(`--eval-fraction ${evalFraction}: expected a number in [0, 1)`);
  const files = [await judgeFile(judge, data, chat, hub), ...(evalData ? [await judgeFile(judge, evalData, chat, hub)] : [])];
  const split = evalData ? { train: files[0]!.pairs, eval: files[1]!.pairs } : splitDataset(files[0]!.pairs, { evalFraction, seed });
  const notes = files.map((f, i) => `${i ? evalData : data}: the judge ordered ${f.pairs.length} pairs, left ${f.undecided} undecided`
    + (f.agreement !== null ? `; agrees with the file's labels on ${(100 * f.agreement).toFixed(1)}%` : ''));
  const rows = files.flatMap((f, i) => f.rows.map((r) => ({ ...r, file: i ? 'eval' : 'data' })));
  return { ...split, notes, save: (out) => writeJsonl(join(out, JUDGE_PAIRS_FILE), rows) };
}

/** What a preference job reads: its --data split as the file labels it, or, with --judge <url>, as the judge orders it. */
export async function readPairsOrJudge(
  o: JudgeInputs & { data: string; evalData?: string | undefined; evalFraction: number; seed: number; out: string }, chat?: ChatRendering, hub: HubOptions = {},
): Promise<JudgedSplit> {
  if (!isJudgeUrl(o.judge)) return { ...await readPreferenceSplit(o.data, o.evalData, o.evalFraction, o.seed, chat, hub), notes: [], save: () => {} };
  return readJudgedSplit(openJudge({ ...o, judge: o.judge, judgeTemplate: o.judgeTemplate! }, o.out), o.data, o.evalData, o.evalFraction, o.seed, chat, hub);
}
