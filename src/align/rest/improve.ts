// One ReST Improve step (Gulcehre et al. 2023, Algorithm 1, inner loop): fine-tune the current
// policy on the samples the threshold kept, with an offline loss (rest-losses.ts), "while the
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
import { Progress } from '../../runs/progress.js';
import { tokenLogprobs, type TokenLogprobs } from '../trainer/logprobs.js';
import { bcLoss, bvmpoLoss, goldLoss, oacLoss, type RestLossOutput } from '../losses/offline.js';

export type RestLoss = 'bc' | 'gold' | 'bvmpo' | 'oac';
export const REST_LOSSES: readonly RestLoss[] = ['bc', 'gold', 'bvmpo', 'oac'];

export interface ImproveConfig {
  /** bc (the paper's best), gold, bvmpo or oac. */
  loss: RestLoss;
  /** Passes over the kept data; more overfits a set the next Grow step replaces anyway. */
  epochs: number;
  /** Cap on optimizer steps, so a generous threshold does not make one Improve step the whole run. */
  maxSteps: number;
  /** Kept samples per update (32: as SFT on a small model). */
  batchSize: number;
  /** Each Improve step fine-tunes an already trained policy: a third of a from-scratch SFT rate. */
  lr: number;
  /** Cosine floor, a tenth of the peak by convention. */
  minLr: number;
  /** A fresh optimizer per Improve step: a few warm-up steps let Adam's moments settle. */
  warmupSteps: number;
  /** 0: decay would pull the policy towards zero, not towards anything the data says. */
  weightDecay: number;
  /** Global gradient-norm clip (1, as SFT). */
  gradClip: number;
  /** Validation reward every N steps and at the last. */
  evalEvery: number;
  /** Stop after this many validations without a new best (0: run every step). */
  patience: number;
  /** GOLD's importance-weight floor u (Pang & He 2021). */
  goldMinWeight: number;
  /** OAC's truncation c̄ of π/π_b (Retrace, V-trace: 1). */
  oacRatioClip: number;
  /** OAC's BC term λ (TD3+BC); 1 keeps every kept token's weight λ + ρ·A ≥ 0 for rewards in [0, 1]. */
  oacBcCoef: number;
  /** Weight of the critic's squared error (bvmpo, oac). */
  valueCoef: number;
  /** V-MPO's ε_η and ε_α (Song et al. 2020: 0.01 and 0.005–0.01 for discrete actions). */
  bvmpoEpsEta: number;
  bvmpoEpsAlpha: number;
  /** V-MPO reweights the top half of each batch by advantage. */
  bvmpoTopFraction: number;
  /** The value head and V-MPO's η, α learn faster than the language model: they start from nothing. */
  criticLr: number;
}

export const defaultImproveConfig: ImproveConfig = {
  loss: 'bc', epochs: 2, maxSteps: 400, batchSize: 32, lr: 1e-3, minLr: 1e-4, warmupSteps: 10, weightDecay: 0, gradClip: 1,
  evalEvery: 50, patience: 0, goldMinWeight: 0.1, oacRatioClip: 1, oacBcCoef: 1, valueCoef: 0.5, bvmpoEpsEta: 0.01, bvmpoEpsAlpha: 0.01,
  bvmpoTopFraction: 0.5, criticLr: 1e-2,
};

export function resolveImproveConfig(over: Partial<ImproveConfig>): ImproveConfig {
  const c = { ...defaultImproveConfig, ...over };
  for (const k of Object.keys(over)) if (!(k in defaultImproveConfig)) throw new RangeError(`rest improve config: unknown field "${k}"; known: ${Object.keys(defaultImproveConfig).join(', ')}`);
  if (!REST_LOSSES.includes(c.loss)) throw new RangeError(`rest improve config: loss = ${JSON.stringify(c.loss)}, expected one of ${REST_LOSSES.join(', ')}`);
  for (const k of ['maxSteps', 'batchSize', 'evalEvery'] as const) if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new RangeError(`rest improve config: ${k} = ${c[k]}, expected a positive integer`);
  for (const k of ['warmupSteps', 'patience'] as const) if (!(Number.isInteger(c[k]) && c[k] >= 0)) throw new RangeError(`rest improve config: ${k} = ${c[k]}, expected an integer ≥ 0`);
  for (const k of ['epochs', 'lr', 'minLr', 'weightDecay', 'gradClip', 'goldMinWeight', 'oacRatioClip', 'oacBcCoef', 'valueCoef', 'bvmpoEpsEta', 'bvmpoEpsAlpha', 'criticLr'] as const) {
    if (!(Number.isFinite(c[k]) && c[k] >= 0)) throw new RangeError(`rest improve config: ${k} = ${c[k]}, expected a finite number ≥ 0`);
  }
  if (c.minLr > c.lr) throw new RangeError(`rest improve config: minLr = ${c.minLr} is above lr = ${c.lr}`);
  if (!(c.bvmpoTopFraction > 0 && c.bvmpoTopFraction <= 1)) throw new RangeError(`rest improve config: bvmpoTopFraction = ${c.bvmpoTopFraction}, expected a number in (0, 1]`);
  return c;
}

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
  const opt = new AdamW(model.namedParameters(), { lr: c.lr, weightDecay: c.weightDecay });
  const criticOpt = critic ? new AdamW(critic.named(), { lr: c.criticLr, weightDecay: 0 }) : null;
  const order = new ExampleOrder(data.length, o.seed);
  const progress = new Progress({ label: o.label ?? `improve (${c.loss})`, total: steps, quiet: o.quiet });
  let stale = 0, ran = 0;
  for (let step = 1; step <= steps; step++) {
    const batch = order.next(c.batchSize).map((i) => data[i]!);
    const t = tokenLogprobs(model, batch, 1, o.padId);
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
    const lr = learningRate(step - 1, { lr: c.lr, minLr: c.minLr, warmupSteps: c.warmupSteps, totalSteps: steps });
    opt.update(lr);
    opt.zeroGrad();
    if (critic && criticOpt) {
      clipGradNorm(critic.named().map(([, p]) => p), c.gradClip);
      criticOpt.update(c.criticLr);
      criticOpt.zeroGrad();
    }
    ran = step;
    const log: ImproveLog = { step, loss: out.loss.item(), lr, gradNorm, ...out.stats };
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
