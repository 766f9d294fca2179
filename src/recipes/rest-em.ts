// The main job: ReST-EM on arithmetic word problems, from nothing but `npm install`.
// A small Llama-family model (RoPE lets it copy numbers out of the prompt) is trained on a few
// hundred worked solutions — the seed SFT — then runs ReST-EM iterations on a larger pool of
// problems that have answers only. The human-data baseline fine-tunes the same base model on
// the reference solutions of every problem (the paper's "SFT on human data" row).
import { arithmeticTask } from '../data/tasks/arithmetic.js';
import { g2pTask } from '../data/tasks/g2p.js';
import { completionExample } from '../data/lm-examples.js';
import { CharTokenizer } from '../tokenizer/index.js';
import { Transformer, defaultConfig, loadModelDir, saveModelDir } from '../model/index.js';
import { RunStore } from '../runs/run-store.js';
import { trainSft } from '../align/sft/sft.js';
import { runRestEm, type RestEmConfig, type RestEmRow } from '../align/rest-em/rest-em.js';
import { evaluateTask } from '../align/trainer/task-eval.js';
import type { Task } from '../data/tasks/task.js';

export interface RestEmDemoConfig {
  /** arithmetic word problems (the main demo) or grapheme-to-phoneme on the CMU dictionary. */
  task: 'arithmetic' | 'g2p';
  seed: number;
  /** Worked reference solutions for the seed SFT ("a few hundred"). */
  seedProblems: number;
  /** Problems with answers only, for the E-steps (validation problems are taken from these). */
  poolProblems: number;
  testProblems: number;
  /** Arithmetic difficulty: 2-digit numbers, one operation, no carries — hard for the seed model, learnable with more data. */
  digits: number;
  steps: number;
  carries: boolean;
  dModel: number;
  layers: number;
  heads: number;
  seedSftSteps: number;
  lr: number;
  restEm: Partial<RestEmConfig>;
}

export const defaultRestEmDemo: RestEmDemoConfig = {
  task: 'arithmetic', seed: 0, seedProblems: 300, poolProblems: 1800, testProblems: 200, digits: 2, steps: 1, carries: false,
  dModel: 64, layers: 2, heads: 4, seedSftSteps: 700, lr: 3e-3,
  restEm: {
    iterations: 3, samplesPerProblem: 32, cap: 10, temperature: 1.0, topK: 40, maxNewTokens: 24,
    validationProblems: 100, mStepEpochs: 100, mStepMaxSteps: 1800, mStepEvalEvery: 300, mStepPatience: 0,
    evalK: 4, evalN: 8, trainEvalProblems: 200, batchSize: 256,
  },
};

export interface RestEmDemoResult {
  iterations: RestEmRow[];
  baseline_test_pass1: number;
  baseline_pass_at_k: number;
  seconds: number;
  config: RestEmDemoConfig;
}

export async function runRestEmDemo(cfg: RestEmDemoConfig, out: string, opts: { resume: boolean; quiet: boolean; log: (s: string) => void }): Promise<RestEmDemoResult> {
  const t0 = performance.now();
  const size = { trainSize: cfg.seedProblems + cfg.poolProblems, testSize: cfg.testProblems };
  const full = cfg.task === 'g2p'
    ? g2pTask({ ...size, seed: cfg.seed })
    : arithmeticTask({ seed: cfg.seed, ...size, digits: cfg.digits, steps: cfg.steps, carries: cfg.carries });
  const seedSet = full.train.slice(0, cfg.seedProblems);
  const pool = full.train.slice(cfg.seedProblems);
  // The pool has answers only: ReST-EM never sees its reference solutions.
  const task: Task = { ...full, train: pool.map(({ reference: _r, ...p }) => p) };
  const text = [...full.train, ...full.test].map((p) => p.prompt + p.reference).join('');
  const tok = CharTokenizer.fromCorpus(text + (cfg.task === 'g2p' ? '' : '0123456789-'));
  const mcfg = defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: cfg.dModel, nLayer: cfg.layers, nHead: cfg.heads, nKvHead: cfg.heads, maxSeqLen: 128 });
  const store = RunStore.open(out, { demo: 'rest-em', ...cfg } as unknown as Record<string, unknown>, { resume: opts.resume });
  const base = new Transformer(mcfg, undefined, cfg.seed);
  const sft = cfg.restEm.mStep ?? {};
  const maxLen = mcfg.maxSeqLen - 1;

  let policy0: Transformer;
  if (!store.isDone('seed-sft')) {
    opts.log(`seed SFT: ${seedSet.length} worked solutions, ${cfg.seedSftSteps} steps`);
    policy0 = base.clone();
    const ex = seedSet.map((p) => completionExample(p.prompt, p.reference!, tok, maxLen));
    await trainSft({ model: policy0, tokenizer: tok, train: ex, quiet: opts.quiet, config: { steps: cfg.seedSftSteps, batchSize: 16, lr: cfg.lr, minLr: cfg.lr / 10, warmupSteps: 20, seed: cfg.seed, ...sft } });
    store.saveCheckpoint('iter0', (d) => saveModelDir(d, policy0, { tokenizer: tok }));
    store.completeStage('seed-sft', { examples: ex.length });
  } else {
    policy0 = loadModelDir(store.checkpointPath('iter0'), { tokenizer: false }).model;
  }

  const rows = await runRestEm({
    base, policy0, tokenizer: tok, task, store, quiet: opts.quiet, log: opts.log,
    config: { ...cfg.restEm, seed: cfg.seed, mStep: { lr: cfg.lr, minLr: cfg.lr / 10, ...sft } },
  });

  if (!store.isDone('baseline')) {
    const steps = cfg.restEm.mStepMaxSteps ?? 1800;
    opts.log(`baseline: SFT of the base model on the reference solutions of all ${full.train.length} training problems, ${steps} steps`);
    const model = base.clone();
    const ex = full.train.map((p) => completionExample(p.prompt, p.reference!, tok, maxLen));
    await trainSft({ model, tokenizer: tok, train: ex, quiet: opts.quiet, config: { steps, batchSize: 16, lr: cfg.lr, minLr: cfg.lr / 10, warmupSteps: 20, seed: cfg.seed, ...sft } });
    const r = cfg.restEm;
    const scores = await evaluateTask(model, tok, task.test, task.verifier, r.evalK ?? 4, r.evalN ?? 8, {
      maxNewTokens: r.maxNewTokens ?? 24, temperature: r.temperature ?? 1, topK: r.topK ?? 40, seed: cfg.seed + 7, batchSize: r.batchSize ?? 256,
    });
    store.logMetrics('baseline', { test_pass1: scores.pass1, pass_at_k: scores.passAtK, maj_at_k: scores.majAtK });
    store.completeStage('baseline', scores);
  }
  const b = store.stageResult('baseline') as { pass1: number; passAtK: number };
  store.close();
  return { iterations: rows, baseline_test_pass1: b.pass1, baseline_pass_at_k: b.passAtK, seconds: (performance.now() - t0) / 1000, config: cfg };
}

// The table lives with the trainer (align/rest-em/report.ts); `alignkit demo` imports it from here.
export { formatRestEmTable } from '../align/rest-em/report.js';
