// The preference data of the RLHF demonstration (and of the SER demonstration, which reuses it):
//   1. pretrain a small model (byte-level BPE by default) on a built-in real corpus (State of the
//      Union addresses by default): it is the SFT policy and the frozen reference of everything after;
//   2. prompts are short prefixes of held-out corpus lines (the model never trained on them);
//   3. two completions are sampled per prompt, and a hidden annotator labels the pair: it scores
//      each completion's sentiment with the AFINN-111 lexicon (real human word ratings) and prefers
//      one with Bradley–Terry noise, P(a ≻ b) = σ(β·(s_a − s_b));
//   4. the prompts are split in two: pairs on train prompts are for learning, pairs on test prompts
//      measure the reward model against the annotator's choices.
// With a run store the whole setup is one stage `setup`: a resume reloads the model and the pairs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusSplit, loadCorpus } from '../data/corpora.js';
import { streamWindows } from '../data/lm-examples.js';
import { CharTokenizer, trainBpe, type Tokenizer } from '../tokenizer/index.js';
import { Transformer, defaultConfig, generate, loadModelDir, saveModelDir } from '../model/index.js';
import { Rng } from '../tensor/index.js';
import { trainSft } from '../align/sft/sft.js';
import type { PreferencePair } from '../align/trainer/preference-data.js';
import type { PromptItem } from '../align/rollout/rollout.js';
import { stageOf, type RunStore } from '../runs/run-store.js';
import { afinnAnnotator, afinnScore } from '../rewards/scorers/sentiment.js';

export interface PreferenceSetupConfig {
  seed: number;
  corpus: 'moby-dick' | 'sotu';
  /**
   * 'char': one id per character; 'bpe': byte-level BPE of `bpeVocab` ids trained on the
   * pretraining text, so a sentiment word is usually one or two tokens the model can learn to write whole.
   */
  tokenizer: 'char' | 'bpe';
  bpeVocab: number;
  /** Characters of the corpus used for pretraining (its start; 0: all of the training split). */
  pretrainChars: number;
  dModel: number;
  layers: number;
  heads: number;
  /** Pretraining window in tokens. */
  seqLen: number;
  pretrainSteps: number;
  batchSize: number;
  lr: number;
  /** Prompts in all (train + test); each gets one labelled pair. */
  prompts: number;
  /** Share of the prompts held out for testing. */
  testFraction: number;
  /** Longest prompt in characters (cut back to a word boundary). */
  promptChars: number;
  /** Tokens per sampled completion. */
  completionTokens: number;
  temperature: number;
  /** The annotator's rationality per AFINN point: 1 makes a one-point gap a 73/27 call. */
  annotatorBeta: number;
}

export const defaultPreferenceSetup: PreferenceSetupConfig = {
  // State of the Union addresses: political speech is dense in rated words ("great", "crisis",
  // "peace", "war"), and 2 M characters leave thousands of held-out prompts.
  seed: 0, corpus: 'sotu', tokenizer: 'bpe', bpeVocab: 1024, pretrainChars: 2_000_000, dModel: 96, layers: 3, heads: 4, seqLen: 64, pretrainSteps: 1500, batchSize: 16, lr: 3e-3,
  prompts: 3000, testFraction: 0.25, promptChars: 24, completionTokens: 32, temperature: 1, annotatorBeta: 1,
};

export interface PreferenceSetup {
  /** The pretrained (SFT) model: the policy to start from and the frozen reference. Clone before training it. */
  policy: Transformer;
  tokenizer: Tokenizer;
  /** Train prompts (RL prompts) and test prompts (evaluation), as PromptItems. */
  prompts: PromptItem[];
  testPrompts: PromptItem[];
  /** One labelled pair per prompt. */
  trainPairs: PreferencePair[];
  testPairs: PreferencePair[];
  /** The hidden annotator's score of a completion (AFINN-111 sum): never shown to a trainer. */
  annotatorScore: (text: string) => number;
  /** Held-out pretraining loss (nats per character), null when unknown. */
  pretrainEvalLoss: number | null;
  config: PreferenceSetupConfig;
}

