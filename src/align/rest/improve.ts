// One ReST Improve step (Gulcehre et al. 2023, Algorithm 1, inner loop): fine-tune the current
// policy on the samples the threshold kept, with an offline loss (losses/offline.ts), "while the
// reward improves on D_eval" — validation reward every few steps, the best weights kept, the
// starting weights included, so a step that only hurts leaves the policy as it was.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { embedding, exp, reshape } from '../../ops/index.js';
import { AdamW, clipGradNorm, learningRate, linear, normalParam, zerosParam } from '../../nn/index.js';
import { Rng, Tensor } from '../../tensor/index.js';
import type { Transformer } from '../../model/index.js';
import { readSafetensors, writeSafetensors } from '../../io/safetensors.js';
import { ExampleOrder } from '../../data/lm-examples.js';
import { Progress } from '../../io/progress.js';
import { tokenLogprobs, type TokenLogprobs } from '../trainer/logprobs.js';
import { guardedStep, lossesOf } from '../trainer/guard.js';
import { scheduleOf } from '../trainer/optimizer-options.js';
import type { ImproveConfig, RestLoss } from './config.js';
import { bcLoss, bvmpoLoss, goldLoss, oacLoss, type RestLossOutput } from '../losses/offline.js';

export { REST_LOSSES, defaultImproveConfig, resolveImproveConfig, type ImproveConfig, type RestLoss } from './config.js';

/** Whether the loss reads the behaviour policy's log-probabilities and a learned value. */
export const needsCritic = (loss: RestLoss): boolean => loss === 'bvmpo' || loss === 'oac';

/** One kept sample, tokenised: the completion ends with EOS when the tokenizer has one (as SFT's). */
export interface ImproveExample {
  prompt: number[];
  completion: number[];
  /** Normalised reward in [0, 1]. */
  reward: number;
  /** log π_b of each completion token at temperature 1 (bvmpo, oac). */
  behaviour?: number[];
}

const CRITIC_FILE = 'critic.safetensors';

/**
 * The learned state value V(x) (a linear head on the policy's hidden state at the prompt's last
 * token, read without letting its gradient into the language model) and V-MPO's η and α, kept
 * as logarithms so that they stay positive.
 */
export class RestCritic {
  constructor(readonly w: Tensor, readonly b: Tensor, readonly logEta: Tensor, readonly logAlpha: Tensor) {}

  static fresh(dModel: number, seed: number): RestCritic {
    const p = (t: Tensor, name: string) => { t.name = name; return t; };
    return new RestCritic(p(normalParam([1, dModel], 1 / Math.sqrt(dModel), new Rng(seed)), 'value.weight'), p(zerosParam([1]), 'value.bias'),
      p(zerosParam([1]), 'log_eta'), p(zerosParam([1]), 'log_alpha'));
  }

  named(): [string, Tensor][] {
    return [['value.weight', this.w], ['value.bias', this.b], ['log_eta', this.logEta], ['log_alpha', this.logAlpha]];
  }

  clone(): RestCritic {
    const c = (t: Tensor, name: string) => { const u = new Tensor(t.f32.slice(), t.shape, true); u.name = name; return u; };
    return new RestCritic(c(this.w, 'value.weight'), c(this.b, 'value.bias'), c(this.logEta, 'log_eta'), c(this.logAlpha, 'log_alpha'));
  }

  /** V(x) for each row: hidden (B, T, C) read at start[b], the position of the last prompt token → (B). */
  values(hidden: Tensor, start: readonly number[]): Tensor {
    const [B, T, C] = hidden.shape as [number, number, number];
    const rows = new Tensor(Int32Array.from(start, (s, b) => b * T + s), [B]);
    const picked = embedding(reshape(hidden.detach(), [B * T, C]), rows); // (B, C)
    return reshape(linear(picked, this.w, this.b, 'out-in'), [B]); // (B)
  }

  save(dir: string): void {
    writeSafetensors(join(dir, CRITIC_FILE), new Map(this.named().map(([k, t]) => [k, { shape: t.shape, data: t.f32 }])), { format: 'pt' });
  }

  /** The critic saved beside a checkpoint, or null when it has none (a policy no critic trained yet). */
  static load(dir: string): RestCritic | null {
    const file = join(dir, CRITIC_FILE);
    if (!existsSync(file)) return null;
    const { tensors } = readSafetensors(file);
    const get = (k: string) => {
      const t = tensors.get(k);
      if (!t) throw new Error(`${file}: no tensor "${k}"; expected value.weight, value.bias, log_eta, log_alpha`);
      const u = new Tensor(Float32Array.from(t.data), t.shape, true);
      u.name = k;
      return u;
    };
    return new RestCritic(get('value.weight'), get('value.bias'), get('log_eta'), get('log_alpha'));
  }
}

export interface ImproveLog {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Validation reward, on the steps that measured it. */
  validation?: number;
  [stat: string]: number | undefined;
}

export interface ImproveOptions {
  /** Trained in place; the result's model is the best weights seen (possibly these, untouched). */
  model: Transformer;
  /** Required by bvmpo and oac. */
  critic?: RestCritic | null;
  data: readonly ImproveExample[];
  config: ImproveConfig;
  padId: number;
  /** Seeds the data order. */
  seed: number;
  /** Mean validation reward of a policy (greedy decoding of held-out prompts). */
  validate: (model: Transformer) => Promise<number>;
  /** Validation reward of the starting weights; a step must beat it to replace them (null: the best step wins). */
  baseline: number | null;
  onLog?: (log: ImproveLog) => void;
  quiet?: boolean;
  label?: string;
}

