import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { sequenceLogprob, tokenLogprobs } from '../trainer/logprobs.js';
import type { UnpairedExample } from '../trainer/preference-data.js';
import { resolveKtoConfig } from './config.js';
import { trainKto, withPartners } from './kto.js';

const tok = new ByteTokenizer();
const tiny = (seed: number) => new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 40, initStd: 0.1 }), undefined, seed);
const WORDS = ['sun', 'tea', 'cat', 'map', 'pen', 'car', 'box', 'hat', 'cup', 'owl', 'fig', 'jam'];
// Desirable completions say yes, undesirable ones no; unbalanced, as feedback data often is.
const examples: UnpairedExample[] = WORDS.flatMap((w, i) => [
  { prompt: `Is the ${w} ok?`, completion: ` yes, ${WORDS[(i + 1) % 12]}`, label: true },
  ...(i % 3 ? [{ prompt: `Is the ${w} ok?`, completion: ` no, ${WORDS[(i + 5) % 12]}`, label: false }] : []),
]);
const snapshot = (m: Transformer) => new Map([...m.params].map(([k, v]) => [k, v.f32.slice()]));
const logp = (m: Transformer, prompt: string, completion: string) =>
  sequenceLogprob(tokenLogprobs(m, [{ prompt: tok.encode(prompt), completion: [...tok.encode(completion), tok.eos!] }], 1, tok.pad!)).item();

test('KTO: 0.5 at the first step (π = ref, z₀ = 0), desirable completions rise over undesirable ones, every parameter changes', async () => {
  const policy = tiny(1), start = tiny(1);
  const before = snapshot(policy);
  const res = await trainKto({ policy, tokenizer: tok, examples, config: { steps: 40, batchSize: 6, lr: 1e-2, warmupSteps: 0, seed: 2, desirableWeight: 1, undesirableWeight: 1.25 }, quiet: true });
  assert.ok(Math.abs(res.logs[0]!.loss - 0.5 * (1 + 0.25 * (1 - res.logs[0]!.desirable))) < 1e-5, `first loss ${res.logs[0]!.loss}`);
  assert.equal(res.logs[0]!.kl, 0);
  const shift = (m: Transformer, e: UnpairedExample) => logp(m, e.prompt, e.completion) - logp(start, e.prompt, e.completion);
  const good = examples.filter((e) => e.label).map((e) => shift(policy, e)), bad = examples.filter((e) => !e.label).map((e) => shift(policy, e));
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  assert.ok(mean(good) > mean(bad) + 5, `log-ratio shift: desirable ${mean(good)}, undesirable ${mean(bad)}`);
  const tail = res.logs.slice(-5);
  assert.ok(tail.every((l) => l.rewardDesirable > l.rewardUndesirable), 'implicit rewards separate');
  for (const [k, v] of policy.params) assert.notDeepEqual(v.f32, before.get(k), `${k} did not change`);
});

test('KTO pairs each example with another\'s completion for the KL estimate, never its own', () => {
  const pairs = withPartners(examples, 3);
  pairs.forEach((p, i) => {
    assert.equal(p.chosen, examples[i]!.completion);
    assert.ok(examples.some((e, j) => j !== i && e.completion === p.rejected), `example ${i} is its own partner`);
  });
  assert.deepEqual(new Set(pairs.map((p) => p.rejected)).size, new Set(examples.map((e) => e.completion)).size, 'every completion is someone\'s partner');
  assert.throws(() => withPartners(examples.slice(0, 1), 0), /at least 2 examples/);
  assert.throws(() => resolveKtoConfig({ batchSize: 1 }), /batchSize = 1, expected an integer ≥ 2/);
  assert.throws(() => resolveKtoConfig({ desirableWeight: 0, undesirableWeight: 0 }), /both 0/);
});
