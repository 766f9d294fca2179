// Golden tests: every loss type against TRL 1.13's own loss code. The fixture trl-losses.json is
// made by make_trl_losses.py (run it with a python3 that has the pinned reference packages): TRL's trainers' loss methods are
// called on seeded random logits (or per-token log-probabilities) and the loss and its gradient
// with respect to those leaves recorded. Here the same leaves go through alignkit's log-probability
// chain and losses, configured through the option names a command accepts (TRL's), so that a loss
// wired to the wrong name fails as surely as a wrong formula.
// Tolerance: |got − want| ≤ 1e-5·max(|want|, floor): the loss relative at 1e-5; gradients relative
// at 1e-5 for entries within a tenth of the tensor's largest (floor = 0.1·max|want|), and below that
// an absolute 1e-6 of the largest, about 8 float32 ulps of the tensor's scale. Both sides compute in
// float32, and an entry 1e-5 below the largest (a token whose probability rounds to 1, where the
// gradient is 1 − p) carries rounding of one ulp of the scale, which no relative test can pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { crossEntropy, div, mul, neg, slice, sum, Tensor } from '../../src/index.js';
import { dpoLoss } from '../../src/align/index.js';
import { dpoLossOptions } from '../../src/align/dpo/config.js';
import { grpoLoss } from '../../src/align/index.js';
import { grpoLossOptions } from '../../src/align/grpo/config.js';
import { dpoCommand } from '../../src/cli/commands/preference/dpo.js';
import { ktoCommand } from '../../src/cli/commands/preference/kto.js';
import { orpoCommand } from '../../src/cli/commands/preference/orpo.js';
import { cpoCommand } from '../../src/cli/commands/preference/cpo.js';
import { cpoLoss, ktoLoss, orpoLoss } from '../../src/align/index.js';
import { ktoLossOptions } from '../../src/align/kto/config.js';
import { onlineDpoLossOptions } from '../../src/align/online-dpo/config.js';
import { pairWinners } from '../../src/align/online-dpo/judge.js';
import { onlineDpoCommand } from '../../src/cli/commands/online/online-dpo.js';
import { cpoLossOptions, cpoUsesTokenMeans } from '../../src/align/cpo/config.js';
import { grpoCommand } from '../../src/cli/commands/online/grpo.js';

const FIXTURE = 'test/golden/trl-losses.json';
const TOL = 1e-5;
const FLOOR = 0.1;

export interface Arr { shape: number[]; data: number[] }
type Params = Record<string, unknown>;
export interface Case { params: Params; loss: number; grad: Arr }

const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
  trl: string;
  dpo: { inputs: { ids: Arr; completionMask: Arr; logits: Arr; ref: Arr }; cases: Case[] };
  kto: {
    inputs: { ids: Arr; completionMask: Arr; klIds: Arr; klCompletionMask: Arr; logits: Arr; klLogits: Arr; labels: boolean[]; ref: Arr; refKl: Record<string, Arr> };
    cases: Case[];
  };
  referenceFree: { inputs: Record<string, Arr>; orpo: Case[]; cpo: Case[] };
  onlineDpo: { inputs: { ids: Arr; promptMask: Arr; completionMask: Arr; eos: number; rewards: Arr; logits: Arr; refLogits: Arr }; cases: Case[] };
  grpo: { inputs: { logp: Arr; old: Arr; ref: Arr; mask: Arr; advantages: Arr; tokenAdvantages: Arr; numItemsInBatch: number }; cases: Case[] };
};

const rows = (a: Arr): number[][] => Array.from({ length: a.shape[0]! }, (_, i) => a.data.slice(i * a.shape[1]!, (i + 1) * a.shape[1]!));

const leaf = (a: Arr) => new Tensor(Float32Array.from(a.data), a.shape, true);

