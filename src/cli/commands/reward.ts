// `alignkit reward`: a reward model from pairwise preferences. Starts from a language model
// directory, trains its `score` head and trunk with the Bradley–Terry loss, optionally rescales
// it so that samples of the reference policy score mean 0 and std 1, and leaves the result in
// <out>/checkpoints/final (a model directory that `alignkit dpo`, PPO and loadModelDir read).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generate, loadModelDir, saveModelDir, type Transformer } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { splitDataset } from '../../data/split-dataset.js';
import { RunStore } from '../../runs/run-store.js';
import { normalizeRewards, trainRewardModel, type RewardNormalization } from '../../align/reward/reward-model.js';
import { finite } from '../../align/trainer/checkpoint.js';
import type { PreferencePair } from '../../align/trainer/preference-data.js';
import { loadWithTokenizer, readPreferenceSplit } from '../../align/trainer/inputs.js';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, required, str, UsageError, type OptionSpecs } from '../args.js';

const specs: OptionSpecs = {
  model: { type: 'string', help: 'language model directory the reward model starts from (with tokenizer.json)' },
  data: { type: 'string', help: 'preference file (.jsonl/.json/.parquet): {prompt, chosen, rejected}, strings or message lists' },
  'eval-data': { type: 'string', help: 'held-out preference file (default: --eval-fraction of --data)' },
  'eval-fraction': { type: 'number', help: 'share of --data held out when --eval-data is not given', default: 0.05 },
  out: { type: 'string', help: 'run directory: metrics.jsonl, checkpoints/step-N, checkpoints/final', default: 'runs/reward' },
  steps: { type: 'number', help: 'optimizer steps', default: 200 },
  'batch-size': { type: 'number', help: 'preference pairs per step', default: 8 },
  lr: { type: 'number', help: 'peak learning rate', default: 3e-4 },
  warmup: { type: 'number', help: 'warm-up steps', default: 10 },
  margin: { type: 'number', help: 'm in −log σ(r⁺ − r⁻ − m) (Llama 2), the same for every pair', default: 0 },
  'max-len': { type: 'number', help: 'longest prompt + completion in tokens (0: the model\'s maximum)', default: 0 },
  'eval-every': { type: 'number', help: 'held-out accuracy every N steps', default: 50 },
  'save-every': { type: 'number', help: 'checkpoint (and resume point) every N steps', default: 100 },
  normalize: { type: 'number', help: 'samples from the reference policy that set the reward scale to mean 0, std 1 (0: off)', default: 64 },
  policy: { type: 'string', help: 'reference policy sampled for --normalize (default: --model)' },
  'normalize-tokens': { type: 'number', help: 'most tokens per normalisation sample', default: 48 },
  seed: { type: 'number', help: 'seed of the data order, the held-out split and the normalisation samples', default: 0 },
  resume: { type: 'boolean', help: 'continue the run in --out from its last checkpoint' },
  quiet: { type: 'boolean', help: 'no progress display' },
};

/** `n` completions of the training prompts (cycled) sampled from the reference policy. */
function referenceSamples(policy: Transformer, tok: Tokenizer, pairs: readonly PreferencePair[], n: number, maxNewTokens: number, seed: number) {
  const prompts = [...new Set(pairs.map((p) => p.prompt))];
  const chosen = Array.from({ length: n }, (_, i) => prompts[i % prompts.length]!);
  const room = policy.config.maxSeqLen - maxNewTokens;
  if (room < 1) throw new UsageError(`--normalize-tokens ${maxNewTokens} leaves no room for a prompt in the policy's ${policy.config.maxSeqLen} positions`);
  const ids = chosen.map((t) => {
    const e = tok.encode(t, { parseSpecial: false });
    return e.length ? e.slice(-room) : [tok.bos ?? tok.eos ?? 0];
  });
  const samples = generate(policy, ids, { maxNewTokens, temperature: 1, seed, stopTokens: tok.eos !== null ? [tok.eos] : [], tokenizer: tok, batchSize: 32 });
  return samples.map((s) => ({ prompt: chosen[s.promptIndex]!, completion: s.text ?? tok.decode(s.tokens, { skipSpecial: true }) }));
}

