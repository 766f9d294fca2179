// `alignkit eval` as one library call, in the mode its inputs choose (one declaration for all):
//   --corpus or --data      held-out loss and perplexity (sft/perplexity.ts);
//   --task                  the policy on the task's test problems: greedy pass@1, pass@k from n
//                           samples, maj@k, mean reward (ReST-EM's evaluation, Singh et al. 2023
//                           §4), and with --reward-model the reward model's mean score as well;
//   --reward-model alone    the reward model's scores of the policy's completions of held-out
//                           prompts (--prompts).
// The last two write every generation, with its verdict and score, to <out>/generations.jsonl and
// the figures to <out>/scores.json (generations.ts).
import { ConfigError, bool, choice, declareConfig, int, num, optionalNum, optionalText, text, type ConfigOf, type Overrides } from '../../config/index.js';
import { textSourceOptions } from '../../data/text-source.js';
import { taskInputOptions } from '../../data/tasks/task-input.js';
import { perplexityOptions, runPerplexity, type PerplexityResult } from '../sft/perplexity.js';
import { resolveModelOptions } from '../../hub/index.js';
import { noLog, type JobHooks } from '../trainer/job.js';
import { evaluateGenerations, type GenerationScores } from './generations.js';
import { generatorOptions } from '../trainer/generator/options.js';

const { model, all, seqLen, batchSize, chatTemplateKwargs } = perplexityOptions.options;

export const evalJobOptions = declareConfig('eval', {
  model,
  ...textSourceOptions({
    corpus: 'perplexity mode: a built-in corpus (its held-out split is used)',
    data: 'perplexity mode: a dataset file of text, prompt/completion or messages (its held-out split unless --all)',
  }),
  all,
  seqLen,
  chatTemplateKwargs,
  ...taskInputOptions(undefined),
  rewardModel: optionalText("reward model directory: its mean score of the policy's completions (of --prompts, or of the task's test problems)", { aliases: ['reward_model_path'], hub: 'model' }),
  prompts: optionalText('held-out prompt file (.jsonl/.json/.parquet of {prompt}) for --reward-model without --task', { hub: 'dataset' }),
  split: choice(['test', 'train'] as const, 'test', "which of the task's problems to evaluate"),
  limit: optionalNum('evaluate at most the first N problems or prompts', { integer: true, min: 1 }),
  k: int(4, 'k of pass@k and maj@k (0: greedy decoding only)', { min: 0, aliases: ['eval_k'] }),
  n: optionalNum('samples per problem for pass@k, at least k (default: 2·k)', { integer: true, min: 1 }),
  /** ReST-EM's sampling settings (temperature 0.7, top-k 40). */
  temperature: num(0.7, 'temperature of the n samples (greedy pass@1 decodes at 0)', { gt: 0 }),
  topK: int(40, 'top-k of the n samples (0: none)', { min: 0, aliases: ['top_k'] }),
  maxNewTokens: int(128, 'longest completion in tokens', { min: 1, aliases: ['max_new_tokens', 'max_completion_length'] }),
  batchSize,
  seed: int(0, "seed of a dataset file's held-out split (perplexity) and of the samples", { min: 0 }),
  ...generatorOptions,
  out: text('runs/eval', 'folder for generations.jsonl (every completion, its verdict and score) and scores.json; not used for perplexity', { aliases: ['output_dir'] }),
  quiet: bool(false, 'no progress lines'),
}, checkEvalInputs);

export type EvalJobOptions = ConfigOf<typeof evalJobOptions>;

/** Which mode the inputs ask for; inputs of two modes at once, or of none, are an error naming them. */
function checkEvalInputs(c: { corpus?: string | undefined; data?: string | undefined; task?: string | undefined; rewardModel?: string | undefined; prompts?: string | undefined; k: number; n?: number | undefined }): void {
  const text = c.corpus !== undefined || c.data !== undefined, generated = c.task !== undefined || c.rewardModel !== undefined;
  if (!text && !generated) throw new ConfigError('eval config: give corpus or data (perplexity), task (pass@k on its problems) or rewardModel with prompts (reward-model scores)', 'corpus');
  if (text && generated) throw new ConfigError(`eval config: ${c.corpus !== undefined ? 'corpus' : 'data'} is for perplexity and ${c.task !== undefined ? 'task' : 'rewardModel'} for generations; give one mode's inputs`, 'task');
  if (c.corpus !== undefined && c.data !== undefined) throw new ConfigError('eval config: give corpus or data, not both', 'data');
  if (c.rewardModel !== undefined && c.task === undefined && c.prompts === undefined) throw new ConfigError('eval config: rewardModel without task needs prompts <file>: the held-out prompts to complete and score', 'prompts');
  if (c.prompts !== undefined && c.task !== undefined) throw new ConfigError("eval config: prompts is for rewardModel alone; with task, its problems are the prompts", 'prompts');
  if (c.task !== undefined && c.n !== undefined && c.k > c.n) throw new ConfigError(`eval config: k = ${c.k} exceeds n = ${c.n}`, 'k');
}

export type EvalJobResult = ({ mode: 'perplexity' } & PerplexityResult) | GenerationScores;

export async function runEvalJob(options: Overrides<typeof evalJobOptions.options>, hooks: JobHooks = {}): Promise<EvalJobResult> {
  const o = await resolveModelOptions(evalJobOptions.options, evalJobOptions.resolve(options), hooks);
  if (o.corpus !== undefined || o.data !== undefined) {
    const { model: m, corpus, data, all: everything, seqLen: T, batchSize: B, seed, chatTemplateKwargs: kwargs } = o;
    return { mode: 'perplexity', ...(await runPerplexity({ model: m, corpus, data, all: everything, seqLen: T, batchSize: B, seed, chatTemplateKwargs: kwargs }, hooks)) };
  }
  return evaluateGenerations(o, hooks.log ?? noLog);
}
