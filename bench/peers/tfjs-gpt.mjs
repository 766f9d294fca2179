// TensorFlow.js (WebAssembly backend) peer of `alignkit bench`: the same GPT-2-family model as
// alignkit's (pre-norm blocks, learned positions, tanh GELU, tied embedding, GPT-2 init) trained
// with the same step (forward, cross-entropy, backward, clip at 1.0, AdamW written out in tf ops,
// since tfjs has Adam but not AdamW). Token and position lookups are one-hot products because
// the wasm backend has no UnsortedSegmentSum, which the gradient of gather needs.
// The wasm backend runs on one thread in Node (its threaded build needs browser workers).
//   node tfjs-gpt.mjs '<task JSON>'   → one JSON line; only the 'train' task.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
// The models, the step's settings, the timing loop and the memory reading are alignkit's own
// (compiled to dist/), so that both sides of a line are described and measured the same way.
import { MODELS, TRAIN_STEP as STEP } from '../../dist/src/cli/bench/configs.js';
import { bestOf, peakRssMb } from '../../dist/src/cli/bench/measure.js';

function build(m) {
  const C = m.dModel, F = 4 * C, std = m.initStd, projStd = std / Math.sqrt(2 * m.nLayer);
  const p = {};
  const normal = (name, shape, s) => { p[name] = tf.variable(tf.randomNormal(shape, 0, s, 'float32', 1 + Object.keys(p).length), true, name); };
  const fill = (name, shape, v) => { p[name] = tf.variable(tf.fill(shape, v), true, name); };
  normal('wte', [m.vocab, C], std);
  normal('wpe', [m.ctx, C], 0.01);
  for (let l = 0; l < m.nLayer; l++) {
    fill(`h${l}.ln1.g`, [C], 1); fill(`h${l}.ln1.b`, [C], 0);
    normal(`h${l}.attn.w`, [C, 3 * C], std); fill(`h${l}.attn.b`, [3 * C], 0);
    normal(`h${l}.proj.w`, [C, C], projStd); fill(`h${l}.proj.b`, [C], 0);
    fill(`h${l}.ln2.g`, [C], 1); fill(`h${l}.ln2.b`, [C], 0);
    normal(`h${l}.fc.w`, [C, F], std); fill(`h${l}.fc.b`, [F], 0);
    normal(`h${l}.mlp.w`, [F, C], projStd); fill(`h${l}.mlp.b`, [C], 0);
  }
  fill('lnf.g', [C], 1); fill('lnf.b', [C], 0);
  return p;
}

const layerNorm = (x, g, b) => {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(1e-5))).mul(g).add(b);
};
// GELU, tanh approximation (GPT-2).
const gelu = (x) => x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));

function loss(p, m, ids, targets, mask, posOneHot) {
  const { batch: B, ctx: T, dModel: C, nHead: H, vocab: V } = m, D = C / H;
  let x = tf.matMul(tf.oneHot(ids, V).toFloat(), p.wte).add(tf.matMul(posOneHot, p.wpe).tile([B, 1])); // (B·T, C)
  for (let l = 0; l < m.nLayer; l++) {
    const h = layerNorm(x, p[`h${l}.ln1.g`], p[`h${l}.ln1.b`]);
    const qkv = tf.matMul(h, p[`h${l}.attn.w`]).add(p[`h${l}.attn.b`]).reshape([B, T, 3, H, D]).transpose([2, 0, 3, 1, 4]);
    const [q, k, v] = tf.unstack(qkv); // (B, H, T, D)
    const att = tf.softmax(tf.matMul(q, k, false, true).mul(1 / Math.sqrt(D)).add(mask));
    const y = tf.matMul(att, v).transpose([0, 2, 1, 3]).reshape([B * T, C]);
    x = x.add(tf.matMul(y, p[`h${l}.proj.w`]).add(p[`h${l}.proj.b`]));
    const u = gelu(tf.matMul(layerNorm(x, p[`h${l}.ln2.g`], p[`h${l}.ln2.b`]), p[`h${l}.fc.w`]).add(p[`h${l}.fc.b`]));
    x = x.add(tf.matMul(u, p[`h${l}.mlp.w`]).add(p[`h${l}.mlp.b`]));
  }
  const logits = tf.matMul(layerNorm(x, p['lnf.g'], p['lnf.b']), p.wte, false, true); // (B·T, V)
  return tf.neg(tf.logSoftmax(logits).mul(tf.oneHot(targets, V).toFloat()).sum(-1).mean());
}

function train(cfg, rounds) {
  const m = MODELS[cfg];
  const { batch: B, ctx: T, vocab: V } = m;
  const p = build(m);
  const names = Object.keys(p);
  const mom = Object.fromEntries(names.map((n) => [n, tf.variable(tf.zerosLike(p[n]), false)]));
  const vel = Object.fromEntries(names.map((n) => [n, tf.variable(tf.zerosLike(p[n]), false)]));
  const mask = tf.tidy(() => tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)).mul(-1e9)); // causal, additive
  const posOneHot = tf.oneHot(tf.range(0, T, 1, 'int32'), T).toFloat();
  const batches = Array.from({ length: 4 }, (_, i) => {
    const seq = tf.randomUniform([B, T + 1], 0, V, 'int32', 10 + i);
    return { ids: seq.slice([0, 0], [B, T]).reshape([B * T]), tgt: seq.slice([0, 1], [B, T]).reshape([B * T]) };
  });
  let t = 0, lastLoss = NaN;
  const step = () => {
    const { ids, tgt } = batches[t % batches.length];
    t++;
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => loss(p, m, ids, tgt, mask, posOneHot));
      const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))).dataSync()[0];
      const scale = norm > STEP.gradClip ? STEP.gradClip / (norm + 1e-6) : 1;
      const bc1 = 1 - STEP.beta1 ** t, bc2 = 1 - STEP.beta2 ** t;
      for (const n of names) {
        const g = grads[n].mul(scale);
        mom[n].assign(mom[n].mul(STEP.beta1).add(g.mul(1 - STEP.beta1)));
        vel[n].assign(vel[n].mul(STEP.beta2).add(g.square().mul(1 - STEP.beta2)));
        const wd = p[n].rank >= 2 ? STEP.weightDecay : 0;
        const upd = mom[n].div(bc1).div(vel[n].div(bc2).sqrt().add(STEP.eps));
        p[n].assign(p[n].mul(1 - STEP.lr * wd).sub(upd.mul(STEP.lr)));
      }
      lastLoss = value.dataSync()[0];
    });
  };
  const r = bestOf(rounds, step);
  return { tok_s: (B * T * 1000) / r.msPerCall, ms_per_step: r.msPerCall, rounds: r.roundsRun, loss: lastLoss };
}

const task = JSON.parse(process.argv[2] ?? '{}');
if (task.kind !== 'train') throw new Error(`tfjs-gpt.mjs: only the 'train' task, got ${JSON.stringify(task.kind)}`);
await tf.setBackend('wasm');
await tf.ready();
const res = train(task.config, task.rounds);
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ ...res, backend: tf.getBackend(), tfjs: tf.version_core, rss_mb: peakRssMb(), cpu_s: (cpu.user + cpu.system) / 1e6 })}\n`);