export function closeTo(got: ArrayLike<number>, want: readonly number[], what: string, tol = TOL): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  const floor = FLOOR * Math.max(...want.map(Math.abs));
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), floor, 1e-30);
    if (err > worst) { worst = err; at = i; }
  }
  assert.ok(worst <= tol, `${what}: relative error ${worst.toExponential(2)} at [${at}] (got ${got[at]}, TRL ${want[at]})`);
}

/**
 * Σ over each row's completion of log softmax(logits)[next token]: TRL's selective_log_softmax on
 * shifted logits, masked by the shifted completion mask. logits (N, T, V), ids and mask (N, T).
 */
export function completionLogps(logits: Tensor, ids: Arr, mask: Arr): { logps: Tensor; lengths: number[] } {
  const [N, T] = ids.shape as [number, number];
  const labels = new Int32Array(N * (T - 1)).fill(-100);
  const lengths = new Array<number>(N).fill(0);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T - 1; t++) {
      if (mask.data[n * T + t + 1]) { labels[n * (T - 1) + t] = ids.data[n * T + t + 1]!; lengths[n]!++; }
    }
  }
  const ce = crossEntropy(slice(logits, 1, 0, T - 1), new Tensor(labels, [N, T - 1]), { reduction: 'none' }); // (N, T−1)
  return { logps: neg(sum(ce, 1)), lengths };
}

/** TRL's parameters of a case as the flags of an alignkit command (TRL's own names). */
export function trlFlags(params: Params): string[] {
  const argv: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === true) argv.push(`--${k}`);
    else if (v !== false) argv.push(`--${k}`, Array.isArray(v) ? v.join(',') : String(v));
  }
  return argv;
}

test(`DPO: every loss type, mixes and reference-free equal TRL ${fixture.trl}'s DPOTrainer._compute_loss`, () => {
  const { inputs, cases } = fixture.dpo;
  const B = inputs.ids.shape[0]! / 2;
  for (const c of cases) {
    const what = `dpo ${JSON.stringify(c.params)}`;
    const values = dpoCommand.resolve(['--model', 'm', '--data', 'd', ...trlFlags(c.params)])!.values;
    const logits = leaf(inputs.logits);
    const { logps, lengths } = completionLogps(logits, inputs.ids, inputs.completionMask);
    const ref = values.referenceFree ? new Array<number>(2 * B).fill(0) : inputs.ref.data;
    const out = dpoLoss(slice(logps, 0, 0, B), slice(logps, 0, B, 2 * B), ref.slice(0, B), ref.slice(B), {
      ...dpoLossOptions(values), chosenLengths: lengths.slice(0, B), rejectedLengths: lengths.slice(B),
    });
    closeTo([out.loss.item()], [c.loss], `${what} loss`);
    out.loss.backward();
    closeTo(logits.grad!.data, c.grad.data, `${what} d loss/d logits`);
  }
});

test('the golden inputs tell every loss type apart, so a loss wired to another name fails', () => {
  const groups: [string, Case[]][] = [
    ['dpo', fixture.dpo.cases.filter((c) => (c.params['loss_type'] as string[]).length === 1)],
    ['grpo', fixture.grpo.cases],
    ['kto', fixture.kto.cases],
    ['cpo', fixture.referenceFree.cpo],
  ];
  for (const [name, cases] of groups) {
    for (let i = 0; i < cases.length; i++) {
      for (let j = i + 1; j < cases.length; j++) {
        const a = cases[i]!, b = cases[j]!;
        if (a.params['loss_type'] === b.params['loss_type'] || JSON.stringify(a.params['loss_type']) === JSON.stringify(b.params['loss_type'])) continue;
        const gap = Math.abs(a.loss - b.loss) / Math.max(Math.abs(a.loss), Math.abs(b.loss));
        assert.ok(gap > 100 * TOL, `${name}: ${JSON.stringify(a.params)} and ${JSON.stringify(b.params)} give losses within ${gap.toExponential(1)}`);
      }
    }
  }
});

