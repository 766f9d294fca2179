import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor, tensor } from '../../tensor/index.js';
import { CharTokenizer } from '../../tokenizer/index.js';
import { Transformer, defaultConfig } from '../../model/index.js';
import { completionExample } from '../../data/lm-examples.js';
import { tokenLogprobs } from '../trainer/logprobs.js';
import { evaluateLoss } from '../sft/sft.js';
import { bcLoss, bvmpoLoss, goldLoss, oacLoss } from './offline.js';

const close = (got: number, want: number, eps = 1e-5, what = '') => assert.ok(Math.abs(got - want) < eps, `${what} got ${got}, expected ${want}`);
const param = (rows: number[][]) => tensor(rows, undefined, { requiresGrad: true });
const grads = (t: Tensor) => Array.from(t.grad!.data);

test('BC: token-mean negative log-likelihood over the mask, gradient −m/Σm', () => {
  const logp = param([[-1, -2], [-0.5, -9]]);
  const { loss } = bcLoss(logp, [[1, 1], [1, 0]]);
  close(loss.item(), (1 + 2 + 0.5) / 3);
  loss.backward();
  grads(logp).forEach((g, i) => close(g, [-1 / 3, -1 / 3, -1 / 3, 0][i]!));
});

test('BC on kept samples equals the SFT loss on the same samples', () => {
  const tok = CharTokenizer.fromCorpus('abcdefgh\n ');
  const model = new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 32, initStd: 0.2 }), undefined, 5);
  const kept = [{ prompt: 'abc\n', sample: 'D E' }, { prompt: 'hg\n', sample: 'F' }, { prompt: 'a\n', sample: 'A B C' }];
  const pad = tok.pad ?? tok.eos ?? 0;
  const batch = kept.map((k) => ({ prompt: tok.encode(k.prompt), completion: [...tok.encode(k.sample), tok.eos!] }));
  const t = tokenLogprobs(model, batch, 1, pad);
  const sft = evaluateLoss(model, kept.map((k) => completionExample(k.prompt, k.sample, tok, 31)), 8, pad);
  close(bcLoss(t.logp, new Tensor(t.mask, [t.B, t.T])).loss.item(), sft, 1e-5, 'BC vs SFT');
});

test('GOLD: weights max(u, π) held constant, return R on every token', () => {
  // π = 0.5 and 0.05; u = 0.1 lifts the second weight to 0.1. R = 0.8, two tokens.
  const logp = param([[Math.log(0.5), Math.log(0.05)]]);
  const { loss, stats } = goldLoss(logp, [[1, 1]], [0.8], { minWeight: 0.1 });
  close(loss.item(), -(0.5 * 0.8 * Math.log(0.5) + 0.1 * 0.8 * Math.log(0.05)) / 2);
  close(stats.meanWeight!, 0.3);
  loss.backward();
  // d/dlogp = −w·R/n: the weight is not differentiated (π̃ is a detached copy).
  grads(logp).forEach((g, i) => close(g, [-0.5 * 0.8 / 2, -0.1 * 0.8 / 2][i]!));
});

test('offline actor-critic: truncated ratios, advantage against a detached critic, squared critic error', () => {
  // π/π_b = 0.25/0.5 = 0.5 and 0.75/0.5 = 1.5 → ρ = 0.5 and 1 (c̄ = 1). R = 1, V = 0.25 → A = 0.75.
  const logp = param([[Math.log(0.25), Math.log(0.75)]]);
  const values = tensor([0.25], undefined, { requiresGrad: true });
  const b = [[Math.log(0.5), Math.log(0.5)]];
  const { loss, stats } = oacLoss(logp, b, [[1, 1]], [1], values, { ratioClip: 1, valueCoef: 0.5, bcCoef: 0 });
  const policy = -(0.5 * 0.75 * Math.log(0.25) + 1 * 0.75 * Math.log(0.75)) / 2;
  const value = 0.5 * (0.25 - 1) ** 2;
  close(loss.item(), policy + 0.5 * value);
  close(stats.clipFrac!, 0.5);
  loss.backward();
  grads(logp).forEach((g, i) => close(g, [-0.5 * 0.75 / 2, -1 * 0.75 / 2][i]!));
  close(values.grad!.data[0]!, 0.5 * (0.25 - 1)); // valueCoef·(V − R); no policy gradient reaches V
  // With the BC term (λ = 1) a negative advantage no longer pushes log π down: weights λ + ρ·A ≥ 0.
  const lp2 = param([[Math.log(0.25), Math.log(0.75)]]);
  const neg = oacLoss(lp2, b, [[1, 1]], [0], tensor([0.75], undefined, { requiresGrad: true }), { bcCoef: 1 });
  close(neg.stats.nll!, -(Math.log(0.25) + Math.log(0.75)) / 2);
  neg.loss.backward();
  grads(lp2).forEach((g, i) => close(g, -([0.5, 1][i]! * -0.75 + 1) / 2));
});

