// The main job: ReST-EM on arithmetic word problems, from nothing but `npm install`.
// A small Llama-family model (RoPE lets it copy numbers out of the prompt) is trained on a few
// hundred worked solutions — the seed SFT — then runs ReST-EM iterations on a larger pool of
// problems that have answers only. The human-data baseline fine-tunes the same base model on
// the reference solutions of every problem (the paper's "SFT on human data" row).
import { arithmeticTask } from '../data/tasks/builtin/arithmetic.js';
import { g2pTask } from '../data/tasks/builtin/g2p.js';
import { completionExample } from '../data/lm-examples.js';
import { CharTokenizer } from '../tokenizer/index.js';
import { Transformer, defaultConfig, type ModelConfig } from '../model/index.js';
import { RunStore } from '../runs/run-store.js';
import { trainSft } from '../align/sft/sft.js';
import { runRestEm, type RestEmConfig, type RestEmRow } from '../align/rest-em/rest-em.js';
import { evaluateTask } from '../align/trainer/task-eval.js';
import type { Problem, Task } from '../data/tasks/task.js';
import { choice, declareConfig, int } from '../config/index.js';
import { modelStage } from '../align/trainer/model-stage.js';
import { saveLastPolicy } from '../align/trainer/job.js';
import { defineRecipe, recipeOptions, recipeRunDir } from './recipe.js';
import { formatRestEmTable } from '../align/rest-em/report.js';

export { formatRestEmTable };

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

/** The demo's problems, tokenizer and model shape: a pure function of the config, the same on every machine. */
export function restEmDemoData(cfg: RestEmDemoConfig): { full: Task; seedSet: Problem[]; task: Task; tok: CharTokenizer; mcfg: ModelConfig } {
  const size = { trainSize: cfg.seedProblems + cfg.poolProblems, testSize: cfg.testProblems };
  const full = cfg.task === 'g2p'
    ? g2pTask({ ...size, seed: cfg.seed })
    : arithmeticTask({ seed: cfg.seed, ...size, digits: cfg.digits, steps: cfg.steps, carries: cfg.carries });
  const seedSet = full.train.slice(0, cfg.seedProblems);
  // The pool has answers only: ReST-EM never sees its reference solutions.
  const task: Task = { ...full, train: full.train.slice(cfg.seedProblems).map(({ reference: _r, ...p }) => p) };
  const text = [...full.train, ...full.test].map((p) => p.prompt + p.reference).join('');
  const tok = CharTokenizer.fromCorpus(text + (cfg.task === 'g2p' ? '' : '0123456789-'));
  const mcfg = defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: cfg.dModel, nLayer: cfg.layers, nHead: cfg.heads, nKvHead: cfg.heads, maxSeqLen: 128 });
  return { full, seedSet, task, tok, mcfg };
}

/** The demo's SFT of `model` (in place) on the reference solutions of `problems`: the seed SFT, and the human-data baseline. */
export async function sftOnReferences(cfg: RestEmDemoConfig, model: Transformer, tok: CharTokenizer, problems: readonly Problem[], steps: number, quiet: boolean): Promise<number> {
  const ex = problems.map((p) => completionExample(p.prompt, p.reference!, tok, model.config.maxSeqLen - 1));
  await trainSft({ model, tokenizer: tok, train: ex, quiet, config: { steps, batchSize: 16, lr: cfg.lr, minLr: cfg.lr / 10, warmupSteps: 20, seed: cfg.seed, ...(cfg.restEm.mStep ?? {}) } });
  return ex.length;
}

