// `alignkit rest-em`: ReST-EM on a task with a verifier, from a base model directory.
import { existsSync } from 'node:fs';
import { getTask } from '../../data/tasks/index.js';
import { loadModelDir } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { runRestEm } from '../../align/rest-em/rest-em.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, required, str, UsageError, type OptionSpecs } from '../args.js';
import { formatRestEmTable } from '../../recipes/rest-em.js';

const specs: OptionSpecs = {
  task: { type: 'string', help: 'arithmetic, g2p, program, or a JSONL file of {prompt, answer} / {prompt, tests}', default: 'arithmetic' },
  matcher: { type: 'string', help: 'for a JSONL task: exact, numeric, regex or last-number', default: 'exact' },
  verifier: { type: 'string', help: 'for a JSONL task: a JS module exporting verify(problem, completion)' },
  model: { type: 'string', help: 'base model directory (every M-step starts from it)' },
  policy: { type: 'string', help: 'iteration-0 policy directory (default: the base model)' },
  out: { type: 'string', help: 'run directory', default: 'runs/rest-em' },
  iterations: { type: 'number', help: 'E/M iterations', default: 3 },
  samples: { type: 'number', help: 'solutions sampled per training problem', default: 8 },
  cap: { type: 'number', help: 'most correct solutions kept per problem', default: 10 },
  temperature: { type: 'number', help: 'E-step sampling temperature', default: 0.7 },
  'top-k': { type: 'number', help: 'E-step top-k', default: 40 },
  'max-new-tokens': { type: 'number', help: 'longest solution', default: 128 },
  'm-steps': { type: 'number', help: 'most M-step optimizer steps', default: 600 },
  lr: { type: 'number', help: 'M-step learning rate', default: 1e-3 },
  k: { type: 'number', help: 'pass@k and maj@k on the test problems', default: 4 },
  seed: { type: 'number', help: 'seed', default: 0 },
  resume: { type: 'boolean', help: 'continue the run in --out from its last completed stage' },
  json: { type: 'boolean', help: 'print the table as JSON' },
  quiet: { type: 'boolean', help: 'no progress display' },
};

export const restEmCommand: Command = {
  name: 'rest-em',
  summary: 'ReST-EM self-training filtered by a binary verifier',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('rest-em', this.summary, specs, ['alignkit rest-em --task arithmetic --model runs/base --policy runs/seed-sft --out runs/rem']));
      return 0;
    }
    const taskName = str(p, 'task')!;
    const task = existsSync(taskName) && taskName.endsWith('.jsonl')
      ? await getTask('user', { path: taskName, matcher: str(p, 'matcher'), seed: num(p, 'seed'), ...(str(p, 'verifier') ? { verifier: str(p, 'verifier') } : {}) })
      : await getTask(taskName, { seed: num(p, 'seed') });
    const baseDir = required(p, 'model', 'the base model directory');
    const base = loadModelDir(baseDir);
    if (!base.tokenizer) throw new UsageError(`${baseDir}: no tokenizer.json`);
    const policy0 = str(p, 'policy') ? loadModelDir(str(p, 'policy')!, { tokenizer: false }).model : base.model.clone();
    const out = str(p, 'out')!;
    const config = {
      iterations: num(p, 'iterations'), samplesPerProblem: num(p, 'samples'), cap: num(p, 'cap'), temperature: num(p, 'temperature'),
      topK: num(p, 'top-k'), maxNewTokens: num(p, 'max-new-tokens'), mStepMaxSteps: num(p, 'm-steps'), evalK: num(p, 'k'),
      evalN: 2 * num(p, 'k'), seed: num(p, 'seed'), mStep: { lr: num(p, 'lr'), minLr: num(p, 'lr') / 10 },
    };
    const store = RunStore.open(out, { task: taskName, model: baseDir, policy: str(p, 'policy') ?? null, ...config }, { resume: flag(p, 'resume'), resumeMayChange: ['iterations'] });
    const rows = await runRestEm({
      base: base.model, policy0, tokenizer: base.tokenizer, task, store, config, quiet: flag(p, 'quiet'),
      log: (s) => { if (!flag(p, 'quiet')) console.error(`rest-em: ${s}`); },
    });
    store.close();
    if (flag(p, 'json')) console.log(JSON.stringify({ iterations: rows }));
    else console.log(formatRestEmTable({ iterations: rows }));
    return 0;
  },
};