export interface ImproveResult {
  model: Transformer;
  critic: RestCritic | null;
  /** Steps run, the step whose weights were kept (0: the starting weights) and its validation reward. */
  steps: number;
  bestStep: number;
  best: number | null;
  logs: ImproveLog[];
}

/** Per-token values of each row's completion, placed in the (B, T) layout of `t` (0 elsewhere). */
function placeCompletions(rows: readonly (readonly number[])[], t: TokenLogprobs): Tensor {
  const out = new Float32Array(t.B * t.T);
  rows.forEach((r, b) => {
    if (r.length !== t.length[b]) throw new RangeError(`rest improve: row ${b} has ${r.length} behaviour log-probabilities for ${t.length[b]} completion tokens`);
    out.set(r, b * t.T + t.start[b]!);
  });
  return new Tensor(out, [t.B, t.T]);
}

export function improveSteps(c: ImproveConfig, examples: number): number {
  return Math.min(c.maxSteps, Math.max(1, Math.ceil((c.epochs * examples) / c.batchSize)));
}

/** What one Improve update needs besides its batch. */
interface UpdateContext {
  o: ImproveOptions;
  model: Transformer;
  critic: RestCritic | null;
  opt: AdamW;
  criticOpt: AdamW | null;
  steps: number;
}

/** One update of the policy (and of the critic, for bvmpo and oac) on `batch`; its log, before validation. */
function improveUpdate(u: UpdateContext, batch: readonly ImproveExample[], step: number): ImproveLog {
  const c = u.o.config, { model, critic } = u;
  const t = tokenLogprobs(model, batch, 1, u.o.padId);
  const mask = new Tensor(t.mask, [t.B, t.T]);
  const rewards = batch.map((e) => e.reward);
  let out: RestLossOutput;
  if (c.loss === 'bc') out = bcLoss(t.logp, mask);
  else if (c.loss === 'gold') out = goldLoss(t.logp, mask, rewards, { minWeight: c.goldMinWeight });
  else {
    const behaviour = placeCompletions(batch.map((e) => e.behaviour!), t);
    const values = critic!.values(t.hidden, t.start);
    out = c.loss === 'oac'
      ? oacLoss(t.logp, behaviour, mask, rewards, values, { ratioClip: c.oacRatioClip, valueCoef: c.valueCoef, bcCoef: c.oacBcCoef })
      : bvmpoLoss(t.logp, behaviour, mask, rewards, values, exp(critic!.logEta), exp(critic!.logAlpha),
        { epsEta: c.bvmpoEpsEta, epsAlpha: c.bvmpoEpsAlpha, topFraction: c.bvmpoTopFraction, valueCoef: c.valueCoef });
  }
  out.loss.backward();
  const gradNorm = clipGradNorm(model.parameters(), c.gradClip);
  const lr = learningRate(step - 1, scheduleOf(c, u.steps));
  u.opt.update(lr);
  u.opt.zeroGrad();
  if (critic && u.criticOpt) {
    clipGradNorm(critic.named().map(([, p]) => p), c.gradClip);
    u.criticOpt.update(c.criticLr);
    u.criticOpt.zeroGrad();
  }
  return { step, loss: out.loss.item(), lr, gradNorm, ...out.stats };
}

export async function improvePolicy(o: ImproveOptions): Promise<ImproveResult> {
  const c = o.config, { model, data } = o;
  const critic = needsCritic(c.loss) ? o.critic ?? null : null;
  if (needsCritic(c.loss) && !critic) throw new Error(`rest improve: loss ${c.loss} needs a critic (RestCritic)`);
  if (needsCritic(c.loss)) data.forEach((e, i) => { if (!e.behaviour) throw new Error(`rest improve: loss ${c.loss} needs behaviour log-probabilities; example ${i} has none`); });
  const logs: ImproveLog[] = [];
  let best = o.baseline, bestStep = 0;
  let bestModel = o.baseline === null ? model : model.clone(), bestCritic = critic?.clone() ?? null;
  if (data.length === 0) return { model: bestModel, critic: bestCritic, steps: 0, bestStep: 0, best, logs };

  const steps = improveSteps(c, data.length);
  const opt = new AdamW(model.namedParameters(), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay });
  const criticOpt = critic ? new AdamW(critic.named(), { lr: c.criticLr, weightDecay: 0 }) : null;
  const order = new ExampleOrder(data.length, o.seed);
  const progress = new Progress({ label: o.label ?? `improve (${c.loss})`, total: steps, quiet: o.quiet });
  let stale = 0, ran = 0;
  const update = (step: number) => improveUpdate({ o, model, critic, opt, criticOpt, steps }, order.next(c.batchSize).map((i) => data[i]!), step);
  for (let step = 1; step <= steps; step++) {
    const log = await guardedStep({ who: `rest improve (${c.loss})`, step, lastGood: 'that of the last completed stage' }, () => update(step), lossesOf);
    ran = step;
    if (step % c.evalEvery === 0 || step === steps) {
      const v = await o.validate(model);
      log.validation = v;
      if (best === null || v > best) {
        best = v;
        bestStep = step;
        bestModel = model.clone();
        bestCritic = critic?.clone() ?? null;
        stale = 0;
      } else stale++;
    }
    logs.push(log);
    o.onLog?.(log);
    progress.update(step, { loss: log.loss, ...(log.validation !== undefined ? { val: log.validation } : {}) });
    if (c.patience > 0 && stale >= c.patience) break;
  }
  progress.finish();
  return { model: bestModel, critic: bestCritic, steps: ran, bestStep, best, logs };
}