test(`GRPO: every loss type, clip-higher, delta, GSPO and per-token advantages equal TRL ${fixture.trl}'s GRPOTrainer._compute_loss`, () => {
  const { inputs, cases } = fixture.grpo;
  const T = inputs.logp.shape[1]!;
  for (const c of cases) {
    const what = `grpo ${JSON.stringify(c.params)}`;
    const { per_token_advantages: perToken, ...trl } = c.params;
    const values = grpoCommand.resolve(['--model', 'm', '--task', 'arithmetic', '--max_completion_length', String(T), ...trlFlags(trl)])!.values;
    const logp = leaf(inputs.logp);
    const adv = perToken ? rows(inputs.tokenAdvantages) : inputs.advantages.data;
    const out = grpoLoss(logp, rows(inputs.old), values.beta > 0 ? rows(inputs.ref) : null, adv, rows(inputs.mask), {
      ...grpoLossOptions(values), tokenNormalizer: inputs.numItemsInBatch,
    });
    closeTo([out.loss.item()], [c.loss], `${what} loss`);
    out.loss.backward();
    closeTo(logp.grad!.data, c.grad.data, `${what} d loss/d logp`);
  }
});

test(`KTO: kto with its weights and the KL clipped at 0, and apo_zero_unpaired, equal TRL ${fixture.trl}'s KTOTrainer._compute_loss`, () => {
  const { inputs, cases } = fixture.kto;
  for (const c of cases) {
    const what = `kto ${JSON.stringify(c.params)}`;
    const { kl, ...trl } = c.params;
    const values = ktoCommand.resolve(['--model', 'm', '--data', 'd', ...trlFlags(trl)])!.values;
    const logits = leaf(inputs.logits);
    const { logps } = completionLogps(logits, inputs.ids, inputs.completionMask);
    const klPolicy = completionLogps(leaf(inputs.klLogits), inputs.klIds, inputs.klCompletionMask).logps.toArray();
    const out = ktoLoss(logps, inputs.ref.data, inputs.labels, klPolicy, inputs.refKl[kl as string]!.data, ktoLossOptions(values));
    closeTo([out.loss.item()], [c.loss], `${what} loss`);
    out.loss.backward();
    closeTo(logits.grad!.data, c.grad.data, `${what} d loss/d logits`);
  }
});

/** Σ log π over the tokens `mask` marks (labels other than −100, or the attention mask), with counts. */
function labelled(logits: Tensor, ids: Arr, marks: Arr): { logps: Tensor; lengths: number[] } {
  return completionLogps(logits, ids, { shape: marks.shape, data: marks.data.map((x) => (x === -100 || x === 0 ? 0 : 1)) });
}

