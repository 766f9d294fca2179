// The arithmetic preference data of the SER demonstration (issue 23): SER's premise is a seed reward
// model built on a model already competent in the domain (Huang et al. 2024 start from
// instruction-tuned LLMs), and the one domain alignkit trains models in from nothing is the ReST-EM
// demo's arithmetic.
//   1. The base is a model of the ReST-EM demo (rest-em.ts), trained exactly as that demo trains it:
//      its seed SFT (300 worked solutions) or its human-data baseline (all 2,100).
//   2. For new training problems and for held-out ones, the base samples `samplesPerProblem`
//      solutions; the pair is the first one and the first later one with another final answer, so
//      at most one of the two is correct. A problem whose samples all agree gives no pair: two
//      solutions with one answer are, to a grader of answers, a tie (`distinct: 'text'` pairs any
//      two different solutions instead).
//   3. A hidden annotator scores a solution s = correctWeight·[correct] − closenessWeight·log2(1 + d)
//      − lengthWeight·(characters before "####"), d the distance of its final answer from the right
//      one (at most 99; no answer counts 99) — the correct one first, then the nearer answer (partial
//      credit), then the shorter scratchpad — and prefers one with Bradley–Terry noise,
//      P(a ≻ b) = σ(β·(s_a − s_b)). The nearer answer breaks what the scratchpad's length alone
//      would leave tied: pairs that differ in their answer mostly have scratchpads of one length.
//   4. Pairs on training problems are for learning; pairs on held-out problems measure reward models
//      against the noiseless preference, and greedy pass@1 on those problems measures policies.
// The premise is measured before any reward model is trained: the base's greedy pass@1, and how
// often its own log-likelihood ranks the correct solution of a test pair above the wrong one.
// With a run store the whole setup is the stage `setup`: the base in checkpoint `base`, every pair
// with its verdicts, scores and label in samples/setup.jsonl; a resume reloads both.
import { arithmeticTask, arithmeticVerifier, extractAnswer } from '../data/tasks/builtin/arithmetic.js';
import type { Problem } from '../data/tasks/task.js';
import type { Verdict } from '../rewards/verifier.js';
import { bradleyTerryAnnotator } from '../rewards/scorers/sentiment.js';
import { generate, loadModelDir, saveModelDir, sequenceLogprobs, Transformer } from '../model/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { stageOf, type RunStore, type SampleRecord, type SamplingSettings } from '../runs/run-store.js';
import { evaluateTask } from '../align/trainer/task-eval.js';
import type { PreferencePair } from '../align/trainer/preference-data.js';
import { defaultRestEmDemo, restEmDemoData, sftOnReferences, type RestEmDemoConfig } from './rest-em.js';

export interface ArithmeticPreferenceConfig {
  /** 'seed-sft': the ReST-EM demo's iteration-0 policy; 'all-references': its human-data baseline. */
  base: 'seed-sft' | 'all-references';
  /** The ReST-EM demo whose problems, tokenizer and model are reused (its seed seeds everything here). */
  restEm: RestEmDemoConfig;
  /** New training problems (after the demo's 2,100), one pair each at most. */
  poolProblems: number;
  /** Held-out problems: test pairs and pass@1 (the first 200 are the ReST-EM demo's test problems). */
  testProblems: number;
  samplesPerProblem: number;
  /**
   * What the second solution of a pair must differ from the first in: 'answer' (then at most one is
   * correct, and both-wrong pairs differ in what they claim) or 'text' (any other solution).
   */
  distinct: 'answer' | 'text';
  temperature: number;
  /** With closenessWeight, the correct solution is picked at least 97% of the time at β = 1. */
  correctWeight: number;
  /** Per doubling of (1 + distance): an answer off by 1 against one off by 10 is a 77/23 call. */
  closenessWeight: number;
  /** Per scratchpad character: the last tie-break. */
  lengthWeight: number;
  annotatorBeta: number;
}

export const defaultArithmeticPreferenceSetup: ArithmeticPreferenceConfig = {
  base: 'all-references', restEm: defaultRestEmDemo, poolProblems: 6000, testProblems: 1500, samplesPerProblem: 8, distinct: 'answer', temperature: 1,
  correctWeight: 3, closenessWeight: 0.5, lengthWeight: 0.05, annotatorBeta: 1,
};