export interface SetupOptions { store?: RunStore; log?: (s: string) => void; quiet?: boolean }

const STAGE = 'setup', CHECKPOINT = 'reference', PAIRS_FILE = 'pairs.json';

/** Short prefixes of held-out lines and sentences, cut at a word boundary, deduplicated, shuffled by the seed. */
export function corpusPrompts(evalText: string, count: number, maxChars: number, seed: number): string[] {
  const seen = new Set<string>();
  // Lines, and sentences within them (a Moby-Dick paragraph is one line).
  for (const raw of evalText.split(/\n|(?<=[.!?;:])\s+/)) {
    const line = raw.trim().replace(/\s+/g, ' ');
    if (line.length < maxChars + 8 || !/^[A-Za-z"]/.test(line)) continue;
    const cut = line.lastIndexOf(' ', maxChars);
    if (cut < 8) continue;
    seen.add(line.slice(0, cut + 1));
  }
  const all = [...seen];
  const rng = new Rng(seed);
  for (let i = all.length - 1; i > 0; i--) { const j = rng.int(i + 1); [all[i], all[j]] = [all[j]!, all[i]!]; }
  if (all.length < count) throw new RangeError(`corpusPrompts: the held-out text has ${all.length} usable lines, ${count} prompts asked`);
  return all.slice(0, count);
}

type Pairs = { train: PreferencePair[]; test: PreferencePair[] };
interface Labelled { policy: Transformer; tokenizer: Tokenizer; pairs: Pairs; evalLoss: number | null }

/** Pretrains the model on the corpus, samples two completions per prompt and lets the hidden annotator label them. */
async function pretrainAndLabel(cfg: PreferenceSetupConfig, tok: Tokenizer, trainText: string, heldText: string, items: readonly PromptItem[], nTest: number, opts: SetupOptions): Promise<Labelled> {
  const log = opts.log ?? (() => {});
  const mcfg = defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: cfg.dModel, nLayer: cfg.layers, nHead: cfg.heads, maxSeqLen: Math.max(cfg.seqLen, cfg.promptChars + cfg.completionTokens + 8) });
  const policy = new Transformer(mcfg, undefined, cfg.seed);
  // One document each (a spread of packDocuments would overflow the stack on 400 k ids).
  const windows = streamWindows(tok.encode(trainText, { parseSpecial: false }), cfg.seqLen);
  const held = streamWindows(tok.encode(heldText, { parseSpecial: false }), cfg.seqLen);
  log(`pretraining: ${mcfg.nLayer}×${mcfg.dModel} model on ${(trainText.length / 1000).toFixed(0)} k characters of ${cfg.corpus}, ${cfg.pretrainSteps} steps`);
  const res = await trainSft({
    model: policy, tokenizer: tok, train: windows, eval: held, quiet: opts.quiet,
    config: { steps: cfg.pretrainSteps, batchSize: cfg.batchSize, lr: cfg.lr, minLr: cfg.lr / 10, warmupSteps: 20, seqLen: cfg.seqLen, evalEvery: 0, evalExamples: 32, seed: cfg.seed },
  });
  log(`sampling 2 completions for each of ${items.length} prompts; the hidden AFINN annotator labels each pair`);
  const annotator = afinnAnnotator({ beta: cfg.annotatorBeta, seed: cfg.seed + 101 });
  const samples = generate(policy, items.map((p) => tok.encode(p.text, { parseSpecial: false })), {
    maxNewTokens: cfg.completionTokens, n: 2, temperature: cfg.temperature, seed: cfg.seed + 11, tokenizer: tok,
    stopTokens: tok.eos === null ? [] : [tok.eos], batchSize: 64,
  });
  const labelled = items.map((p, i) => annotator.label(p.text, samples[2 * i]!.text!, samples[2 * i + 1]!.text!));
  return { policy, tokenizer: tok, pairs: { test: labelled.slice(0, nTest), train: labelled.slice(nTest) }, evalLoss: res.finalEvalLoss };
}