export const rewardCommand: Command = {
  name: 'reward',
  summary: 'train a reward model on preference pairs (Bradley–Terry)',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('reward', this.summary, specs, [
        'alignkit reward --model runs/sft --data prefs.jsonl --out runs/rm',
        'alignkit reward --model runs/sft --data prefs.jsonl --out runs/rm --steps 400 --resume',
      ]));
      return 0;
    }
    const modelDir = required(p, 'model', 'the language model directory the reward model starts from');
    const data = required(p, 'data', 'a preference file of {prompt, chosen, rejected} records');
    const out = str(p, 'out')!, seed = num(p, 'seed'), nNorm = num(p, 'normalize');
    if (!Number.isInteger(nNorm) || nNorm < 0 || nNorm === 1) throw new UsageError(`--normalize ${nNorm}: expected 0 (off) or an integer ≥ 2`);
    const split = await readPreferenceSplit(data, str(p, 'eval-data'), num(p, 'eval-fraction'), seed);
    const { model, tokenizer } = loadWithTokenizer(modelDir, 'model');
    const policyDir = str(p, 'policy');
    if (policyDir && !existsSync(join(policyDir, 'config.json'))) throw new UsageError(`--policy ${policyDir}: no config.json; expected a model directory to sample the reference policy from`);
    const config = {
      steps: num(p, 'steps'), batchSize: num(p, 'batch-size'), lr: num(p, 'lr'), warmupSteps: num(p, 'warmup'), margin: num(p, 'margin'),
      maxLen: num(p, 'max-len'), evalEvery: num(p, 'eval-every'), saveEvery: num(p, 'save-every'), seed,
    };
    const runConfig = {
      command: 'reward', model: modelDir, data, evalData: str(p, 'eval-data') ?? null, evalFraction: num(p, 'eval-fraction'),
      normalize: nNorm, policy: policyDir ?? null, normalizeTokens: num(p, 'normalize-tokens'), ...config,
    };
    const store = RunStore.open(out, runConfig, { resume: flag(p, 'resume'), resumeMayChange: ['steps'] });
    // Named by the step count, so that a resume with more --steps writes a new final model.
    const finalStage = `final/step-${config.steps}`;
    try {
      if (store.resumed) console.error(`reward: resuming ${out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
      console.error(`reward: ${split.train.length} training / ${split.eval.length} held-out pairs from ${data}; ${model.config.family} from ${modelDir}`);
      const res = await trainRewardModel({ model, tokenizer, train: split.train, eval: split.eval, config, store, quiet: flag(p, 'quiet') });
      if (res.truncated) console.error(`reward: ${res.truncated} training pairs lost the start of their prompt to fit ${config.maxLen || model.config.maxSeqLen} tokens`);
      if (!store.isDone(finalStage)) {
        let norm: RewardNormalization | null = null;
        if (nNorm) {
          // Read from disk: the reward model has trained its copy of --model in place.
          const policy = loadWithTokenizer(policyDir ?? modelDir, policyDir ? 'policy' : 'model');
          norm = normalizeRewards(model, tokenizer, referenceSamples(policy.model, policy.tokenizer, split.train, nNorm, num(p, 'normalize-tokens'), seed + 1));
        }
        const metadata = { 'alignkit.reward_normalization': JSON.stringify(norm) };
        store.saveCheckpoint('final', (d) => saveModelDir(d, model, { tokenizer, metadata }));
        store.completeStage(finalStage, finite({ step: res.step, evalAccuracy: res.evalAccuracy ?? undefined, rewardMean: norm?.mean, rewardStd: norm?.std }));
      }
      const fin = store.stageResult<{ evalAccuracy?: number; rewardMean?: number; rewardStd?: number }>(finalStage);
      const acc = fin.evalAccuracy !== undefined ? `held-out accuracy ${fin.evalAccuracy.toFixed(3)}` : 'no held-out pairs';
      const scale = fin.rewardStd !== undefined ? `; rewards normalised (reference samples had mean ${fin.rewardMean!.toFixed(4)}, std ${fin.rewardStd.toFixed(4)})` : '';
      console.log(`reward: done, step ${res.step}, ${acc}${scale}; reward model in ${store.checkpointPath('final')}`);
    } finally {
      store.close();
    }
    return 0;
  },
};
