// ORPO, CPO and SimPO on a tiny model: no reference model, the chosen completions gain on the
// rejected ones, every parameter moves, and each loss reads the log-probabilities TRL's does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { sequenceLogprob, tokenLogprobs } from '../trainer/logprobs.js';
import { pairLogps } from '../trainer/offline/pair-trainer.js';
import { tokenizePairs, type PreferencePair } from '../trainer/preference-data.js';
import { trainCpo } from '../cpo/cpo.js';
import { resolveCpoConfig, simpoConfig } from '../cpo/config.js';
import { trainOrpo } from './orpo.js';

const tok = new ByteTokenizer();
const tiny = (seed: number) => new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 40, initStd: 0.1 }), undefined, seed);
const WORDS = ['sun', 'tea', 'cat', 'map', 'pen', 'car', 'box', 'hat', 'cup', 'owl', 'fig', 'jam'];
const pairs: PreferencePair[] = WORDS.map((w, i) => ({ prompt: `Is the ${w} ok?`, chosen: ` yes, ${WORDS[(i + 1) % 12]}`, rejected: ` no, ${WORDS[(i + 5) % 12]}` }));
const snapshot = (m: Transformer) => new Map([...m.params].map(([k, v]) => [k, v.f32.slice()]));
const gap = (m: Transformer) => pairs.reduce((s, p) => {
  const lp = (c: string) => sequenceLogprob(tokenLogprobs(m, [{ prompt: tok.encode(p.prompt), completion: [...tok.encode(c), tok.eos!] }], 1, tok.pad!)).item();
  return s + (lp(p.chosen) - lp(p.rejected)) / pairs.length;
}, 0);
const cfg = { steps: 40, batchSize: 4, lr: 1e-2, warmupSteps: 0, seed: 1 };

const runs: [string, (policy: Transformer) => Promise<{ logs: { loss: number; accuracy: number }[] }>][] = [
  ['orpo', (policy) => trainOrpo({ policy, tokenizer: tok, pairs, config: cfg, quiet: true })],
  ['cpo', (policy) => trainCpo({ policy, tokenizer: tok, pairs, config: cfg, quiet: true })],
  ['simpo', (policy) => trainCpo({ name: 'simpo', policy, tokenizer: tok, pairs, config: { ...simpoConfig.defaults, ...cfg }, quiet: true })],
  ['cpo hinge', (policy) => trainCpo({ policy, tokenizer: tok, pairs, config: { ...cfg, lossType: 'hinge' }, quiet: true })],
];

for (const [name, run] of runs) {
  test(`${name}: the chosen completions gain on the rejected ones and every parameter changes`, async () => {
    const policy = tiny(4), before = snapshot(policy), gap0 = gap(policy);
    const { logs } = await run(policy);
    const gap1 = gap(policy);
    assert.ok(gap1 > gap0 + 3, `log π(chosen) − log π(rejected): ${gap0} → ${gap1}`);
    assert.ok(logs.at(-1)!.loss < logs[0]!.loss, `loss ${logs[0]!.loss} → ${logs.at(-1)!.loss}`);
    assert.equal(logs.at(-1)!.accuracy, 1);
    for (const [k, v] of policy.params) assert.notDeepEqual(v.f32, before.get(k), `${k} did not change`);
  });
}

test('pair log-probabilities: sums and token means of each completion, NLL over completions or whole sequences', () => {
  const m = tiny(5);
  const batch = tokenizePairs(pairs.slice(0, 3), tok, 40).pairs;
  const lp = pairLogps(m, batch, tok.pad!, 'completion'), seq = pairLogps(m, batch, tok.pad!, 'sequence');
  batch.forEach((p, i) => {
    const one = (c: number[]) => sequenceLogprob(tokenLogprobs(m, [{ prompt: p.prompt, completion: c }], 1, tok.pad!)).item();
    assert.ok(Math.abs(lp.chosen.data[i]! - one(p.chosen)) < 1e-4 && Math.abs(lp.rejected.data[i]! - one(p.rejected)) < 1e-4);
    assert.ok(Math.abs(lp.chosenMean.data[i]! - one(p.chosen) / p.chosen.length) < 1e-5);
    assert.ok(Math.abs(seq.chosen.data[i]! - lp.chosen.data[i]!) < 1e-4, 'scoring the prompt leaves the completion sums as they were');
  });
  const tokens = batch.reduce((s, p) => s + p.chosen.length, 0);
  assert.ok(Math.abs(lp.nll!.item() + Array.from(lp.chosen.data).reduce((a, b) => a + b, 0) / tokens) < 1e-5);
  assert.ok(seq.nll!.item() > 0 && Math.abs(seq.nll!.item() - lp.nll!.item()) > 1e-3, 'the whole-sequence NLL also counts the prompt');
  assert.equal(pairLogps(m, batch, tok.pad!, null).nll, null);
  assert.throws(() => resolveCpoConfig({ lossType: 'dpo' as 'ipo' }), /lossType = "dpo", expected one of sigmoid, hinge, ipo, simpo|expected sigmoid/);
});
