// AdamW with parameter groups: decoupled weight decay (Loshchilov & Hutter 2019) on matrices,
// none on norms, biases and (by the usual convention) 1-D parameters. The update itself is
// one fused kernel per tensor; state can be saved and restored for resume.
import { backend } from '../backend/index.js';
import type { Tensor } from '../tensor/index.js';

export interface AdamWConfig {
  /** Peak learning rate; a schedule may scale it per step. */
  lr: number;
  /** Momentum of the first moment (0.9 as in GPT-2/3 training). */
  beta1: number;
  /** 0.95 is the usual choice for small-batch transformer training (GPT-3), more stable than 0.999. */
  beta2: number;
  eps: number;
  /** Applied to parameters of rank ≥ 2 only. */
  weightDecay: number;
}

export const defaultAdamW: AdamWConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

export interface AdamWState {
  /** Updates applied. */
  step: number;
  /** Per-parameter update counts (bias correction counts a parameter's own updates, as torch does). */
  paramSteps?: Record<string, number>;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export class AdamW {
  readonly config: AdamWConfig;
  private readonly params: [string, Tensor][];
  private m = new Map<string, Float32Array>();
  private v = new Map<string, Float32Array>();
  private paramSteps = new Map<string, number>();
  step = 0;

  constructor(params: Iterable<[string, Tensor]>, config: Partial<AdamWConfig> = {}) {
    this.config = { ...defaultAdamW, ...config };
    this.params = [...params].filter(([, p]) => p.requiresGrad);
    // The moments are allocated at a parameter's first update, as torch's AdamW does: by then the
    // step's activations are freed, and the moments take their memory instead of adding to it.
  }

  /** Parameter `name`'s moments, zero-filled on first use. */
  private momentsOf(name: string, size: number): [Float32Array, Float32Array] {
    let m = this.m.get(name), v = this.v.get(name);
    if (!m || !v) {
      this.m.set(name, (m = new Float32Array(size)));
      this.v.set(name, (v = new Float32Array(size)));
    }
    return [m, v];
  }

  /** Whether weight decay applies: matrices yes; norms, biases and vectors no. */
  static decays(name: string, p: Tensor): boolean {
    return p.rank >= 2 && !/norm|ln_|bias/.test(name);
  }

  /** Applies one update with learning rate `lr` (defaults to the configured peak). */
  update(lr = this.config.lr): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const be = backend();
    for (const [name, p] of this.params) {
      if (!p.grad) continue;
      const t = (this.paramSteps.get(name) ?? 0) + 1;
      this.paramSteps.set(name, t);
      const wd = AdamW.decays(name, p) ? weightDecay : 0;
      const [m, v] = this.momentsOf(name, p.size);
      be.adamwUpdate(p.f32, p.grad.f32, m, v, p.size, lr, beta1, beta2, eps, wd, t);
    }
  }

  zeroGrad(): void {
    for (const [, p] of this.params) p.grad = null;
  }

  /**
   * The live moment buffers, not copies: for writing them out at once (a checkpoint), where a
   * snapshot would hold a second copy of two model-sized arrays. Read them before the next update.
   */
  moments(): Readonly<AdamWState> {
    // A parameter not yet updated reads as zeros: views of one zero buffer, never written.
    let zeros: Float32Array | null = null;
    const zero = (size: number) => (zeros ??= new Float32Array(Math.max(...this.params.map(([, p]) => p.size)))).subarray(0, size);
    const of = (m: Map<string, Float32Array>) => Object.fromEntries(this.params.map(([n, p]) => [n, m.get(n) ?? zero(p.size)]));
    return { step: this.step, paramSteps: Object.fromEntries(this.paramSteps), m: of(this.m), v: of(this.v) };
  }

  /** A snapshot (copies, so that later updates do not change it). */
  state(): AdamWState {
    const copy = (m: Map<string, Float32Array>) => Object.fromEntries(this.params.map(([n, p]) => [n, m.get(n)?.slice() ?? new Float32Array(p.size)]));
    return { step: this.step, paramSteps: Object.fromEntries(this.paramSteps), m: copy(this.m), v: copy(this.v) };
  }

  loadState(s: AdamWState): void {
    for (const [name, p] of this.params) {
      const m = s.m[name], v = s.v[name];
      if (!m || !v || m.length !== p.size || v.length !== p.size) {
        throw new Error(`AdamW.loadState: state for parameter "${name}" is missing or has the wrong size (expected ${p.size})`);
      }
      const [mm, vv] = this.momentsOf(name, p.size);
      mm.set(m);
      vv.set(v);
    }
    this.step = s.step;
    this.paramSteps = new Map(Object.entries(s.paramSteps ?? Object.fromEntries(this.params.map(([n]) => [n, s.step]))));
  }
}