/** One sampled pair as samples/setup.jsonl keeps it: a and b in sampling order, `chosen` the annotator's pick. */
export interface ArithmeticPairRecord {
  split: 'train' | 'test';
  id: string;
  prompt: string;
  answer: string;
  a: string;
  b: string;
  correct_a: boolean;
  correct_b: boolean;
  score_a: number;
  score_b: number;
  chosen: 'a' | 'b';
}

/** What the base knows before any reward model: the premise, measured. */
export interface ArithmeticPremise {
  base_test_pass1: number;
  /** Test pairs with exactly one correct solution. */
  one_correct_test_pairs: number;
  /** Share of those whose correct solution the base's log-likelihood ranks higher (0.5: no knowledge). */
  base_likelihood_agreement: number | null;
  problems_without_pair: number;
}

export interface ArithmeticPreferenceSetup {
  /** The base: the policy to start from, and what every reward model starts from. Clone before training it. */
  policy: Transformer;
  tokenizer: Tokenizer;
  trainPairs: PreferencePair[];
  testPairs: PreferencePair[];
  records: ArithmeticPairRecord[];
  /** Held-out problems (greedy pass@1 of a policy is measured on them). */
  testProblems: Problem[];
  premise: ArithmeticPremise;
  config: ArithmeticPreferenceConfig;
}

export interface ArithmeticSetupOptions { store?: RunStore; log?: (s: string) => void; quiet?: boolean }

const STAGE = 'setup', CHECKPOINT = 'base';
/** Two-digit answers: no distance counts more than being off by every digit. */
const MAX_DISTANCE = 99;

/** The hidden annotator's verdict on `text` as a solution to `problem`, and its noiseless score of it. */
export function judgeSolution(cfg: Pick<ArithmeticPreferenceConfig, 'correctWeight' | 'closenessWeight' | 'lengthWeight'>, problem: Pick<Problem, 'answer'>, text: string): { correct: boolean; score: number } {
  const correct = (arithmeticVerifier.verify(problem as Problem, text) as Verdict).correct;
  const got = extractAnswer(text);
  const distance = got === null ? MAX_DISTANCE : Math.min(MAX_DISTANCE, Math.abs(Number(got) - Number(problem.answer)));
  const scratchpad = text.split('####')[0]!.length;
  return { correct, score: cfg.correctWeight * (correct ? 1 : 0) - cfg.closenessWeight * Math.log2(1 + distance) - cfg.lengthWeight * scratchpad };
}

/** The first solution and the first later one with another final answer (or text); null when all agree. */
export function pairOf(texts: readonly string[], distinct: ArithmeticPreferenceConfig['distinct'] = 'answer'): [string, string] | null {
  const first = texts[0];
  if (first === undefined) return null;
  const other = texts.find((t) => (distinct === 'answer' ? extractAnswer(t) !== extractAnswer(first) : t !== first));
  return other === undefined ? null : [first, other];
}

/** The ReST-EM demo's model named by cfg.base, trained as that demo trains it. */
async function trainBase(cfg: ArithmeticPreferenceConfig, quiet: boolean): Promise<{ model: Transformer; tok: Tokenizer }> {
  const r = cfg.restEm;
  const d = restEmDemoData(r);
  const model = new Transformer(d.mcfg, undefined, r.seed);
  if (cfg.base === 'seed-sft') await sftOnReferences(r, model, d.tok, d.seedSet, r.seedSftSteps, quiet);
  else await sftOnReferences(r, model, d.tok, d.full.train, r.restEm.mStepMaxSteps ?? 1800, quiet);
  return { model, tok: d.tok };
}

/** Training problems after the ReST-EM demo's own, and held-out problems (its test problems first). */
function problemsOf(cfg: ArithmeticPreferenceConfig): { pool: Problem[]; test: Problem[] } {
  const r = cfg.restEm, used = r.seedProblems + r.poolProblems;
  // The problem stream fills each side in order, so a larger request keeps the demo's problems as its prefix.
  const t = arithmeticTask({ seed: r.seed, trainSize: used + cfg.poolProblems, testSize: Math.max(cfg.testProblems, r.testProblems), digits: r.digits, steps: r.steps, carries: r.carries });
  return { pool: t.train.slice(used), test: t.test.slice(0, cfg.testProblems) };
}

/**
 * The hidden annotator: Bradley–Terry noise over judgeSolution's score (bradleyTerryAnnotator, the
 * RLHF demo's, which scores a text alone: `current` names the problem the texts answer).
 */
