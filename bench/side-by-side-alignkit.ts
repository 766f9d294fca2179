// alignkit's half of the side-by-side with TRL (bench/trl-side-by-side.py runs both): one method
// (sft, dpo or grpo) on the prepared model directory and data, with the hyper-parameters the
// spec gives, each step's loss (or reward) and the time it ended written as one JSON file. The
// library's trainers are called directly so that each step can be timed.
//   node dist/bench/side-by-side-alignkit.js spec.json result.json
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainDpo, trainGrpo, trainSft, verifierReward } from '../src/align/index.js';
import { readPreferenceSplit } from '../src/align/trainer/inputs.js';
import { loadTaskInput } from '../src/data/tasks/task-input.js';
import { readSource, toExamples } from '../src/data/text-source.js';
import { loadModelDir } from '../src/model/index.js';
import { RunStore } from '../src/runs/run-store.js';

interface Spec {
  method: 'sft' | 'dpo' | 'grpo';
  model: string;
  data: string;
  out: string;
  /** Option values of the trainer's config (alignkit names). */
  config: Record<string, unknown>;
  /** grpo: the verifier module scoring completions. */
  verifier?: string;
  seqLen?: number;
  /** Recompute each layer in the backward (TRL's gradient_checkpointing; the CLI's --gradient-checkpointing). */
  gradientCheckpointing?: boolean;
}

interface StepRecord { step: number; t: number; cpu: number; value: number; completionLength?: number }

const [specFile, resultFile] = process.argv.slice(2);
if (!specFile || !resultFile) throw new Error('usage: side-by-side-alignkit.js spec.json result.json');
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as Spec;
const { model, tokenizer } = loadModelDir(spec.model);
if (!tokenizer) throw new Error(`${spec.model}: no tokenizer`);
model.gradientCheckpointing = spec.gradientCheckpointing ?? false;
const steps: StepRecord[] = [];
const now = () => performance.now() / 1000;
/** CPU seconds of the whole process, all threads (the native kernels' too). */
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

if (spec.method === 'sft') {
  const src = await readSource(undefined, spec.data, 0, {}, { evalFraction: 0 });
  const { train } = toExamples(src, tokenizer, spec.seqLen ?? 128);
  await trainSft({ model, tokenizer, train, config: spec.config, quiet: true, onLog: (l) => steps.push({ step: l.step, t: now(), cpu: cpu(), value: l.loss }) });
} else if (spec.method === 'dpo') {
  const split = await readPreferenceSplit(spec.data, undefined, 0, 0);
  await trainDpo({ policy: model, tokenizer, pairs: split.train, config: spec.config, quiet: true, onLog: (l) => steps.push({ step: l.step, t: now(), cpu: cpu(), value: l.loss }) });
} else {
  const task = await loadTaskInput({ task: spec.data, verifier: spec.verifier, taskOpts: 'testFraction=0', seed: 0 });
  rmSync(join(spec.out, 'run'), { recursive: true, force: true });
  const store = RunStore.open(join(spec.out, 'run'), spec.config, { resume: false });
  try {
    await trainGrpo({
      policy: model, tokenizer, prompts: task.train.map((p) => ({ id: p.id, text: p.prompt })), reward: verifierReward(task.train, task.verifier),
      store, config: spec.config, quiet: true, onLog: (l) => steps.push({ step: l.step, t: now(), cpu: cpu(), value: l.score, completionLength: l.responseLength }),
    });
  } finally {
    store.close();
  }
}
writeFileSync(resultFile, JSON.stringify({ steps }) + '\n');
