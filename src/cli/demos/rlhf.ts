// `alignkit demo rlhf`: options and output of the RLHF demonstration (rlhf-demo.ts).
import { rmSync } from 'node:fs';
import { flag, helpText, num, parseCommand, str, type OptionSpecs } from '../args.js';
import { defaultRlhfDemo, formatRlhfReport, runRlhfDemo, tinyRlhfDemo, type RlhfDemoConfig } from '../../recipes/rlhf.js';

const specs: OptionSpecs = {
  seed: { type: 'number', help: 'seed of the model, the prompts, the annotator and the sampling', default: 0 },
  out: { type: 'string', help: 'run directory (pairs, samples, metrics, checkpoints); default runs/demo-rlhf-seed<seed>' },
  resume: { type: 'boolean', help: 'continue a killed demo in --out from its last completed stage' },
  'ppo-steps': { type: 'number', help: 'PPO rollout batches (default: the demo\'s)' },
  tiny: { type: 'boolean', help: 'a seconds-long run with tiny sizes (smoke test; the numbers mean nothing)' },
  json: { type: 'boolean', help: 'print the results as one JSON object on stdout' },
  quiet: { type: 'boolean', help: 'no progress display' },
};

export const RLHF_SUMMARY = 'RLHF on State of the Union text with a hidden AFINN annotator: reward models at 10/25/100% labels, PPO vs DPO, VADER as independent judge';

export async function runRlhfCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, specs);
  if (!p) {
    console.log(helpText('demo rlhf', RLHF_SUMMARY, specs, ['alignkit demo rlhf', 'alignkit demo rlhf --json', 'alignkit demo rlhf --out runs/r --resume']));
    return 0;
  }
  const seed = num(p, 'seed');
  const base: RlhfDemoConfig = flag(p, 'tiny') ? tinyRlhfDemo(seed) : { ...defaultRlhfDemo, setup: { ...defaultRlhfDemo.setup, seed } };
  const ppoSteps = p['ppo-steps'] as number | undefined;
  const cfg: RlhfDemoConfig = ppoSteps === undefined ? base : { ...base, ppo: { ...base.ppo, steps: ppoSteps } };
  const out = str(p, 'out') ?? `runs/demo-rlhf-seed${seed}`;
  if (!flag(p, 'resume') && !str(p, 'out')) rmSync(out, { recursive: true, force: true });
  const log = (s: string) => { if (!flag(p, 'quiet')) console.error(`demo rlhf: ${s}`); };
  log(`RLHF with a hidden AFINN-111 annotator (seed ${seed}); run directory ${out}`);
  const res = await runRlhfDemo(cfg, out, { resume: flag(p, 'resume'), quiet: flag(p, 'quiet'), log });
  if (flag(p, 'json')) {
    const { config: _c, ...rest } = res;
    console.log(JSON.stringify({ ...rest, seed, out }));
  } else {
    console.log(`\n${formatRlhfReport(res)}\n\n${res.seconds.toFixed(0)} s. Pairs, PPO samples with their rewards, metrics: ${out}/`);
  }
  return 0;
}
