// A tiny ReST-EM run for tests: a toy task whose verifier accepts completions that start with
// an even character code, on a tiny model. Run as a script (argv: run dir, "slow") it prints
// "E-STEP" when verification starts, so a test can SIGKILL it in the middle of an E-step.
import { fileURLToPath } from 'node:url';
import { ByteTokenizer } from '../tokenizer/index.js';
import { defaultConfig, Transformer } from '../model/index.js';
import { RunStore } from '../runs/run-store.js';
import { binaryVerdict, type Task } from '../rewards/verifier.js';
import { runRestEm, type RestEmConfig } from './rest-em.js';

export const fixtureTokenizer = new ByteTokenizer();

export function fixtureTask(delayMs = 0): Task {
  const problems = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}`, prompt: `q${i}:`, answer: 'even' }));
  let announced = false;
  return {
    name: 'toy', train: problems.slice(0, 10), test: problems.slice(10),
    verifier: {
      name: 'even-first-byte',
      async verify(_p, completion) {
        if (delayMs && !announced) { announced = true; process.stdout.write('E-STEP\n'); }
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        const c = completion.charCodeAt(0);
        return binaryVerdict(!Number.isNaN(c) && c % 2 === 0, String(c % 2));
      },
    },
  };
}

export const fixtureConfig: Partial<RestEmConfig> = {
  iterations: 2, samplesPerProblem: 4, cap: 2, temperature: 1, topK: 0, maxNewTokens: 3, validationProblems: 2,
  mStepEpochs: 1, mStepMaxSteps: 3, mStepEvalEvery: 2, evalK: 1, evalN: 2, trainEvalProblems: 4, batchSize: 16,
  mStep: { batchSize: 4, lr: 1e-3 },
};

export function fixtureModels(): { base: Transformer; policy0: Transformer } {
  const cfg = defaultConfig('gpt2', { vocabSize: fixtureTokenizer.vocabSize, dModel: 8, nHead: 2, nLayer: 1, maxSeqLen: 16 });
  return { base: new Transformer(cfg, undefined, 1), policy0: new Transformer(cfg, undefined, 2) };
}

export async function runFixture(dir: string, resume: boolean, delayMs = 0, config: Partial<RestEmConfig> = {}) {
  const { base, policy0 } = fixtureModels();
  const store = RunStore.open(dir, { fixture: true, ...fixtureConfig, ...config }, { resume });
  const rows = await runRestEm({ base, policy0, tokenizer: fixtureTokenizer, task: fixtureTask(delayMs), store, config: { ...fixtureConfig, ...config }, quiet: true });
  store.close();
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runFixture(process.argv[2]!, process.argv[3] === 'resume', 200);
}
