// `alignkit eval`: held-out loss and perplexity (--corpus, --data), a policy on a task's test
// problems (--task: pass@1, pass@k, maj@k, mean reward), or a reward model's scores of a policy's
// completions (--reward-model); the inputs given choose the mode (align/eval/job.ts).
import { evalJobOptions, runEvalJob } from '../../../align/eval/job.js';
import type { GenerationScores } from '../../../align/eval/generations.js';
import { bool, checkEach, declareConfig } from '../../../config/index.js';
import { defineCommand } from '../../command.js';

const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | null): string => (x === null ? '—' : x.toFixed(4));

function describe(r: GenerationScores): string {
  const figures = r.mode === 'task'
    ? [`pass@1 ${pct(r.pass1)}`, ...(r.k > 0 ? [`pass@${r.k} ${pct(r.passAtK)} (n ${r.n})`, `maj@${r.k} ${pct(r.majAtK)}`] : []), `mean reward ${num(r.meanReward)}`]
    : [];
  if (r.rmScore !== null) figures.push(`reward model ${num(r.rmScore)} (greedy)${r.rmSampledScore !== null ? `, ${num(r.rmSampledScore)} (samples)` : ''}`);
  return `eval: ${r.source}, ${r.problems} ${r.mode === 'task' ? 'problems' : 'prompts'}: ${figures.join(', ')}; every completion in ${r.generations}`;
}

export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'perplexity on held-out text, pass@k on a task, or a reward model\'s scores of completions',
  options: declareConfig('eval', { ...evalJobOptions.options, json: bool(false, 'print a JSON object') }, checkEach(evalJobOptions)),
  examples: [
    'alignkit eval --model runs/moby/model --corpus moby-dick',
    'alignkit eval --model runs/sft/model --data pairs.jsonl --all --json',
    'alignkit eval --model runs/rest-em/model --task arithmetic --k 4 --out runs/rest-em/eval',
    'alignkit eval --model runs/ppo/model --reward-model runs/rm/model --prompts held-out.jsonl --n 4',
  ],
  async run({ json, ...o }) {
    const r = await runEvalJob(o, { log: (s) => { if (!o.quiet) console.error(`eval: ${s}`); } });
    if (json) console.log(JSON.stringify(r));
    else if (r.mode === 'perplexity') console.log(`eval: ${r.sequences} sequences, loss ${r.loss.toFixed(4)}, perplexity ${r.perplexity.toFixed(2)}`);
    else console.log(describe(r));
    return 0;
  },
});