test('BVMPO: top-half selection, softmax weights, temperature and trust-region losses by hand', () => {
  // R = [1, 0.5, 0.8, 0.2], V = 0.5 → A = [0.5, 0, 0.3, −0.3]; the top half is samples 0 and 2.
  const logp = param([[-1, -1], [-2, -2], [-0.5, 0], [-3, -3]]);
  const mask = [[1, 1], [1, 1], [1, 0], [1, 1]];
  const values = tensor([0.5, 0.5, 0.5, 0.5], undefined, { requiresGrad: true });
  const eta = tensor([1], undefined, { requiresGrad: true }), alpha = tensor([2], undefined, { requiresGrad: true });
  const behaviour = [[-1, -1], [-2, -2], [-0.5, 0], [-3, -3]]; // π = π_b: KL 0
  const out = bvmpoLoss(logp, behaviour, mask, [1, 0.5, 0.8, 0.2], values, eta, alpha, { epsEta: 0.01, epsAlpha: 0.05, valueCoef: 0.5 });
  assert.deepEqual(out.selected, [0, 2]);
  const psi0 = 1 / (1 + Math.exp(-0.2)), psi2 = 1 - psi0; // exp(0.5) : exp(0.3)
  close(out.psi[0]!, psi0);
  close(out.psi[2]!, psi2);
  assert.equal(out.psi[1], 0);
  const policy = -(psi0 * -2 + psi2 * -0.5); // sequence log-probs −2 and −0.5 (masked token left out)
  const etaLoss = 0.01 + Math.log((Math.exp(0.5) + Math.exp(0.3)) / 2);
  const alphaLoss = 2 * 0.05; // α·(ε_α − 0) + α·0
  const value = 0.5 * (0.25 + 0 + 0.09 + 0.09) / 4;
  close(out.loss.item(), policy + etaLoss + alphaLoss + 0.5 * value, 1e-5);
  out.loss.backward();
  // ∂L/∂η = ε_η + log mean exp(A/η) − Σψ·A/η;  ∂L/∂α = ε_α − KL.
  close(eta.grad!.data[0]!, 0.01 + Math.log((Math.exp(0.5) + Math.exp(0.3)) / 2) - (psi0 * 0.5 + psi2 * 0.3), 1e-5, 'dη');
  close(alpha.grad!.data[0]!, 0.05, 1e-6, 'dα');
  // Policy gradient −ψ on each selected token; at π = π_b the KL term's gradient is 0.
  grads(logp).forEach((g, i) => close(g, [-psi0, -psi0, 0, 0, -psi2, 0, 0, 0][i]!, 1e-5, `dlogp[${i}]`));
});

test('BVMPO: the KL to the behaviour policy pulls log π back towards it', () => {
  const logp = param([[-0.2, -0.3]]);
  const values = tensor([0], undefined, { requiresGrad: true });
  const eta = tensor([1], undefined, { requiresGrad: true }), alpha = tensor([1], undefined, { requiresGrad: true });
  const out = bvmpoLoss(logp, [[-1, -1]], [[1, 1]], [0], values, eta, alpha);
  // k3 per token: r − 1 − log r with log r = 0.8 and 0.7; its gradient (r − 1)·α/n > 0 pushes log π down.
  const k = (x: number) => Math.exp(x) - 1 - x;
  close(out.stats.kl!, (k(0.8) + k(0.7)) / 2);
  out.loss.backward();
  const g = grads(logp);
  // A = 0 for the one sample, ψ = 1: −1 from the policy term, +α(r−1)/2 from the KL.
  close(g[0]!, -1 + (Math.exp(0.8) - 1) / 2);
  close(g[1]!, -1 + (Math.exp(0.7) - 1) / 2);
});

test('losses name the bad input', () => {
  const logp = param([[-1]]);
  assert.throws(() => goldLoss(logp, [[1]], [0.5, 1]), /2 rewards for a batch of 1/);
  assert.throws(() => bcLoss(logp, [[0]]), /mask selects no position/);
  assert.throws(() => bvmpoLoss(logp, [[-1]], [[1]], [1], tensor([0]), tensor([0]), tensor([1])), /eta must be one positive number/);
});
