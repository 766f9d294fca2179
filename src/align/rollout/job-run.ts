// What `alignkit ppo`, `grpo` and `rloo` do alike once their inputs are read: open the run (a
// resume may change `steps` only, to extend a finished run), train, and leave the final policy in
// <out>/model; the blocks' checkpoints, samples and metrics are beside it (store.ts).
import { saveModelDir } from '../../model/index.js';
import { RunStore, type ReportTarget } from '../../runs/run-store.js';
import { finite } from '../trainer/checkpoint.js';
import { noLog, type JobHooks } from '../trainer/job.js';
import type { OnlineSetup } from './job-inputs.js';

export interface OnlineJobResult {
  /** The run directory and the trained policy in it. */
  out: string;
  model: string;
  step: number;
  /** The last step's headline metrics (score, kl, …); null when no step ran in this run. */
  last: Record<string, number> | null;
  prompts: number;
}

export interface OnlineJob<L> {
  /** The trainer: ppo, grpo or rloo. */
  name: string;
  out: string;
  resume: boolean;
  reportTo: ReportTarget;
  setup: OnlineSetup;
  /** What the run's config.json holds beside the inputs: the trainer's config and its own choices (PPO's critic). */
  config: Record<string, unknown>;
  train(store: RunStore): Promise<{ logs: L[]; step: number }>;
  /** The few metrics of a step that the result reports. */
  headline(log: L): Record<string, number>;
}

export async function runOnlineJob<L>(job: OnlineJob<L>, hooks: JobHooks = {}): Promise<OnlineJobResult> {
  const log = hooks.log ?? noLog;
  const { setup } = job, src = setup.sources;
  const store = RunStore.open(job.out, { command: job.name, ...src, ...job.config }, { resume: job.resume, reportTo: job.reportTo, resumeMayChange: ['steps'] });
  try {
    if (store.resumed) log(`resuming ${job.out} (done: ${store.completedStages().join(', ') || 'nothing'})`);
    const nParams = setup.policy.parameters().reduce((n, t) => n + t.size, 0);
    log(`${setup.prompts.length} prompts, policy ${src.model} (${(nParams / 1e6).toFixed(2)}M parameters), reward ${[src.task, src.verifier, ...(src.rewardFn ?? []).map((f) => f.path), src.rewardModel, src.judge ? `judge ${String(src.judge['url'])}` : null].filter(Boolean).join(' + ')}`);
    for (const note of setup.notes) log(note);
    const res = await job.train(store);
    const last = res.logs.at(-1);
    // Named by the step count, so that a resume with more steps writes a new final model; a
    // resume of a finished run reads the headline back from the stage.
    const fin = await store.stage(`final/step-${res.step}`, () => {
      store.saveModel((d) => saveModelDir(d, setup.policy, { tokenizer: setup.tokenizer }));
      return { step: res.step, ...(last ? finite(job.headline(last)) : {}) };
    });
    const { step: _step, ...headline } = fin;
    return { out: job.out, model: store.modelPath, step: res.step, last: Object.keys(headline).length ? headline : null, prompts: setup.prompts.length };
  } finally {
    store.close();
  }
}

/** "score 0.1250, kl 0.0031": a result's headline as the commands print it. */
export function describeLast(last: Record<string, number> | null): string {
  return last ? Object.entries(last).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ') : 'no step ran';
}