/** Pretrains (or, with a store that finished `setup`, reloads) the model and builds the labelled pairs. */
export async function buildPreferenceSetup(cfg: PreferenceSetupConfig, opts: SetupOptions = {}): Promise<PreferenceSetup> {
  const log = opts.log ?? (() => {});
  const corpus = loadCorpus(cfg.corpus);
  const split = corpusSplit(corpus.text, 0.1);
  const trainText = cfg.pretrainChars > 0 ? split.train.slice(0, cfg.pretrainChars) : split.train;
  const makeTokenizer = (): Tokenizer => (cfg.tokenizer === 'bpe'
    ? trainBpe(trainText, { vocabSize: cfg.bpeVocab, specials: ['<|endoftext|>'], eos: '<|endoftext|>' })
    // Every character of the corpus, so held-out prompts never hit unk.
    : CharTokenizer.fromCorpus(corpus.text));
  // A BPE prompt ends at the word, not the space: byte-level pre-tokens carry their leading space,
  // so a trailing one would be a lone token the model rarely saw in training.
  const texts = corpusPrompts(split.eval, cfg.prompts, cfg.promptChars, cfg.seed).map((t) => (cfg.tokenizer === 'bpe' ? t.trimEnd() : t));
  const nTest = Math.max(1, Math.round(cfg.prompts * cfg.testFraction));
  const items: PromptItem[] = texts.map((text, i) => ({ id: `p${i}`, text }));
  const testPrompts = items.slice(0, nTest), prompts = items.slice(nTest);
  const store = opts.store;

  let made: Labelled | null = null;
  const result = await stageOf(store, STAGE, async () => {
    const m = await pretrainAndLabel(cfg, makeTokenizer(), trainText, split.eval.slice(0, 20_000), items, nTest, opts);
    made = m;
    store?.saveCheckpoint(CHECKPOINT, (d) => { saveModelDir(d, m.policy, { tokenizer: m.tokenizer }); writeFileSync(join(d, PAIRS_FILE), JSON.stringify(m.pairs)); });
    return { pretrainEvalLoss: m.evalLoss, trainPairs: m.pairs.train.length, testPairs: m.pairs.test.length };
  });
  const setup: Labelled = made ?? reload(store!, cfg, makeTokenizer);
  if (!made) log(`setup: reloaded the pretrained model and ${setup.pairs.train.length} + ${setup.pairs.test.length} labelled pairs`);
  return {
    policy: setup.policy, tokenizer: setup.tokenizer, prompts, testPrompts, trainPairs: setup.pairs.train, testPairs: setup.pairs.test,
    annotatorScore: (t) => afinnScore(t), pretrainEvalLoss: result.pretrainEvalLoss, config: cfg,
  };
}

function reload(store: RunStore, cfg: PreferenceSetupConfig, makeTokenizer: () => Tokenizer): Labelled {
  const dir = store.checkpointPath(CHECKPOINT);
  const loaded = loadModelDir(dir, { tokenizer: cfg.tokenizer === 'bpe' });
  const pairs = JSON.parse(readFileSync(join(dir, PAIRS_FILE), 'utf8')) as Pairs;
  return { policy: loaded.model, tokenizer: loaded.tokenizer ?? makeTokenizer(), pairs, evalLoss: null };
}

/**
 * The test pairs whose two completions the annotator scores differently, with `chosen` the
 * higher-scoring one: the annotator's noiseless preference, what a reward model's ranking is
 * measured against without the coin flips of its Bradley–Terry draws and of ties.
 */
export function decisivePairs(s: Pick<PreferenceSetup, 'testPairs' | 'annotatorScore'>): PreferencePair[] {
  return s.testPairs.flatMap((p) => {
    const a = s.annotatorScore(p.chosen), b = s.annotatorScore(p.rejected);
    return a === b ? [] : [a > b ? p : { ...p, chosen: p.rejected, rejected: p.chosen }];
  });
}

/** True when a saved setup exists in the store's checkpoint (for tests and tools). */
export function hasSavedSetup(store: RunStore): boolean {
  return store.isDone(STAGE) && existsSync(join(store.checkpointPath(CHECKPOINT), PAIRS_FILE));
}
