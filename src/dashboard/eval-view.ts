// Evaluation outputs in the runs directory: `alignkit eval --task … --out DIR` leaves
// DIR/scores.json (pass@1, pass@k, maj@k, mean reward) and DIR/generations.jsonl (every
// completion with its verdict). Read as they are; a torn last line is skipped.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface EvalEntry {
  dir: string;
  scores: Record<string, unknown> | null;
  generations: number;
}

export interface GenerationRow {
  promptId: string;
  prompt: string;
  text: string;
  kind: string;
  correct: boolean | null;
  reward: number | null;
}

export function findEvals(root: string, maxDepth = 3): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (existsSync(join(dir, 'scores.json')) && existsSync(join(dir, 'generations.jsonl'))) out.push(dir);
    if (depth >= maxDepth) return;
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      if (n.startsWith('.') || ['samples', 'checkpoints', 'model', 'node_modules'].includes(n)) continue;
      try {
        if (statSync(join(dir, n)).isDirectory()) walk(join(dir, n), depth + 1);
      } catch {
        // removed while we looked
      }
    }
  };
  walk(root, 0);
  return out;
}

function readGenerations(dir: string): GenerationRow[] {
  const lines = readFileSync(join(dir, 'generations.jsonl'), 'utf8').split('\n');
  const out: GenerationRow[] = [];
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      if (i === lines.length - 1) return;
      throw new Error(`${join(dir, 'generations.jsonl')}:${i + 1}: invalid JSON`);
    }
    const verdict = (v['verdict'] ?? {}) as { correct?: unknown; reward?: unknown };
    out.push({
      promptId: String(v['promptId']), prompt: String(v['prompt'] ?? ''), text: String(v['text'] ?? ''), kind: String(v['kind'] ?? ''),
      correct: typeof verdict.correct === 'boolean' ? verdict.correct : null, reward: typeof verdict.reward === 'number' ? verdict.reward : null,
    });
  });
  return out;
}

export function evalView(dir: string): EvalEntry & { rows: GenerationRow[] } {
  let scores: Record<string, unknown> | null = null;
  try {
    scores = JSON.parse(readFileSync(join(dir, 'scores.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    scores = null; // being replaced right now; the next poll reads it
  }
  const rows = readGenerations(dir);
  return { dir, scores, generations: rows.length, rows };
}
