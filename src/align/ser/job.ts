// `alignkit ser` as one library call (Self-Evolved Reward Learning, Huang et al. 2024): a language
// model directory and a preference file in; a seeded --seed-fraction of the training pairs keeps
// its labels, the rest become the unlabelled pool (labels hidden from training, used only to
// measure pseudo-label precision). Out: the evolved reward model in <out>/model, the per-loop RMs
// in <out>/checkpoints/rm-<loop>, the policy (DPO or PPO) in <out>/checkpoints/policy.
//
// The flags are flat, as the command always had them; each is the trainer's own declared option
// (so its default, limits and help are the trainer's), mapped onto serConfig's groups by serInput.
import {
  declareConfig, num, optionalText, requiredText, type ConfigOf, type Overrides,
} from '../../config/index.js';
import { resolveModelOptions } from '../../hub/index.js';
import { saveModelDir } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { dpoConfig } from '../dpo/config.js';
import type { DpoEval } from '../dpo/dpo.js';
import { rewardModelConfig } from '../reward/config.js';
import { loadTrainable, checkpointingOptions, loraOptions, loraRunConfig } from '../trainer/lora-options.js';
import { checkJudgeInputs, judgeOptions, judgeSource } from '../judge/options.js';
import { readPairsOrJudge } from '../judge/judged-pairs.js';
import { hubOf, noLog, runOptions, type JobHooks } from '../trainer/job.js';
import { generatorOptions, generatorSyncOptions, onlineGenerator } from '../trainer/generator/options.js';
import { serConfig, serPpoConfig, type SerConfigInput } from './config.js';
import { serSplit } from './pool.js';
import { runSer, type SerLoopRecord, type SerPpoSummary } from './ser.js';

const ser = serConfig.options, rm = rewardModelConfig.options, dpo = dpoConfig.options, ppo = serPpoConfig.options;

export const serJobOptions = declareConfig('ser', {
  model: requiredText('language model directory the reward model and the policy start from (with its tokenizer)', 'the language model directory the reward model and policy start from', { aliases: ['model_name_or_path'], hub: 'model' }),
  data: requiredText('preference file (.jsonl/.json/.parquet): {prompt, chosen, rejected}', 'a preference file of {prompt, chosen, rejected} records', { hub: 'dataset' }),
  evalData: optionalText('labelled test file for RM accuracy (default: --eval-fraction of --data)', { hub: 'dataset' }),
  evalFraction: num(0.1, 'share of --data held out as the test split when --eval-data is not given', { min: 0, lt: 1 }),
  seedFraction: num(0.15, 'share of the training pairs whose labels the seed RM sees; the rest are self-labelled', { gt: 0, lt: 1 }),
  ...judgeOptions,
  ...runOptions('runs/ser'),
  ...loraOptions.options,
  ...checkpointingOptions.options,
  maxLoops: ser.maxLoops,
  minPairs: ser.minPairs,
  maxPerLoop: ser.maxPerLoop,
  criterion: ser.criterion,
  hi: ser.status1.config.options.hi,
  lo: ser.status1.config.options.lo,
  diffThreshold: ser.status1.config.options.diffThreshold,
  margin: ser.status2.config.options.margin,
  retrain: ser.retrain,
  policyStep: ser.policyStep,
  rmSteps: rm.steps,
  /** The reward model's declaration; the value also sets DPO's batch (both default to 8). */
  batchSize: rm.batchSize,
  lr: rm.lr,
  dpoSteps: dpo.steps,
  dpoLr: dpo.lr,
  beta: dpo.beta,
  ppoSteps: ppo.steps,
  ppoLr: ppo.lr,
  promptsPerStep: ppo.promptsPerStep,
  maxNewTokens: ppo.maxNewTokens,
  klCoef: ppo.klCoef,
  /** The reward model's declaration; the value also bounds DPO's pairs. */
  maxLen: rm.maxLen,
  /** The reward model's declaration; the value seeds the splits, the RM, DPO and PPO alike. */
  seed: rm.seed,
  ...generatorOptions,
  ...generatorSyncOptions,
}, (v) => { checkJudgeInputs('ser', v); serConfig.resolve(serInput(v)); });