function arithmeticAnnotator(cfg: ArithmeticPreferenceConfig, seed: number) {
  let current: Problem | null = null;
  const bt = bradleyTerryAnnotator((t) => judgeSolution(cfg, current!, t).score, { beta: cfg.annotatorBeta, seed });
  return (p: Problem, a: string, b: string): 'a' | 'b' => {
    current = p;
    return bt.judge(a, b).preferA ? 'a' : 'b';
  };
}

/** Samples a pair per problem and lets the hidden annotator label it. */
function labelPairs(cfg: ArithmeticPreferenceConfig, model: Transformer, tok: Tokenizer, problems: readonly Problem[], split: 'train' | 'test', choose: ReturnType<typeof arithmeticAnnotator>, seed: number): ArithmeticPairRecord[] {
  const n = cfg.samplesPerProblem;
  const samples = generate(model, problems.map((p) => tok.encode(p.prompt, { parseSpecial: false })), {
    maxNewTokens: cfg.restEm.restEm.maxNewTokens ?? 24, n, temperature: cfg.temperature, seed, tokenizer: tok, stopTokens: tok.eos === null ? [] : [tok.eos], batchSize: 256,
  });
  return problems.flatMap((p, i) => {
    const pair = pairOf(samples.slice(i * n, (i + 1) * n).map((s) => s.text!), cfg.distinct);
    if (!pair) return [];
    const [a, b] = pair, ja = judgeSolution(cfg, p, a), jb = judgeSolution(cfg, p, b);
    return [{ split, id: p.id, prompt: p.prompt, answer: String(p.answer), a, b, correct_a: ja.correct, correct_b: jb.correct, score_a: ja.score, score_b: jb.score, chosen: choose(p, a, b) }];
  });
}

/** Share of one-correct pairs whose correct solution the model's log-likelihood (with EOS) ranks higher. */
export function likelihoodAgreement(model: Transformer, tok: Tokenizer, records: readonly ArithmeticPairRecord[]): number | null {
  const one = records.filter((r) => r.correct_a !== r.correct_b);
  if (one.length === 0) return null;
  const enc = (t: string, eos: boolean) => [...tok.encode(t, { parseSpecial: false }), ...(eos && tok.eos !== null ? [tok.eos] : [])];
  const lp = sequenceLogprobs(model, one.flatMap((r) => [r.a, r.b].map((t) => ({ prompt: enc(r.prompt, false), completion: enc(t, true) }))), 1, { batchSize: 128 });
  const sum = (xs: readonly number[]) => xs.reduce((x, y) => x + y, 0);
  return one.filter((r, i) => (sum(lp[2 * i]!) > sum(lp[2 * i + 1]!)) === r.correct_a).length / one.length;
}

export const asPreference = (r: ArithmeticPairRecord): PreferencePair =>
  (r.chosen === 'a' ? { prompt: r.prompt, chosen: r.a, rejected: r.b } : { prompt: r.prompt, chosen: r.b, rejected: r.a });

/** The test pairs the annotator scores differently, `chosen` the higher-scored: its noiseless preference. */
export function decisiveArithmeticPairs(records: readonly ArithmeticPairRecord[]): PreferencePair[] {
  return records.flatMap((r) => (r.split !== 'test' || r.score_a === r.score_b ? []
    : [r.score_a > r.score_b ? { prompt: r.prompt, chosen: r.a, rejected: r.b } : { prompt: r.prompt, chosen: r.b, rejected: r.a }]));
}

/** The test pairs with exactly one correct solution, `chosen` the correct one: what judging correctness means here. */
export function oneCorrectTestPairs(records: readonly ArithmeticPairRecord[]): PreferencePair[] {
  return records.flatMap((r) => (r.split !== 'test' || r.correct_a === r.correct_b ? []
    : [r.correct_a ? { prompt: r.prompt, chosen: r.a, rejected: r.b } : { prompt: r.prompt, chosen: r.b, rejected: r.a }]));
}

/** Greedy pass@1 of `model` on the held-out problems. */
export async function arithmeticPass1(s: Pick<ArithmeticPreferenceSetup, 'tokenizer' | 'testProblems' | 'config'>, model: Transformer): Promise<number> {
  const r = s.config.restEm.restEm;
  const scores = await evaluateTask(model, s.tokenizer, s.testProblems, arithmeticVerifier, 0, 0, {
    maxNewTokens: r.maxNewTokens ?? 24, temperature: 0, topK: 0, seed: 0, batchSize: r.batchSize ?? 256,
  });
  return scores.pass1;
}

