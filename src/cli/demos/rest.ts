// `alignkit demo rest`: options and output of the ReST demonstration (recipes/rest.ts).
import { rmSync } from 'node:fs';
import { METRIC_NAMES, type MetricName } from '../../align/rest/rewards.js';
import { defaultRestDemo, formatRestDemo, runRestDemo, tinyRestDemo, type RestDemoConfig } from '../../recipes/rest.js';
import { flag, helpText, num, parseCommand, str, type OptionSpecs } from '../args.js';

const specs: OptionSpecs = {
  seed: { type: 'number', help: 'seed of the word sample, the model and the sampling', default: 0 },
  out: { type: 'string', help: 'run directory; default runs/demo-rest-seed<seed>' },
  resume: { type: 'boolean', help: 'continue a killed demo in --out from its last completed stage' },
  'no-ppo': { type: 'boolean', help: 'skip the online PPO line' },
  'no-flawed': { type: 'boolean', help: 'skip the flawed-reward run' },
  'flawed-reward': { type: 'string', help: `the flawed run's reward: ${METRIC_NAMES.join(', ')}`, default: defaultRestDemo.flawedReward },
  tiny: { type: 'boolean', help: 'a seconds-long run with tiny sizes (smoke test; the numbers mean nothing)' },
  json: { type: 'boolean', help: 'print the results as one JSON object on stdout' },
  quiet: { type: 'boolean', help: 'no progress display' },
};

/** `alignkit demo rest [options]`. */
export async function runRestDemoCommand(argv: string[]): Promise<number> {
  const summary = 'ReST (Grow/Improve) on CMU-dict grapheme-to-phoneme: BC, G=2 × I=3 with reward 1 − PER, online PPO, a flawed reward';
  const p = parseCommand(argv, specs);
  if (!p) {
    console.log(helpText('demo rest', summary, specs, ['alignkit demo rest', 'alignkit demo rest --json --seed 1']));
    return 0;
  }
  const seed = num(p, 'seed');
  const base = flag(p, 'tiny') ? tinyRestDemo(seed) : { ...defaultRestDemo, seed };
  const flawedReward = str(p, 'flawed-reward') as MetricName;
  if (!METRIC_NAMES.includes(flawedReward)) throw new RangeError(`--flawed-reward ${JSON.stringify(flawedReward)}: expected one of ${METRIC_NAMES.join(', ')}`);
  const cfg: RestDemoConfig = { ...base, ppo: !flag(p, 'no-ppo'), flawed: !flag(p, 'no-flawed'), flawedReward };
  const out = str(p, 'out') ?? `runs/demo-rest-seed${seed}`;
  if (!flag(p, 'resume') && !str(p, 'out')) rmSync(out, { recursive: true, force: true });
  const log = (s: string) => { if (!flag(p, 'quiet')) console.error(`demo rest: ${s}`); };
  log(`ReST on CMU-dict grapheme-to-phoneme (seed ${seed}); run directory ${out}`);
  const res = await runRestDemo(cfg, out, { resume: flag(p, 'resume'), quiet: flag(p, 'quiet'), log });
  if (flag(p, 'json')) {
    console.log(JSON.stringify({ rest: res.rest, ppo: res.ppo, flawed: res.flawed, keptRest: res.keptRest, keptFlawed: res.keptFlawed, samples: res.samples, seconds: res.seconds, seed, out }));
  } else {
    console.log(`\n${formatRestDemo(res)}\n\n${res.seconds.toFixed(0)} s. Every grown sample with its reward and kept flags: ${out}/*/samples/; metrics: ${out}/*/metrics.jsonl`);
  }
  return 0;
}
