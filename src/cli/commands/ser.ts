// `alignkit ser`: Self-Evolved Reward Learning (Huang et al. 2024) on a preference file. A seeded
// --seed-fraction of the training pairs keeps its labels and trains the seed reward model; the
// rest become the unlabelled pool (their labels are hidden from training and used only to measure
// pseudo-label precision). The RM self-labels the pool loop by loop, then DPO trains the policy on
// the pairs the evolved RM labels, or PPO trains it against the evolved RM. Reward models in <out>/checkpoints/rm-<loop> and rm-final, the
// policy in <out>/checkpoints/policy.
import { saveModelDir } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { runSer, serSplit, type SerConfigInput, type SerLoopRecord } from '../../align/ser/ser.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, required, str, UsageError, type OptionSpecs } from '../args.js';
import { loadWithTokenizer, readPreferenceSplit } from '../../align/trainer/inputs.js';

const specs: OptionSpecs = {
  model: { type: 'string', help: 'language model directory the reward model and the policy start from (with tokenizer.json)' },
  data: { type: 'string', help: 'preference file (.jsonl/.json/.parquet): {prompt, chosen, rejected}' },
  'eval-data': { type: 'string', help: 'labelled test file for RM accuracy (default: --eval-fraction of --data)' },
  'eval-fraction': { type: 'number', help: 'share of --data held out as the test split when --eval-data is not given', default: 0.1 },
  'seed-fraction': { type: 'number', help: 'share of the training pairs whose labels the seed RM sees; the rest are self-labelled', default: 0.15 },
  out: { type: 'string', help: 'run directory: metrics.jsonl, checkpoints/rm-<loop>, rm-final, policy', default: 'runs/ser' },
  'max-loops': { type: 'number', help: 'most self-labelling loops', default: 3 },
  'min-pairs': { type: 'number', help: 'fewer confident pairs than this moves status 1 → status 2 → stop', default: 4 },
  'max-per-loop': { type: 'number', help: 'most pairs kept per loop, most confident first (0: all)', default: 0 },
  criterion: { type: 'string', help: 'sigmoid-each (σ of each calibrated score vs --hi/--lo) or sigmoid-diff (σ(r₁ − r₂) ≥ --diff-threshold)', default: 'sigmoid-each' },
  hi: { type: 'number', help: 'status 1: the preferred response needs σ(r) above this', default: 0.55 },
  lo: { type: 'number', help: 'status 1: the other response needs σ(r) below this', default: 0.45 },
  'diff-threshold': { type: 'number', help: 'status 1 with sigmoid-diff: σ(|r₁ − r₂|) at least this', default: 0.7 },
  margin: { type: 'number', help: 'status 2: |Δ| at least this (σ space for sigmoid-each, calibrated scores for sigmoid-diff)', default: 0.3 },
  retrain: { type: 'string', help: 'each retrain starts from the base model (seed) or continues the previous RM (continue)', default: 'seed' },
  'policy-step': { type: 'string', help: 'dpo (on the pairs the evolved RM labels), ppo (against the evolved RM, normalised on reference samples) or none', default: 'dpo' },
  'rm-steps': { type: 'number', help: 'reward-model steps per (re)training', default: 200 },
  'batch-size': { type: 'number', help: 'preference pairs per step (RM and DPO)', default: 8 },
  lr: { type: 'number', help: 'reward-model peak learning rate', default: 3e-4 },
  'dpo-steps': { type: 'number', help: 'DPO steps', default: 200 },
  'dpo-lr': { type: 'number', help: 'DPO peak learning rate', default: 1e-4 },
  beta: { type: 'number', help: 'DPO β', default: 0.1 },
  'ppo-steps': { type: 'number', help: 'PPO rollout batches (--policy-step ppo)', default: 50 },
  'ppo-lr': { type: 'number', help: 'PPO peak learning rate', default: 1e-5 },
  'prompts-per-step': { type: 'number', help: 'PPO prompts per rollout batch', default: 16 },
  'max-new-tokens': { type: 'number', help: 'PPO completion length in tokens', default: 32 },
  'kl-coef': { type: 'number', help: 'PPO KL coefficient β', default: 0.1 },
  'max-len': { type: 'number', help: 'longest prompt + completion in tokens (0: the model\'s maximum)', default: 0 },
  seed: { type: 'number', help: 'seed of the splits, the data order and the hidden orientation of pool pairs', default: 0 },
  json: { type: 'boolean', help: 'print the per-loop results as one JSON object on stdout' },
  resume: { type: 'boolean', help: 'continue the run in --out from its last completed stage' },
  quiet: { type: 'boolean', help: 'no progress lines' },
};

