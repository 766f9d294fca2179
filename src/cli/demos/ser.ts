// `alignkit demo ser`: options and output of the SER demonstration (recipes/ser.ts).
import { rmSync } from 'node:fs';
import { defaultPreferenceSetup } from '../../recipes/preference-setup.js';
import { defaultSerDemo, formatSerReport, runSerDemo, tinySerDemo, type SerDemoConfig } from '../../recipes/ser.js';
import { flag, helpText, num, parseCommand, str, UsageError, type OptionSpecs } from '../args.js';

// ---- `alignkit demo ser`

const specs: OptionSpecs = {
  seed: { type: 'number', help: 'seed of the model, the prompts, the annotator, the label split and the sampling', default: 0 },
  out: { type: 'string', help: 'run directory (pairs, metrics, checkpoints); default runs/demo-ser-seed<seed>' },
  resume: { type: 'boolean', help: 'continue a killed demo in --out from its last completed stage' },
  prompts: { type: 'number', help: 'prompts of the preference setup, train and test (one labelled pair each; at most about 9,000 held-out lines exist)', default: defaultPreferenceSetup.prompts },
  'seed-fraction': { type: 'number', help: 'share of the training labels the seed RM sees', default: 0.15 },
  loops: { type: 'number', help: 'most SER loops (default: the demo\'s)' },
  retrain: { type: 'string', help: 'seed or continue (default: the demo\'s, seed)' },
  criterion: { type: 'string', help: 'sigmoid-each or sigmoid-diff (default: sigmoid-each)' },
  'no-policies': { type: 'boolean', help: 'reward models only: skip DPO and the policy evaluation' },
  tiny: { type: 'boolean', help: 'a seconds-long run with tiny sizes (smoke test; the numbers mean nothing)' },
  json: { type: 'boolean', help: 'print the results as one JSON object on stdout' },
  quiet: { type: 'boolean', help: 'no progress display' },
};

export const SER_SUMMARY = 'SER on State of the Union text with a hidden AFINN annotator: seed RM on 15% of labels, self-labelling loops, 100% RM; DPO with each';

export async function runSerDemoCommand(argv: string[]): Promise<number> {
  const p = parseCommand(argv, specs);
  if (!p) {
    console.log(helpText('demo ser', SER_SUMMARY, specs, ['alignkit demo ser', 'alignkit demo ser --seed 1 --json', 'alignkit demo ser --out runs/s --resume']));
    return 0;
  }
  const seed = num(p, 'seed');
  const prompts = num(p, 'prompts');
  if (!Number.isInteger(prompts) || prompts < 8) throw new UsageError(`--prompts ${prompts}: expected an integer ≥ 8`);
  const base: SerDemoConfig = flag(p, 'tiny') ? tinySerDemo(seed) : { ...defaultSerDemo, setup: { ...defaultSerDemo.setup, seed, prompts } };
  const retrain = str(p, 'retrain'), criterion = str(p, 'criterion'), loops = p['loops'] as number | undefined;
  if (retrain !== undefined && retrain !== 'seed' && retrain !== 'continue') throw new UsageError(`--retrain ${retrain}: expected seed or continue`);
  if (criterion !== undefined && criterion !== 'sigmoid-each' && criterion !== 'sigmoid-diff') throw new UsageError(`--criterion ${criterion}: expected sigmoid-each or sigmoid-diff`);
  const cfg: SerDemoConfig = {
    ...base, seedFraction: num(p, 'seed-fraction'), policies: !flag(p, 'no-policies'),
    ser: { ...base.ser, ...(loops !== undefined ? { maxLoops: loops } : {}), ...(retrain ? { retrain } : {}), ...(criterion ? { criterion } : {}) },
  };
  const out = str(p, 'out') ?? `runs/demo-ser-seed${seed}`;
  if (!flag(p, 'resume') && !str(p, 'out')) rmSync(out, { recursive: true, force: true });
  const log = (s: string) => { if (!flag(p, 'quiet')) console.error(`demo ser: ${s}`); };
  log(`SER with a hidden AFINN-111 annotator (seed ${seed}); run directory ${out}`);
  const res = await runSerDemo(cfg, out, { resume: flag(p, 'resume'), quiet: flag(p, 'quiet'), log });
  if (flag(p, 'json')) console.log(JSON.stringify({ ...res, seed, out }));
  else console.log(`\n${formatSerReport(res)}\n\n${res.seconds.toFixed(0)} s. Metrics and checkpoints: ${out}/`);
  return 0;
}
