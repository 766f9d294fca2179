// The bit-level fingerprint of the float32 training and sampling path at the bench's configs A and
// B (issue 20, point 5): a speed change to the kernels (register tile, packing, threading split,
// fused passes) must leave every float32 result bit-identical, so this prints SHA-256 hashes of
// the weights after 20 AdamW steps with dropout, of a sampling run's tokens and log-probabilities,
// and of sgemm's outputs over ragged shapes, transposes and accumulation. Run it on the code before
// and after a change and compare the lines (they depend on the thread count, as split-K's partial
// sums do: compare at the same ALIGNKIT_THREADS).
//   node dist/bench/train-fingerprint.js [--steps 20] [--configs A,B]
import { createHash } from 'node:crypto';
import { crossEntropy } from '../src/ops/index.js';
import { AdamW, clipGradNorm } from '../src/nn/index.js';
import { Rng, Tensor } from '../src/tensor/index.js';
import { Transformer, defaultConfig, generate } from '../src/model/index.js';
import { backend } from '../src/backend/index.js';
import { MODELS, TRAIN_STEP } from '../src/cli/bench/configs.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
};

const hash = (parts: ArrayBufferView[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex').slice(0, 16);
};

function model(config: 'A' | 'B', dropout: number): Transformer {
  const m = MODELS[config];
  return new Transformer(defaultConfig('gpt2', {
    vocabSize: m.vocab, dModel: m.dModel, nLayer: m.nLayer, nHead: m.nHead, nKvHead: m.nHead, maxSeqLen: m.ctx, initStd: m.initStd, dropout,
  }), undefined, 1);
}

/** Weights after `steps` steps of the bench's training step with dropout 0.1, and the losses. */
function train(config: 'A' | 'B', steps: number): { weights: string; losses: string; last: number } {
  const m = MODELS[config], net = model(config, 0.1), rng = new Rng(7);
  const opt = new AdamW(net.namedParameters(), TRAIN_STEP);
  const losses = new Float32Array(steps);
  for (let s = 0; s < steps; s++) {
    const seq = Int32Array.from({ length: m.batch * (m.ctx + 1) }, () => rng.nextU32() % m.vocab);
    const ids = new Int32Array(m.batch * m.ctx), tgt = new Int32Array(m.batch * m.ctx);
    for (let b = 0; b < m.batch; b++) {
      ids.set(seq.subarray(b * (m.ctx + 1), b * (m.ctx + 1) + m.ctx), b * m.ctx);
      tgt.set(seq.subarray(b * (m.ctx + 1) + 1, (b + 1) * (m.ctx + 1)), b * m.ctx);
    }
    const l = crossEntropy(net.logits(new Tensor(ids, [m.batch, m.ctx]), { training: true }), new Tensor(tgt, [m.batch, m.ctx]));
    losses[s] = l.item();
    l.backward();
    clipGradNorm(net.parameters(), TRAIN_STEP.gradClip);
    opt.update();
    opt.zeroGrad();
  }
  const weights = hash(net.namedParameters().map(([, t]) => t.data as Float32Array));
  return { weights, losses: hash([losses]), last: losses[steps - 1]! };
}

/** Tokens and log-probabilities of 4 samples at temperature 1 from the untrained model. */
function sample(config: 'A' | 'B'): string {
  const m = MODELS[config], net = model(config, 0), rng = new Rng(3);
  const prompts = Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 + 3 * i }, () => rng.nextU32() % m.vocab));
  const out = generate(net, prompts, { maxNewTokens: m.ctx - 16, temperature: 1, seed: 4 });
  return hash(out.flatMap((s) => [Int32Array.from(s.tokens), Float64Array.from(s.logprobs)]));
}

/** sgemm over shapes that hit every edge of the tiling and the thin, split-K and batched paths. */
function products(): string {
  const be = backend(), rng = new Rng(11), outs: Float32Array[] = [];
  const shapes = [[1, 7, 5], [3, 130, 64], [5, 3, 77], [13, 31, 17], [14, 32, 512], [15, 33, 513], [29, 65, 100],
    [64, 128, 128], [128, 384, 2048], [384, 1152, 2048], [2048, 384, 1536], [2048, 256, 384], [100, 70, 1030], [6, 64, 9]];
  for (const [M, N, K] of shapes)
    for (const [tA, tB, acc] of [[false, false, false], [true, false, true], [false, true, false], [true, true, true]] as const) {
      const a = Float32Array.from({ length: M! * K! }, () => rng.uniform() - 0.5), b = Float32Array.from({ length: K! * N! }, () => rng.uniform() - 0.5);
      const c = Float32Array.from({ length: M! * N! }, () => rng.uniform());
      be.matmul(c, a, b, 1, M!, N!, K!, tA, tB, 0, 0, 0, acc);
      outs.push(c);
    }
  // A batch of 6 small products (attention's shapes) and a batch summed into one output.
  const a = Float32Array.from({ length: 6 * 64 * 32 }, () => rng.uniform() - 0.5), b = Float32Array.from({ length: 6 * 64 * 32 }, () => rng.uniform() - 0.5);
  const c = new Float32Array(6 * 64 * 64), s = new Float32Array(32 * 32);
  be.matmul(c, a, b, 6, 64, 64, 32, false, true, 64 * 32, 64 * 32, 64 * 64, false);
  be.matmul(s, a, b, 6, 32, 32, 64, true, false, 64 * 32, 64 * 32, 0, false);
  outs.push(c, s);
  return hash(outs);
}

const steps = Number(arg('steps', '20'));
console.log(`sgemm ${products()}`);
for (const config of arg('configs', 'A,B').split(',') as ('A' | 'B')[]) {
  const t = train(config, steps);
  console.log(`train ${config} weights ${t.weights} losses ${t.losses} last ${t.last}`);
  console.log(`sample ${config} ${sample(config)}`);
}
