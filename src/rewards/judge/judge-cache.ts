// What a judge already said, on disk: one JSON line per parsed verdict, keyed by a content hash of
// everything that decides it (template text, model, mode, score range and the filled texts), so a
// resumed run — or another run sharing the directory — asks nothing twice. Only parsed verdicts
// are cached: an answer that failed may parse when asked again. Lines are appended whole (one
// write each); a torn last line from a kill is skipped on reading.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface CachedVerdict { key: string; value: number; answer: string }

export const judgeKey = (parts: readonly unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

export class JudgeCache {
  private readonly entries = new Map<string, CachedVerdict>();
  private loaded = false;
  constructor(readonly file: string) {}

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!existsSync(this.file)) return;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as CachedVerdict;
        if (typeof e.key === 'string' && typeof e.value === 'number') this.entries.set(e.key, e);
      } catch { /* a line torn by a kill mid-append */ }
    }
  }

  get(key: string): CachedVerdict | undefined {
    this.load();
    return this.entries.get(key);
  }

  put(e: CachedVerdict): void {
    this.load();
    this.entries.set(e.key, e);
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, JSON.stringify(e) + '\n');
  }
}