/** Trains (or, with a store that finished `setup`, reloads) the base and builds the labelled pairs. */
export async function buildArithmeticPreferenceSetup(cfg: ArithmeticPreferenceConfig, opts: ArithmeticSetupOptions = {}): Promise<ArithmeticPreferenceSetup> {
  const log = opts.log ?? (() => {}), store = opts.store, seed = cfg.restEm.seed;
  if (cfg.restEm.task !== 'arithmetic') throw new RangeError(`buildArithmeticPreferenceSetup: restEm.task is "${cfg.restEm.task}", expected "arithmetic"`);
  const { pool, test } = problemsOf(cfg);
  let made: { model: Transformer; tok: Tokenizer; records: ArithmeticPairRecord[] } | null = null;
  const premise = await stageOf(store, STAGE, async (s) => {
    log(`base: the ReST-EM demo's ${cfg.base === 'seed-sft' ? `seed SFT (${cfg.restEm.seedProblems} worked solutions)` : `human-data baseline (all ${cfg.restEm.seedProblems + cfg.restEm.poolProblems} worked solutions)`}`);
    const { model, tok } = await trainBase(cfg, opts.quiet ?? true);
    log(`sampling ${cfg.samplesPerProblem} solutions for each of ${pool.length} training and ${test.length} held-out problems; the hidden annotator labels a pair per problem`);
    const choose = arithmeticAnnotator(cfg, seed + 101);
    const records = [...labelPairs(cfg, model, tok, pool, 'train', choose, seed + 11), ...labelPairs(cfg, model, tok, test, 'test', choose, seed + 13)];
    const testRecords = records.filter((r) => r.split === 'test');
    const p: ArithmeticPremise = {
      base_test_pass1: await arithmeticPass1({ tokenizer: tok, testProblems: test, config: cfg }, model),
      one_correct_test_pairs: testRecords.filter((r) => r.correct_a !== r.correct_b).length,
      base_likelihood_agreement: likelihoodAgreement(model, tok, testRecords),
      problems_without_pair: pool.length + test.length - records.length,
    };
    store?.saveCheckpoint(CHECKPOINT, (d) => saveModelDir(d, model, { tokenizer: tok }));
    if (store) { const w = s.samples(); w.write(records.flatMap((r) => asSamples(r, { temperature: cfg.temperature }))); w.commit(); }
    s.log({ ...p, train_pairs: records.length - testRecords.length, test_pairs: testRecords.length });
    made = { model, tok, records };
    return p;
  });
  const got = made ?? reload(store!);
  if (!made) log(`setup: reloaded the base and ${got.records.length} labelled pairs`);
  const pairsOf = (split: 'train' | 'test') => got.records.filter((r) => r.split === split).map(asPreference);
  return { policy: got.model, tokenizer: got.tok, trainPairs: pairsOf('train'), testPairs: pairsOf('test'), records: got.records, testProblems: test, premise, config: cfg };
}

/** A pair as two sample records (a then b): reward the annotator's noiseless score, kept the side it chose. */
function asSamples(r: ArithmeticPairRecord, sampling: SamplingSettings): SampleRecord[] {
  return (['a', 'b'] as const).map((side) => ({
    promptId: r.id, prompt: r.prompt, sample: r[side], reward: side === 'a' ? r.score_a : r.score_b,
    verifier: { correct: side === 'a' ? r.correct_a : r.correct_b, extracted: extractAnswer(r[side]), answer: r.answer },
    policy: 'base', sampling, kept: r.chosen === side, split: r.split, side,
  }));
}

function reload(store: RunStore): { model: Transformer; tok: Tokenizer; records: ArithmeticPairRecord[] } {
  const { model, tokenizer } = loadModelDir(store.checkpointPath(CHECKPOINT));
  const s = store.readSamples(STAGE);
  const records: ArithmeticPairRecord[] = [];
  for (let i = 0; i + 1 < s.length; i += 2) {
    const a = s[i]!, b = s[i + 1]!, va = a.verifier as { correct: boolean; answer: string }, vb = b.verifier as { correct: boolean };
    records.push({
      split: a['split'] as 'train' | 'test', id: a.promptId, prompt: a.prompt, answer: va.answer, a: a.sample, b: b.sample,
      correct_a: va.correct, correct_b: vb.correct, score_a: a.reward, score_b: b.reward, chosen: a.kept === true ? 'a' : 'b',
    });
  }
  return { model, tok: tokenizer!, records };
}
