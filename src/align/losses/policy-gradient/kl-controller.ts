// The coefficient β of the KL penalty in the RLHF reward (see klPenaltyRewards).
// Adaptive: Ziegler et al. 2019, section 2.2, a proportional controller that steers the
// policy's KL to the reference towards a target:
//   eₜ = clip((KLₜ − KL_target)/KL_target, −0.2, 0.2),  βₜ₊₁ = βₜ·(1 + K_β·eₜ)
// with K_β = nSteps/horizon as TRL writes it (nSteps = samples in the batch just seen), so the
// controller's speed does not depend on the batch size.

export interface KlController {
  /** The current β. */
  readonly value: number;
  /** Feeds the KL measured on the last batch (summed over tokens, mean over sequences). */
  update(currentKl: number, nSteps: number): void;
}

/** β that never moves. */
export class FixedKlController implements KlController {
  readonly value: number;

  constructor(value: number) {
    if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`FixedKlController: value must be a finite number ≥ 0, got ${value}`);
    this.value = value;
  }

  update(_currentKl: number, _nSteps: number): void {}
}

export interface AdaptiveKlOptions {
  /** Starting β; 0.2 as TRL's init_kl_coef. */
  init?: number;
  /** KL (nats per sequence) to steer towards; 6 as TRL's target. */
  target?: number;
  /** Samples over which an error of e moves β by a factor of about (1 + e); 10000 as TRL. */
  horizon?: number;
}

export class AdaptiveKlController implements KlController {
  value: number;
  readonly target: number;
  readonly horizon: number;

  constructor(opts: AdaptiveKlOptions = {}) {
    const { init = 0.2, target = 6, horizon = 10000 } = opts;
    for (const [name, v] of [['init', init], ['target', target], ['horizon', horizon]] as const) {
      if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`AdaptiveKlController: ${name} must be a positive finite number, got ${v}`);
    }
    this.value = init;
    this.target = target;
    this.horizon = horizon;
  }

  update(currentKl: number, nSteps: number): void {
    if (!Number.isFinite(currentKl)) throw new RangeError(`AdaptiveKlController.update: currentKl must be finite, got ${currentKl}`);
    if (!(Number.isFinite(nSteps) && nSteps >= 0)) throw new RangeError(`AdaptiveKlController.update: nSteps must be a finite number ≥ 0, got ${nSteps}`);
    const error = Math.min(0.2, Math.max(-0.2, currentKl / this.target - 1));
    this.value *= 1 + (error * nSteps) / this.horizon;
  }
}