test(`ORPO and CPO/SimPO (every loss type, label smoothing, AlphaPO) equal TRL ${fixture.trl}'s get_batch_loss_metrics`, () => {
  const { inputs, orpo, cpo } = fixture.referenceFree;
  const ids: Arr = { shape: [inputs['chosen_input_ids']!.shape[0]! * 2, inputs['chosen_input_ids']!.shape[1]!], data: [...inputs['chosen_input_ids']!.data, ...inputs['rejected_input_ids']!.data] };
  const labels: Arr = { shape: ids.shape, data: [...inputs['chosen_labels']!.data, ...inputs['rejected_labels']!.data] };
  const attention: Arr = { shape: ids.shape, data: [...inputs['chosen_attention_mask']!.data, ...inputs['rejected_attention_mask']!.data] };
  const B = ids.shape[0]! / 2;
  const run = (c: Case, what: string, loss: (lp: { sums: Tensor; means: Tensor; seqNll: Tensor; nll: Tensor }) => Tensor) => {
    const logits = leaf(inputs['logits']!);
    const comp = labelled(logits, ids, labels), full = labelled(logits, ids, attention);
    const means = div(comp.logps, new Tensor(Float32Array.from(comp.lengths), [2 * B]));
    const nllOf = (x: { logps: Tensor; lengths: number[] }) => div(neg(sum(slice(x.logps, 0, 0, B))), x.lengths.slice(0, B).reduce((a, n) => a + n, 0));
    const out = loss({ sums: comp.logps, means, seqNll: nllOf(full), nll: nllOf(comp) });
    closeTo([out.item()], [c.loss], `${what} loss`);
    out.backward();
    closeTo(logits.grad!.data, c.grad.data, `${what} d loss/d logits`);
  };
  for (const c of orpo) {
    const values = orpoCommand.resolve(['--model', 'm', '--data', 'd', ...trlFlags(c.params)])!.values;
    run(c, `orpo ${JSON.stringify(c.params)}`, (lp) => orpoLoss(slice(lp.means, 0, 0, B), slice(lp.means, 0, B, 2 * B), lp.seqNll, { beta: values.beta }).loss);
  }
  for (const c of cpo) {
    const values = cpoCommand.resolve(['--model', 'm', '--data', 'd', ...trlFlags(c.params)])!.values;
    const side = (lp: { sums: Tensor; means: Tensor }) => (cpoUsesTokenMeans(values.lossType) ? lp.means : lp.sums);
    run(c, `cpo ${JSON.stringify(c.params)}`, (lp) => cpoLoss(slice(side(lp), 0, 0, B), slice(side(lp), 0, B, 2 * B), values.cpoAlpha ? lp.nll : null, cpoLossOptions(values)).loss);
  }
});

test(`online DPO: sigmoid, ipo and the missing-EOS penalty equal TRL ${fixture.trl}'s OnlineDPOTrainer.training_step`, () => {
  const { inputs, cases } = fixture.onlineDpo;
  const [N, W] = inputs.ids.shape as [number, number], P = N / 2, T = inputs.completionMask.shape[1]!, L = W - T;
  // The completion positions of the (prompt, completion) rows; TRL pairs row i with row i + P.
  const mask: Arr = { shape: [N, W], data: Array.from({ length: N * W }, (_, k) => (k % W >= L ? inputs.completionMask.data[Math.floor(k / W) * T + (k % W) - L]! : 0)) };
  const hasEos = Array.from({ length: N }, (_, i) => inputs.ids.data.slice(i * W + L, (i + 1) * W).includes(inputs.eos));
  for (const c of cases) {
    const what = `online-dpo ${JSON.stringify(c.params)}`;
    const values = onlineDpoCommand.resolve(['--model', 'm', '--task', 'arithmetic', ...trlFlags(c.params)])!.values;
    const scores = inputs.rewards.data.map((r, i) => r - (hasEos[i] ? 0 : values.missingEosPenalty));
    // alignkit lays a prompt's pair out as samples 2i and 2i + 1.
    const firstBetter = pairWinners(Array.from({ length: N }, (_, k) => scores[(k % 2) * P + Math.floor(k / 2)]!));
    const chosen = firstBetter.map((f, i) => (f ? i : i + P)), rejected = firstBetter.map((f, i) => (f ? i + P : i));
    const logits = leaf(inputs.logits);
    const { logps } = completionLogps(logits, inputs.ids, mask);
    const ref = completionLogps(leaf(inputs.refLogits), inputs.ids, mask).logps.toArray();
    const pick = (rows: number[]) => new Tensor(Float32Array.from({ length: rows.length * N }, (_, k) => (rows[Math.floor(k / N)] === k % N ? 1 : 0)), [rows.length, N]);
    const pc = sum(mul(logps, pick(chosen)), 1), pr = sum(mul(logps, pick(rejected)), 1);
    const out = dpoLoss(pc, pr, chosen.map((i) => ref[i]!), rejected.map((i) => ref[i]!), onlineDpoLossOptions(values));
    closeTo([out.loss.item()], [c.loss], `${what} loss`);
    out.loss.backward();
    closeTo(logits.grad!.data, c.grad.data, `${what} d loss/d logits`);
  }
});
