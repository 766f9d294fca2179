// What `alignkit export-data` reads out of a run directory (README, "Export a run's data"):
//   trl-sft  the kept Grow samples of a rest or rest-em run, as TRL's prompt-completion rows:
//            rest keeps a sample when its Grow step's last Improve step kept it (the most selective
//            set, the one the last policy trained on; the original data D included), rest-em when
//            its E-step kept it;
//   trl-dpo  pairs as TRL's preference rows {prompt, chosen, rejected}: the pairs an LLM judge
//            ordered (<run>/judge-pairs.jsonl, stage "judge"; conversational when the file's records
//            were message lists), online DPO's sampled pairs (stages step-<n>), or the --data pairs a
//            dpo, reward, ser, cpo, orpo or simpo run trained on (stage "data").
// Runs keep prompts as the text the policy saw (a chat prompt as its template render), so only
// judge pairs from message records come out conversational.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractPrompt, isConversational, type PreferenceRecord } from '../../data/datasets/formats.js';
import { loadDataset } from '../../data/datasets/load-dataset.js';
import { readJsonl } from '../../io/jsonl.js';
import { CONFIG_FILE, SAMPLES_DIR, samplesFile, stageOfSlug } from '../../runs/run-layout.js';
import { JUDGE_PAIRS_FILE } from '../judge/judged-pairs.js';
import type { Cell, Row } from './dataset-file.js';

export type ExportFormat = 'trl-sft' | 'trl-dpo';

interface Run { dir: string; command: string; config: Record<string, unknown> }

function readRun(dir: string): Run {
  const file = join(dir, CONFIG_FILE);
  if (!existsSync(file)) throw new Error(`export-data ${dir}: no ${CONFIG_FILE}; expected a run directory (the --out of a training command)`);
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return { dir, command: String(config['command'] ?? 'unknown'), config };
}

const sampleStages = (dir: string): string[] => (existsSync(join(dir, SAMPLES_DIR))
  ? readdirSync(join(dir, SAMPLES_DIR)).filter((f) => f.endsWith('.jsonl')).map((f) => stageOfSlug(f.slice(0, -'.jsonl'.length))).sort()
  : []);

const records = (dir: string, stage: string) => readJsonl(samplesFile(dir, stage)).map((r) => r.value as Record<string, unknown>);

/** The stages to read: `stage` when given (and among `have`), else all of them. */
function pick(run: Run, have: readonly string[], stage: string | undefined, what: string): string[] {
  if (have.length === 0) throw new Error(`export-data ${run.dir}: this ${run.command} run holds no ${what} yet`);
  if (stage === undefined) return [...have];
  if (!have.includes(stage)) throw new Error(`export-data ${run.dir} --stage ${stage}: no such stage of ${what}; expected one of ${have.join(', ')}`);
  return [stage];
}

/** rest: kept by the highest Improve step that marked the file; rest-em: kept. */
function keptOf(rs: readonly Record<string, unknown>[], where: string): (r: Record<string, unknown>) => boolean {
  if (rs.every((r) => typeof r['kept'] === 'boolean')) return (r) => r['kept'] === true;
  const keys = [...new Set(rs.flatMap((r) => Object.keys((r['kept'] ?? {}) as object)))].filter((k) => /^improve\d+$/.test(k));
  if (keys.length === 0) throw new Error(`${where}: no Improve step has filtered these samples yet (no kept marks); resume the run, or pick a stage an Improve step has read`);
  const last = keys.sort((a, b) => Number(a.slice(7)) - Number(b.slice(7))).at(-1)!;
  return (r) => (r['kept'] as Record<string, boolean> | undefined)?.[last] === true;
}

export function sftRows(dir: string, stage?: string): Row[] {
  const run = readRun(dir);
  // rest's Grow stages are grow<g>, rest-em's <policy>/e-step.
  const grown = sampleStages(dir).filter((x) => /^grow\d+$/.test(x) || /\/e-step$/.test(x));
  if (grown.length === 0) throw new Error(`export-data ${dir}: this ${run.command} run keeps no Grow samples (rest's grow<g> or rest-em's E-step stages); --format trl-sft exports rest and rest-em runs`);
  const rows: Row[] = [];
  for (const s of pick(run, grown, stage, 'Grow samples')) {
    const rs = records(dir, s), kept = keptOf(rs, `export-data ${dir} stage ${s}`);
    for (const r of rs) if (kept(r)) rows.push({ prompt: String(r['prompt']), completion: String(r['sample']) });
  }
  return rows;
}

/** Online DPO's pairs: the two samples of each (step, pair) — a stage holds a block of steps — the one marked chosen first. */
function onlineDpoPairs(rs: readonly Record<string, unknown>[]): Row[] {
  const byPair = new Map<string, Record<string, unknown>[]>();
  for (const r of rs) {
    const k = `${String(r['step'])}:${String(r['pair'])}`;
    byPair.set(k, [...(byPair.get(k) ?? []), r]);
  }
  return [...byPair.values()].filter((p) => p.length === 2 && p.some((x) => x['chosen'] === true)).map((p) => {
    const [c, x] = p[0]!['chosen'] === true ? [p[0]!, p[1]!] : [p[1]!, p[0]!];
    return { prompt: String(c['prompt']), chosen: String(c['sample']), rejected: String(x['sample']) };
  });
}

/** A preference record as TRL's explicit-prompt row, message lists kept. */
function preferenceRow(r: PreferenceRecord): Row {
  const e = extractPrompt(r);
  return { prompt: e.prompt as Cell, chosen: e.chosen as Cell, rejected: e.rejected as Cell };
}

export async function dpoRows(dir: string, stage?: string): Promise<Row[]> {
  const run = readRun(dir);
  const stages = [
    ...(existsSync(join(dir, JUDGE_PAIRS_FILE)) ? ['judge'] : []),
    ...(run.command === 'online-dpo' ? sampleStages(dir).filter((s) => /^step-\d+$/.test(s)) : []),
    ...(typeof run.config['data'] === 'string' && !existsSync(join(dir, JUDGE_PAIRS_FILE)) ? ['data'] : []),
  ];
  const rows: Row[] = [];
  for (const s of pick(run, stages, stage, 'preference pairs')) {
    if (s === 'judge') {
      for (const { value } of readJsonl(join(dir, JUDGE_PAIRS_FILE))) {
        const v = value as { prompt: string; chosen: string; rejected: string; messages?: PreferenceRecord };
        rows.push(v.messages && isConversational(v.messages) ? preferenceRow(v.messages) : { prompt: v.prompt, chosen: v.chosen, rejected: v.rejected });
      }
    } else if (s === 'data') {
      const ds = await loadDataset(String(run.config['data']));
      if (ds.format !== 'preference') throw new Error(`export-data ${dir}: its --data ${String(run.config['data'])} holds ${ds.format} records, not preference pairs`);
      rows.push(...ds.records.map(preferenceRow));
    } else rows.push(...onlineDpoPairs(records(dir, s)));
  }
  return rows;
}
