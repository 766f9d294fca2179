// `alignkit demo`: the main job. With nothing but `npm install`, runs ReST-EM on arithmetic
// word problems and prints the per-iteration table against the human-data baseline.
import { rmSync } from 'node:fs';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, str, UsageError, type OptionSpecs } from '../args.js';
import { runRlhfCommand } from '../demos/rlhf.js';
import { runSerDemoCommand } from '../demos/ser.js';
import { runRestDemoCommand } from '../demos/rest.js';
import { defaultRestEmDemo, formatRestEmTable, runRestEmDemo, type RestEmDemoConfig } from '../../recipes/rest-em.js';

const specs: OptionSpecs = {
  seed: { type: 'number', help: 'seed of the problems, the model and the sampling', default: 0 },
  task: { type: 'string', help: 'arithmetic, or g2p (grapheme-to-phoneme on the CMU dictionary)', default: 'arithmetic' },
  out: { type: 'string', help: 'run directory (samples, metrics, checkpoints); default runs/demo-seed<seed>' },
  resume: { type: 'boolean', help: 'continue a killed demo in --out from its last completed stage' },
  iterations: { type: 'number', help: 'ReST-EM iterations', default: 3 },
  tiny: { type: 'boolean', help: 'a seconds-long run with tiny sizes (smoke test; the numbers mean nothing)' },
  json: { type: 'boolean', help: 'print the results as one JSON object on stdout' },
  quiet: { type: 'boolean', help: 'no progress display' },
};

/** Sizes for a seconds-long smoke run (CI). */
export function tinyDemo(seed: number): RestEmDemoConfig {
  return {
    ...defaultRestEmDemo, seed, seedProblems: 24, poolProblems: 40, testProblems: 16, dModel: 16, layers: 1, heads: 2, seedSftSteps: 20,
    restEm: { ...defaultRestEmDemo.restEm, samplesPerProblem: 4, validationProblems: 8, mStepMaxSteps: 20, mStepEvalEvery: 10, evalK: 2, evalN: 2, trainEvalProblems: 8, batchSize: 64 },
  };
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'ReST-EM on arithmetic word problems: seed SFT, 3 iterations, human-data baseline',
  async run(argv) {
    // Sub-modes: the first positional argument (no sub-mode: ReST-EM).
    if (argv[0] === 'rlhf') return runRlhfCommand(argv.slice(1));
    if (argv[0] === 'ser') return runSerDemoCommand(argv.slice(1));
    if (argv[0] === 'rest') return runRestDemoCommand(argv.slice(1));
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('demo', this.summary, specs, ['alignkit demo', 'alignkit demo --seed 1 --json']));
      return 0;
    }
    const seed = num(p, 'seed');
    const task = str(p, 'task') as RestEmDemoConfig['task'];
    if (task !== 'arithmetic' && task !== 'g2p') throw new UsageError(`--task ${task}: expected arithmetic or g2p`);
    const base = { ...(flag(p, 'tiny') ? tinyDemo(seed) : { ...defaultRestEmDemo, seed }), task };
    const cfg: RestEmDemoConfig = { ...base, restEm: { ...base.restEm, iterations: num(p, 'iterations') } };
    const out = str(p, 'out') ?? `runs/demo-${task === 'g2p' ? 'g2p-' : ''}seed${seed}`;
    if (!flag(p, 'resume') && !str(p, 'out')) rmSync(out, { recursive: true, force: true });
    const json = flag(p, 'json');
    const log = (s: string) => { if (!flag(p, 'quiet')) console.error(`demo: ${s}`); };
    log(`ReST-EM on ${task === 'g2p' ? 'grapheme-to-phoneme' : 'arithmetic word problems'} (seed ${seed}); run directory ${out}`);
    const res = await runRestEmDemo(cfg, out, { resume: flag(p, 'resume'), quiet: flag(p, 'quiet'), log });
    if (json) {
      console.log(JSON.stringify({ iterations: res.iterations, baseline_test_pass1: res.baseline_test_pass1, baseline_pass_at_k: res.baseline_pass_at_k, seconds: res.seconds, seed, out }));
    } else {
      console.log(`\n${formatRestEmTable(res)}\n\n${res.seconds.toFixed(0)} s. Every sample with its reward and kept flag: ${out}/samples/; metrics: ${out}/metrics.jsonl`);
    }
    return 0;
  },
};
