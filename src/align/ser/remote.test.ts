// ser --policy-step ppo with --generator against a fake OpenAI-compatible server (a real process,
// test/fixtures/fake-generator-server.ts): its PPO step's rollouts and reward-normalisation samples
// come from the server (equal to the in-process ones: the same reward normalisation and first-step
// score), and the policy is pushed after every update.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { startFake, type FakeServer } from '../../../test/fixtures/fake-servers.js';
import { runSerJob } from './job.js';

const root = tempDir('alignkit-ser-remote-');
const lm = join(root, 'lm'), prefs = join(root, 'prefs.jsonl');
const tok = new ByteTokenizer();
saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 48 }), undefined, 1), { tokenizer: tok });
const S = ['film', 'meal', 'day', 'book', 'song', 'trip', 'town', 'game'], P = ['good', 'great', 'nice', 'kind'], N = ['bad', 'awful', 'sad', 'vile'];
writeFileSync(prefs, S.flatMap((s, i) => P.map((p, j) => JSON.stringify({ prompt: `${s}:`, chosen: ` a ${p} ${s}`, rejected: ` a ${N[(i + j) % 4]} ${s}` }))).join('\n') + '\n');
const started: FakeServer[] = [];
after(async () => { for (const f of started) await f.kill(); });

test('ser --policy-step ppo --generator: samples from the server, a push per update, the in-process run\'s policy', async () => {
  const f = await startFake(lm);
  started.push(f);
  const base = {
    model: lm, data: prefs, seedFraction: 0.3, evalFraction: 0.2, rmSteps: 10, lr: 1e-2, maxLoops: 1, minPairs: 2,
    policyStep: 'ppo' as const, ppoSteps: 2, promptsPerStep: 4, maxNewTokens: 4, ppoLr: 1e-2, quiet: true,
  };
  const local = join(root, 'local'), remote = join(root, 'remote');
  const inProcess = await runSerJob({ ...base, out: local });
  const served = await runSerJob({ ...base, out: remote, generator: f.url });
  await f.settle();
  assert.ok(f.served().length > 0, 'the server drew samples');
  const pushed = f.lines.filter((l) => l.startsWith('loaded '));
  assert.ok(pushed.length >= 2, `a push per PPO update: ${pushed.join('; ')}`);
  const weights = (d: string) => [...loadModelDir(d, { tokenizer: false }).model.params.values()].flatMap((t) => [...t.f32]);
  const policy = weights(join(remote, 'checkpoints', 'policy'));
  // The samples are the in-process ones: the reward normalisation (scores of the reference's
  // samples) and the first PPO step's mean score are equal to the last bit. The trained weights
  // agree closely but not bitwise: the remote path recomputes the behaviour log-probabilities by
  // teacher forcing where the in-process one keeps the decoder's, which differ in the last bits,
  // and Adam's normalised steps carry that into the weights.
  assert.deepEqual(served.ppo!.normalisation, inProcess.ppo!.normalisation);
  assert.equal(served.ppo!.first!.score, inProcess.ppo!.first!.score);
  const want = weights(join(local, 'checkpoints', 'policy'));
  const worst = policy.reduce((m, x, i) => Math.max(m, Math.abs(x - want[i]!)), 0);
  assert.equal(policy.length, want.length);
  assert.ok(worst < 1e-3, `max |Δ weight| ${worst}`);
  assert.notDeepEqual(policy, weights(lm), 'PPO changed the policy');
});
