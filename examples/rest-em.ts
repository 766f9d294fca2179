// ReST-EM on your own task (the API at toy size; `alignkit demo` shows the method at scale):
// problems with answers in a JSONL file graded by a numeric matcher, a
// seed model fine-tuned on a few worked solutions, then E-steps (sample, keep what the verifier
// accepts) and M-steps (fine-tune the base model on what was kept).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRestEm, trainSft } from 'alignkit/align';
import { completionExample, loadUserTask } from 'alignkit/data';
import { Transformer, defaultConfig } from 'alignkit/model';
import { RunStore } from 'alignkit/runs';
import { CharTokenizer } from 'alignkit/tokenizer';

const out = process.argv[2] ?? 'runs/rest-em-example';
mkdirSync(out, { recursive: true });

// The task file: one {prompt, answer} per line; a worked `reference` is optional.
const problems = [];
for (let a = 1; a <= 9; a++) for (let b = 1; b <= 9; b++) problems.push({ prompt: `${a}+${b}=`, answer: a + b, reference: `${a + b}` });
writeFileSync(join(out, 'sums.jsonl'), problems.map((p) => JSON.stringify(p)).join('\n') + '\n');
const task = await loadUserTask(join(out, 'sums.jsonl'), { matcher: 'numeric', testFraction: 0.2, seed: 0 });

// A base model, and the iteration-0 policy: the base fine-tuned on a few worked solutions.
const tokenizer = CharTokenizer.fromCorpus('0123456789+=');
const base = new Transformer(defaultConfig('llama', { vocabSize: tokenizer.vocabSize, dModel: 32, nLayer: 2, nHead: 2, maxSeqLen: 16 }), undefined, 0);
const policy0 = base.clone();
const seedSft = task.train.slice(0, 24).map((p) => completionExample(p.prompt, p.reference!, tokenizer, 15));
await trainSft({ model: policy0, tokenizer, train: seedSft, config: { steps: 200, batchSize: 8, lr: 3e-3 }, quiet: true });

const store = RunStore.open(join(out, 'run'), { example: 'rest-em' }, { resume: false });
try {
  const rows = await runRestEm({
    base, policy0, tokenizer, task, store, quiet: true,
    config: {
      iterations: 2, samplesPerProblem: 8, temperature: 1, maxNewTokens: 4, validationProblems: 8,
      mStepMaxSteps: 200, mStepEvalEvery: 50, mStep: { batchSize: 8, lr: 3e-3 }, evalK: 2, evalN: 4, trainEvalProblems: 16,
    },
  });
  for (const r of rows) console.log(`iteration ${r.iteration}: test pass@1 ${r.test_pass1.toFixed(2)}, kept ${r.kept ?? '-'}, solved ${r.solved ?? '-'}`);
  console.log(`every sample with its verdict: ${join(out, 'run', 'samples')}`);
} finally {
  store.close();
}