export async function runRestEmDemo(cfg: RestEmDemoConfig, out: string, opts: { resume: boolean; quiet: boolean; log: (s: string) => void }): Promise<RestEmDemoResult> {
  const t0 = performance.now();
  const { full, seedSet, task, tok, mcfg } = restEmDemoData(cfg);
  const store = RunStore.open(out, { demo: 'rest-em', ...cfg } as unknown as Record<string, unknown>, { resume: opts.resume });
  try {
    const base = new Transformer(mcfg, undefined, cfg.seed);
    const sft = cfg.restEm.mStep ?? {};
    const sftOn = (model: Transformer, problems: readonly Problem[], steps: number) => sftOnReferences(cfg, model, tok, problems, steps, opts.quiet);
    const { model: policy0 } = await modelStage(store, 'seed-sft', 'iter0', tok, async () => {
      opts.log(`seed SFT: ${seedSet.length} worked solutions, ${cfg.seedSftSteps} steps`);
      const model = base.clone();
      return { model, result: { examples: await sftOn(model, seedSet, cfg.seedSftSteps) } };
    });
    const rows = await runRestEm({
      base, policy0, tokenizer: tok, task, store, quiet: opts.quiet, log: opts.log,
      config: { ...cfg.restEm, seed: cfg.seed, mStep: { lr: cfg.lr, minLr: cfg.lr / 10, ...sft } },
    });
    const b = await store.stage('baseline', async (s) => {
      const steps = cfg.restEm.mStepMaxSteps ?? 1800;
      opts.log(`baseline: SFT of the base model on the reference solutions of all ${full.train.length} training problems, ${steps} steps`);
      const model = base.clone();
      await sftOn(model, full.train, steps);
      const r = cfg.restEm;
      const scores = await evaluateTask(model, tok, task.test, task.verifier, r.evalK ?? 4, r.evalN ?? 8, {
        maxNewTokens: r.maxNewTokens ?? 24, temperature: r.temperature ?? 1, topK: r.topK ?? 40, seed: cfg.seed + 7, batchSize: r.batchSize ?? 256,
      });
      s.log({ test_pass1: scores.pass1, pass_at_k: scores.passAtK, maj_at_k: scores.majAtK });
      return scores;
    });
    // The last ReST-EM policy in <out>/model, where every command leaves its model.
    await saveLastPolicy(store, `iter${rows.at(-1)!.iteration}`, tok);
    return { iterations: rows, baseline_test_pass1: b.pass1, baseline_pass_at_k: b.passAtK, seconds: (performance.now() - t0) / 1000, config: cfg };
  } finally {
    store.close();
  }
}

/** Sizes for a seconds-long smoke run (CI). */
export function tinyRestEmDemo(seed: number): RestEmDemoConfig {
  return {
    ...defaultRestEmDemo, seed, seedProblems: 24, poolProblems: 40, testProblems: 16, dModel: 16, layers: 1, heads: 2, seedSftSteps: 20,
    restEm: { ...defaultRestEmDemo.restEm, samplesPerProblem: 4, validationProblems: 8, mStepMaxSteps: 20, mStepEvalEvery: 10, evalK: 2, evalN: 2, trainEvalProblems: 8, batchSize: 64 },
  };
}

export const restEmRecipe = defineRecipe({
  name: 'rest-em',
  summary: 'ReST-EM on arithmetic word problems: seed SFT, 3 iterations, human-data baseline (the main job)',
  options: declareConfig('demo rest-em', {
    ...recipeOptions('seed of the problems, the model and the sampling'),
    task: choice(['arithmetic', 'g2p'] as const, 'arithmetic', 'arithmetic, or g2p (grapheme-to-phoneme on the CMU dictionary)'),
    iterations: int(3, 'ReST-EM iterations', { min: 1 }),
  }),
  examples: ['alignkit demo', 'alignkit demo --seed 1 --json', 'alignkit demo --task g2p'],
  async run(o, hooks) {
    const base = { ...(o.tiny ? tinyRestEmDemo(o.seed) : { ...defaultRestEmDemo, seed: o.seed }), task: o.task };
    const cfg: RestEmDemoConfig = { ...base, restEm: { ...base.restEm, iterations: o.iterations } };
    const out = recipeRunDir(o, `runs/demo-${o.task === 'g2p' ? 'g2p-' : ''}seed${o.seed}`);
    hooks.log(`ReST-EM on ${o.task === 'g2p' ? 'grapheme-to-phoneme' : 'arithmetic word problems'} (seed ${o.seed}); run directory ${out}`);
    return { ...(await runRestEmDemo(cfg, out, { resume: o.resume, quiet: o.quiet, log: hooks.log })), out };
  },
  json: (r) => ({ iterations: r.iterations, baseline_test_pass1: r.baseline_test_pass1, baseline_pass_at_k: r.baseline_pass_at_k, seconds: r.seconds, seed: r.config.seed, out: r.out }),
  format: (r) => `${formatRestEmTable(r)}\n\n${r.seconds.toFixed(0)} s. Every sample with its reward and kept flag: ${r.out}/samples/; metrics: ${r.out}/metrics.jsonl`,
});
