// RLAIF: reward, dpo and ser train on pairs an LLM judge ordered (judged-pairs.ts), against a fake
// OpenAI-compatible judge that prefers the longer completion and cannot answer about "broken".
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeServer, type FakeServer } from '../../../test/fixtures/fake-openai-server.js';
import { tempDir } from '../../io/temp-dir.test.js';
import { readJsonl } from '../../io/jsonl.js';
import { defaultConfig, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { runDpoJob } from '../dpo/job.js';
import { runRewardJob } from '../reward/job.js';
import { runSerJob } from '../ser/job.js';

const root = tempDir('judged-pairs-');
const lm = join(root, 'lm'), unlabelled = join(root, 'ab.jsonl'), labelled = join(root, 'prefs.jsonl'), pairT = join(root, 'pair.txt'), scoreT = join(root, 'score.txt');
let srv: FakeServer;
const WORDS = ['film', 'meal', 'day', 'book', 'song', 'trip', 'town', 'game', 'walk', 'play', 'show', 'talk'];

before(async () => {
  const tok = new ByteTokenizer();
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 48 }), undefined, 1), { tokenizer: tok });
  // Which of a, b is longer alternates, so that the judge's order is not the file's.
  writeFileSync(unlabelled, [...WORDS.map((w, i) => {
    const long = ` a very good ${w}`, short = ` a ${w}`;
    return JSON.stringify({ prompt: `${w}:`, completion_a: i % 2 ? long : short, completion_b: i % 2 ? short : long });
  }), JSON.stringify({ prompt: 'broken:', completion_a: ' x', completion_b: ' yy' })].join('\n') + '\n');
  // Labels that agree with "longer is better" on 3 of every 4 pairs.
  writeFileSync(labelled, WORDS.map((w, i) => JSON.stringify({ prompt: `${w}:`, chosen: i % 4 ? ` a nice ${w}` : ` ${w}`, rejected: i % 4 ? ` ${w}` : ` a nice ${w}` })).join('\n') + '\n');
  writeFileSync(pairT, 'Q: {prompt}\nA: [[BEGIN]]{completion_a}[[END]]\nB: [[BEGIN]]{completion_b}[[END]]\nWinner?\n');
  writeFileSync(scoreT, 'Q: {prompt}\n[[BEGIN]]{completion}[[END]]\nScore?\n');
  srv = await startFakeServer({
    answer: (c) => {
      if (c.includes('Q: broken')) return 'hmm';
      const p = [...c.matchAll(/\[\[BEGIN\]\]([\s\S]*?)\[\[END\]\]/g)].map((m) => m[1]!);
      return p.length === 1 ? `Score: ${p[0]!.length}` : p[0]!.length >= p[1]!.length ? 'A' : 'B';
    },
  });
});
after(async () => { await srv.close(); });

const judged = (out: string) => readJsonl(join(out, 'judge-pairs.jsonl')).map((r) => r.value as { prompt: string; chosen: string; rejected: string; agreesWithFile?: boolean });

test('reward, dpo and ser train on the pairs the judge ordered; undecided pairs are dropped and recorded', async () => {
  const j = { judge: srv.url, judgeTemplate: pairT, judgeMode: 'pair' as const, judgeRetries: 0 };
  const rm = await runRewardJob({ model: lm, data: unlabelled, out: join(root, 'rm'), steps: 3, normalize: 0, evalFraction: 0.25, quiet: true, ...j });
  assert.equal(rm.trainPairs + rm.evalPairs, 12, 'the broken pair is undecided and left out');
  const dpo = await runDpoJob({ model: lm, data: unlabelled, out: join(root, 'dpo'), steps: 2, evalFraction: 0, quiet: true, ...j, judgeMode: 'score', judgeTemplate: scoreT, judgeMax: 100 });
  assert.equal(dpo.trainPairs, 12);
  const ser = await runSerJob({ model: lm, data: unlabelled, out: join(root, 'ser'), maxLoops: 1, rmSteps: 3, minPairs: 1, policyStep: 'none', evalFraction: 0.25, seedFraction: 0.5, quiet: true, ...j });
  assert.equal(ser.labelled + ser.unlabelled + ser.testPairs, 12);
  for (const run of ['rm', 'dpo', 'ser']) {
    const rows = judged(join(root, run));
    assert.equal(rows.length, 12, run);
    assert.ok(rows.every((r) => r.chosen.length > r.rejected.length), `${run}: the judge's pick (the longer) is chosen`);
    const f = readFileSync(join(root, run, 'judge-failures.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { fields: Record<string, string> });
    assert.ok(f.length >= 1 && f.every((x) => x.fields['prompt'] === 'broken:'), run);
  }
});

test('a labelled file is re-ordered by the judge, and its agreement with the labels logged', async () => {
  const lines: string[] = [];
  await runDpoJob({ model: lm, data: labelled, out: join(root, 'dpo-labelled'), steps: 1, evalFraction: 0, quiet: true, judge: srv.url, judgeTemplate: pairT, judgeMode: 'pair' }, { log: (s) => lines.push(s) });
  const rows = judged(join(root, 'dpo-labelled'));
  assert.equal(rows.filter((r) => r.agreesWithFile).length, 9);
  assert.ok(lines.some((l) => /the judge ordered 12 pairs, left 0 undecided; agrees with the file's labels on 75\.0%/.test(l)), lines.join('\n'));
});

test('judge options are checked before anything is written', async () => {
  await assert.rejects(runDpoJob({ model: lm, data: unlabelled, out: join(root, 'never'), judge: srv.url }), /dpo config: judge .* needs judgeTemplate/);
  await assert.rejects(runDpoJob({ model: lm, data: unlabelled, out: join(root, 'never'), judge: 'judge.mjs', judgeTemplate: pairT }), /expected an http:\/\/ or https:\/\/ URL/);
  await assert.rejects(runRewardJob({ model: lm, data: unlabelled, out: join(root, 'never'), judgeTemplate: pairT }), /judgeTemplate is given without judge/);
  writeFileSync(join(root, 'typo.txt'), 'Q: {prompt}\n{completion_a} {completion_c}\n');
  await assert.rejects(runDpoJob({ model: lm, data: unlabelled, out: join(root, 'never'), judge: srv.url, judgeTemplate: join(root, 'typo.txt'), judgeMode: 'pair' }), /typo\.txt:2: unknown placeholder \{completion_c\}/);
  assert.equal(existsSync(join(root, 'never')), false);
});