const oneOf = <T extends string>(p: Record<string, unknown>, k: string, allowed: readonly T[]): T => {
  const v = p[k] as string;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${k} ${v}: expected ${allowed.join(' or ')}`);
  return v as T;
};

const fmt = (x: number | null): string => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(3));

export function formatSerTable(seedAcc: number, loops: readonly SerLoopRecord[]): string {
  const rows = [['loop', 'status', 'pool', 'selected', 'precision', 'pool acc', 'RM test acc'], ['seed', '', '', '', '', '', fmt(seedAcc)]];
  for (const l of loops) {
    rows.push([String(l.loop), l.status === null ? 'stop' : String(l.status), String(l.poolSize), String(l.selected), fmt(l.precision), fmt(l.poolAccuracy), fmt(l.testAccuracy)]);
  }
  const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  return rows.map((r) => r.map((x, j) => x.padStart(w[j]!)).join('  ')).join('\n');
}

export const serCommand: Command = {
  name: 'ser',
  summary: 'Self-Evolved Reward Learning: a seed RM on a labelled fraction self-labels the rest, then DPO or PPO',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('ser', this.summary, specs, [
        'alignkit ser --model runs/sft --data prefs.jsonl --seed-fraction 0.15 --out runs/ser',
        'alignkit ser --model runs/sft --data prefs.jsonl --criterion sigmoid-diff --retrain continue --resume',
      ]));
      return 0;
    }
    const modelDir = required(p, 'model', 'the language model directory the reward model and policy start from');
    const data = required(p, 'data', 'a preference file of {prompt, chosen, rejected} records');
    const out = str(p, 'out')!, seed = num(p, 'seed'), seedFraction = num(p, 'seed-fraction');
    if (!(seedFraction > 0 && seedFraction < 1)) throw new UsageError(`--seed-fraction ${seedFraction}: expected a number in (0, 1)`);
    const intFlags = ['max-loops', 'min-pairs', 'max-per-loop', 'rm-steps', 'dpo-steps', 'batch-size', 'max-len', 'ppo-steps', 'prompts-per-step', 'max-new-tokens'];
    for (const k of intFlags) if (!Number.isInteger(num(p, k)) || num(p, k) < 0) throw new UsageError(`--${k} ${num(p, k)}: expected a non-negative integer`);
    if (num(p, 'min-pairs') < 1) throw new UsageError(`--min-pairs ${num(p, 'min-pairs')}: expected at least 1`);
    const split = await readPreferenceSplit(data, str(p, 'eval-data'), num(p, 'eval-fraction'), seed);
    const { labelled, unlabelled } = serSplit(split.train, seedFraction, seed);
    if (split.eval.length === 0) throw new UsageError('no test pairs: give --eval-data or an --eval-fraction above 0, RM accuracy needs labelled held-out pairs');
    const { model, tokenizer } = loadWithTokenizer(modelDir, 'model');
    const config: SerConfigInput = {
      criterion: oneOf(p, 'criterion', ['sigmoid-each', 'sigmoid-diff'] as const),
      status1: { hi: num(p, 'hi'), lo: num(p, 'lo'), diffThreshold: num(p, 'diff-threshold') }, status2: { margin: num(p, 'margin') },
      minPairs: num(p, 'min-pairs'), maxPerLoop: num(p, 'max-per-loop'), maxLoops: num(p, 'max-loops'),
      retrain: oneOf(p, 'retrain', ['seed', 'continue'] as const), policyStep: oneOf(p, 'policy-step', ['dpo', 'ppo', 'none'] as const),
      rm: { steps: num(p, 'rm-steps'), batchSize: num(p, 'batch-size'), lr: num(p, 'lr'), maxLen: num(p, 'max-len'), seed },
      dpo: { steps: num(p, 'dpo-steps'), batchSize: num(p, 'batch-size'), lr: num(p, 'dpo-lr'), beta: num(p, 'beta'), maxLen: num(p, 'max-len'), seed },
      ppo: { steps: num(p, 'ppo-steps'), lr: num(p, 'ppo-lr'), promptsPerStep: num(p, 'prompts-per-step'), maxNewTokens: num(p, 'max-new-tokens'), klCoef: num(p, 'kl-coef'), seed },
    };
    const runConfig = { command: 'ser', model: modelDir, data, evalData: str(p, 'eval-data') ?? null, evalFraction: num(p, 'eval-fraction'), seedFraction, seed, ...config };
    const store = RunStore.open(out, runConfig, { resume: flag(p, 'resume'), resumeMayChange: ['maxLoops'] });
    const quiet = flag(p, 'quiet'), json = flag(p, 'json');
    const log = (s: string) => { if (!quiet) console.error(`ser: ${s}`); };
    try {
      if (store.resumed) log(`resuming ${out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
      log(`${labelled.length} labelled + ${unlabelled.length} unlabelled (labels hidden) training pairs, ${split.eval.length} test pairs from ${data}`);
      const res = await runSer({ model, tokenizer, labelled, unlabelled, test: split.eval, config, store, log, quiet });
      const finalStage = `ser/final-rm/loops-${res.loops.length}`;
      if (!store.isDone(finalStage)) {
        store.saveCheckpoint('rm-final', (d) => saveModelDir(d, res.rm, { tokenizer }));
        store.completeStage(finalStage, { loops: res.loops.length });
      }
      if (json) {
        console.log(JSON.stringify({ seedTestAccuracy: res.seedTestAccuracy, loops: res.loops, stopReason: res.stopReason, dpoEval: res.dpoEval, ppo: res.ppo, out }));
      } else {
        console.log(`\n${formatSerTable(res.seedTestAccuracy, res.loops)}\n\nstopped: ${res.stopReason}. Evolved RM in ${store.checkpointPath('rm-final')}` +
          (res.policy ? `; policy (${res.ppo ? `PPO, ${res.ppo.steps} steps against the evolved RM` : `DPO on ${res.policyPairs} RM-labelled pairs`}) in ${store.checkpointPath('policy')}` : ''));
      }
    } finally {
      store.close();
    }
    return 0;
  },
};
