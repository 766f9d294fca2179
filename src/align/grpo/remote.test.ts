// grpo, rloo and ppo with --generator against a fake OpenAI-compatible server (a real process,
// test/fixtures/fake-generator-server.ts): pushed every update (the default), the rollouts are the
// in-process run's, which they can only be if the server sampled each step from the updated
// policy; with --generator-sync-every 2 the pushes fall on updates 0, 2, … and nowhere else.
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../../io/temp-dir.test.js';
import { readJsonl } from '../../io/jsonl.js';
import { addScalarHead, defaultConfig, loadModelDir, saveModelDir, Transformer } from '../../model/index.js';
import { ByteTokenizer } from '../../tokenizer/index.js';
import { startFake, type FakeServer } from '../../../test/fixtures/fake-servers.js';
import { runPpoJob } from '../ppo/job.js';
import { runRlooJob } from '../rloo/job.js';
import { runGrpoJob } from './job.js';

const dir = tempDir('alignkit-grpo-remote-');
const lm = join(dir, 'lm'), rm = join(dir, 'rm'), prompts = join(dir, 'prompts.jsonl');
const tok = new ByteTokenizer();
const model = new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 64 }), undefined, 2);
saveModelDir(lm, model, { tokenizer: tok });
// A random reward model: scores that vary within a group, so every step updates the policy.
addScalarHead(model, 'score');
saveModelDir(rm, model, { tokenizer: tok });
writeFileSync(prompts, ['{"prompt":"one"}', '{"prompt":"two"}', '{"prompt":"three"}'].join('\n') + '\n');
const started: FakeServer[] = [];
after(async () => { for (const f of started) await f.kill(); });
const fake = async () => { const f = await startFake(lm); started.push(f); return f; };
const base = { model: lm, rewardModel: rm, prompts, promptsPerStep: 2, samplesPerPrompt: 2, maxNewTokens: 3, saveEvery: 0, lr: 1e-2, quiet: true } as const;

/** Every rollout sample of a run: prompt, completion text, finish reason. */
const rollouts = (out: string) => readdirSync(join(out, 'samples')).sort().flatMap((f) => readJsonl(join(out, 'samples', f)).map((r) => {
  const v = r.value as Record<string, unknown>;
  return [v['promptId'], v['sample'], v['finishReason']];
}));
const pushes = async (f: FakeServer) => { await f.settle(); return f.lines.filter((l) => l.startsWith('loaded ')).map((l) => l.split(' ')[2]); };

test('grpo --generator: pushed after every update, the rollouts equal the in-process run\'s', async () => {
  const f = await fake();
  const local = join(dir, 'grpo-local'), remote = join(dir, 'grpo-remote');
  await runGrpoJob({ ...base, steps: 3, out: local });
  await runGrpoJob({ ...base, steps: 3, out: remote, generator: f.url });
  assert.equal(rollouts(remote).length, 3 * 2 * 2);
  assert.deepEqual(rollouts(remote), rollouts(local));
  assert.deepEqual(await pushes(f), [0, 1, 2].map((u) => join(remote, 'generator-weights', `updates-${u}`)));
  const weights = (d: string) => [...loadModelDir(d, { tokenizer: false }).model.params.values()].flatMap((t) => [...t.f32]);
  assert.notDeepEqual(weights(join(remote, 'model')), weights(lm), 'the policy trained, so each push carried new weights');
});

test('grpo --generator-sync-every 2: pushes on updates 0 and 2 only', async () => {
  const f = await fake();
  const out = join(dir, 'grpo-sync2');
  await runGrpoJob({ ...base, steps: 4, out, generator: f.url, generatorSyncEvery: 2 });
  assert.deepEqual(await pushes(f), [0, 2].map((u) => join(out, 'generator-weights', `updates-${u}`)));
});

for (const [name, run] of [['ppo', runPpoJob], ['rloo', runRlooJob]] as const) {
  test(`${name} --generator: the rollouts equal the in-process run's`, async () => {
    const f = await fake();
    const local = join(dir, `${name}-local`), remote = join(dir, `${name}-remote`);
    await run({ ...base, steps: 2, out: local });
    await run({ ...base, steps: 2, out: remote, generator: f.url });
    assert.ok(rollouts(remote).length > 0);
    assert.deepEqual(rollouts(remote), rollouts(local));
    assert.deepEqual(await pushes(f), [0, 1].map((u) => join(remote, 'generator-weights', `updates-${u}`)));
  });
}