export type SerJobOptions = ConfigOf<typeof serJobOptions>;

/** The flat flags as serConfig's nested input. */
export function serInput(o: SerJobOptions): SerConfigInput {
  return {
    criterion: o.criterion, status1: { hi: o.hi, lo: o.lo, diffThreshold: o.diffThreshold }, status2: { margin: o.margin },
    minPairs: o.minPairs, maxPerLoop: o.maxPerLoop, maxLoops: o.maxLoops, retrain: o.retrain, policyStep: o.policyStep,
    rm: { steps: o.rmSteps, batchSize: o.batchSize, lr: o.lr, maxLen: o.maxLen, seed: o.seed },
    dpo: { steps: o.dpoSteps, batchSize: o.batchSize, lr: o.dpoLr, beta: o.beta, maxLen: o.maxLen, seed: o.seed },
    ppo: { steps: o.ppoSteps, lr: o.ppoLr, promptsPerStep: o.promptsPerStep, maxNewTokens: o.maxNewTokens, klCoef: o.klCoef, seed: o.seed },
  };
}

export interface SerJobResult {
  /** The run directory, the evolved reward model in it, and the policy (null with --policy-step none). */
  out: string;
  model: string;
  policy: string | null;
  seedTestAccuracy: number;
  loops: SerLoopRecord[];
  stopReason: string;
  dpoEval: DpoEval | null;
  ppo: SerPpoSummary | null;
  /** Pairs DPO trained on (0 without DPO). */
  policyPairs: number;
  labelled: number;
  unlabelled: number;
  testPairs: number;
}

export async function runSerJob(options: Overrides<typeof serJobOptions.options>, hooks: JobHooks = {}): Promise<SerJobResult> {
  const o = await resolveModelOptions(serJobOptions.options, serJobOptions.resolve(options), hooks);
  const log = hooks.log ?? noLog;
  const config = serConfig.resolve(serInput(o));
  const generator = onlineGenerator(o, o.out, log);
  const split = await readPairsOrJudge(o, undefined, hubOf(o, hooks));
  if (split.eval.length === 0) throw new Error('no test pairs: give --eval-data or an --eval-fraction above 0; RM accuracy needs labelled held-out pairs');
  const { labelled, unlabelled } = serSplit(split.train, o.seedFraction, o.seed);
  const { model, tokenizer } = loadTrainable(o.model, o, 'model', o.seed);
  const runConfig = { command: 'ser', model: o.model, data: o.data, evalData: o.evalData ?? null, evalFraction: o.evalFraction, seedFraction: o.seedFraction, seed: o.seed, ...loraRunConfig(o), ...(o.judge ? { judge: judgeSource(o) } : {}), ...config };
  const store = RunStore.open(o.out, runConfig, { resume: o.resume, reportTo: o.reportTo, resumeMayChange: ['maxLoops'] });
  try {
    if (store.resumed) log(`resuming ${o.out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
    split.save(o.out);
    for (const n of split.notes) log(n);
    log(`${labelled.length} labelled + ${unlabelled.length} unlabelled (labels hidden) training pairs, ${split.eval.length} test pairs from ${o.data}`);
    const res = await runSer({ model, tokenizer, labelled, unlabelled, test: split.eval, config, store, log, quiet: o.quiet, ...generator });
    // Named by the loop count, so that a resume with more --max-loops writes the newer RM.
    await store.stage(`ser/final-rm/loops-${res.loops.length}`, () => {
      store.saveModel((d) => saveModelDir(d, res.rm, { tokenizer }));
      return { loops: res.loops.length };
    });
    return {
      out: o.out, model: store.modelPath, policy: res.policy ? store.checkpointPath('policy') : null,
      seedTestAccuracy: res.seedTestAccuracy, loops: res.loops, stopReason: res.stopReason, dpoEval: res.dpoEval, ppo: res.ppo,
      policyPairs: res.policyPairs, labelled: labelled.length, unlabelled: unlabelled.length, testPairs: split.eval.length,
    };
  } finally {
    store.close();
  }
}
