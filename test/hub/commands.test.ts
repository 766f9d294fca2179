// Every command that takes a model reads a Hub id in each of its model flags (--model, --reference,
// --reward-model, --policy) and `--data org/dataset[:split]`, from the loopback Hub through
// HF_ENDPOINT and HF_HUB_CACHE; a run's config.json records the snapshot it used. Then the CLI
// itself: offline from that cache, and the errors a person meets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { commands } from '../../src/cli/commands.js';
import type { Option } from '../../src/config/index.js';
import { closedEndpoint, LoopbackHub } from '../fixtures/hub/loopback-hub.js';

const ID = 'alignkit-test/tiny-llama', RM = 'alignkit-test/tiny-rm';
const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'alignkit-hub-cli-'));
const cache = join(root, 'hf-cache');
const saved = { env: { ...process.env }, log: console.log, error: console.error };
let hub: LoopbackHub;
let printed: string[] = [], stderr: string[] = [];
const writeStderr = process.stderr.write.bind(process.stderr);

before(async () => {
  hub = await LoopbackHub.start();
  Object.assign(process.env, { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HOME: join(root, 'hf-home') });
  delete process.env.HF_HUB_OFFLINE;
  delete process.env.HF_TOKEN;
  console.log = (s: string) => { printed.push(String(s)); };
  console.error = () => {};
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr.push(String(chunk)); return true; }) as typeof process.stderr.write;
});
after(async () => {
  Object.assign(console, { log: saved.log, error: saved.error });
  process.stderr.write = writeStderr;
  for (const k of ['HF_ENDPOINT', 'HF_HUB_CACHE', 'HF_HOME', 'HF_HUB_OFFLINE', 'HF_TOKEN']) if (saved.env[k] === undefined) delete process.env[k]; else process.env[k] = saved.env[k];
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

const snapshot = (id: string, rev = 'main') => join(cache, `models--${id.replace('/', '--')}`, 'snapshots', hub.commit(id, rev));
const run = async (name: string, args: string[]) => {
  const cmd = commands.find((c) => c.name === name)!;
  assert.equal(await cmd.run(args), 0, `${name} ${args.join(' ')}`);
};
/** The CLI as a child process; asynchronous, so that the loopback Hub in this process can answer it. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [main, ...args], { env });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}
const runConfig = (out: string) => JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
const arith = ['--task', 'arithmetic', '--task-opts', 'digits=1,trainSize=4,testSize=2'];
const rl = ['--steps', '1', '--prompts-per-step', '2', '--max-new-tokens', '2', '--quiet'];

test('every model flag of every command takes a Hub id; --data takes a Hub dataset', async () => {
  const out = (n: string) => join(root, n);
  printed = [];
  await run('generate', ['--model', ID, '--prompt', 'ab', '--max-new-tokens', '2', '--json']);
  assert.equal(JSON.parse(printed[0]!).prompt, 'ab');
  assert.match(stderr.join(''), /^download alignkit-test\/tiny-llama\/model\.safetensors \d+\/\d+ · /m, 'progress on stderr');
  printed = [];
  await run('eval', ['--model', `${ID}@v1`, '--data', 'alignkit-test/two-configs:main/train', '--all', '--seq-len', '8', '--json']);
  assert.equal(JSON.parse(printed[0]!).model, snapshot(ID, 'v1'));
  stderr = []; // from here on every command is --quiet: no progress
  await run('sft', ['--model', ID, '--data', 'alignkit-test/two-configs:socratic/train', '--steps', '1', '--seq-len', '16', '--out', out('sft'), '--quiet']);
  assert.deepEqual(runConfig(out('sft')).start, { model: snapshot(ID) });
  await run('dpo', ['--model', ID, '--reference', `${ID}@v1`, '--data', 'alignkit-test/prefs', '--eval-data', 'alignkit-test/prefs:test', '--steps', '1', '--out', out('dpo'), '--quiet']);
  assert.deepEqual([runConfig(out('dpo')).model, runConfig(out('dpo')).reference], [snapshot(ID), snapshot(ID, 'v1')]);
  await run('reward', ['--model', ID, '--policy', `${ID}@v1`, '--data', 'alignkit-test/prefs-jsonl', '--steps', '1', '--normalize', '2', '--normalize-tokens', '4', '--out', out('reward'), '--quiet']);
  assert.deepEqual([runConfig(out('reward')).model, runConfig(out('reward')).policy], [snapshot(ID), snapshot(ID, 'v1')]);
  for (const name of ['ppo', 'grpo', 'rloo']) {
    await run(name, ['--model', ID, '--reward-model', RM, ...arith, ...rl, '--out', out(name), ...(name === 'ppo' ? [] : ['--samples-per-prompt', '2'])]);
    assert.deepEqual([runConfig(out(name)).model, runConfig(out(name)).rewardModel], [snapshot(ID), snapshot(RM)], name);
  }
  await run('rest-em', ['--model', ID, '--policy', `${ID}@v1`, ...arith, '--iterations', '1', '--samples', '1', '--max-new-tokens', '2', '--m-steps', '1', '--k', '1',
    '--validation-problems', '1', '--train-eval-problems', '1', '--out', out('rest-em'), '--quiet']);
  assert.deepEqual([runConfig(out('rest-em')).model, runConfig(out('rest-em')).policy], [snapshot(ID), snapshot(ID, 'v1')]);
  await run('rest', ['--model', ID, '--reward', '0.5*chrf+0.5*rm:alignkit-test/tiny-rm', '--task', 'g2p', '--task-opts', 'trainSize=8,testSize=2', '--grow-steps', '1', '--improve-steps', '1', '--samples', '1', '--max-new-tokens', '2',
    '--validation', '2', '--improve-max-steps', '1', '--batch-size', '2', '--original', '2', '--out', out('rest'), '--quiet']);
  assert.deepEqual([runConfig(out('rest')).model, runConfig(out('rest')).reward], [snapshot(ID), `0.5*chrf+0.5*rm:${snapshot(RM)}`]);
  await run('ser', ['--model', ID, '--data', 'alignkit-test/prefs', '--seed-fraction', '0.3', '--eval-fraction', '0.2', '--rm-steps', '1', '--max-loops', '1', '--min-pairs', '2',
    '--dpo-steps', '1', '--out', out('ser'), '--quiet']);
  assert.equal(runConfig(out('ser')).model, snapshot(ID));
  assert.deepEqual(stderr.filter((l) => l.includes('download ')), []);
  // Each file crossed the wire once however many commands read it, and once for the two revisions
  // of tiny-llama that share all but their weights: 5 + 1 of them, tiny-rm's 5, prefs' train and
  // test split, prefs-jsonl's converted train split, one file of each of two-configs' configs.
  const perRepo: Record<string, number> = {};
  for (const r of hub.transfers().filter((x) => x.path.includes('/resolve/'))) {
    const id = r.path.replace(/^\/datasets/, '').split('/').slice(1, 3).join('/');
    perRepo[id] = (perRepo[id] ?? 0) + 1;
  }
  assert.deepEqual(perRepo, { [ID]: 6, [RM]: 5, 'alignkit-test/prefs': 2, 'alignkit-test/prefs-jsonl': 1, 'alignkit-test/two-configs': 2 });
});

test('the model and dataset flags are declared as Hub ids, in every command that has them', () => {
  const optionsOf = (c: (typeof commands)[number]) => Object.entries((c as { options?: { options: Record<string, unknown> } }).options?.options ?? {});
  const flagged = commands.flatMap((c) => optionsOf(c).filter(([, e]) => (e as Option).hub === 'model').map(([k]) => `${c.name} ${k}`));
  assert.deepEqual(flagged.sort(), [
    'cpo model', 'dpo model', 'dpo reference', 'eval model', 'eval rewardModel', 'export model', 'generate model', 'grpo model', 'grpo rewardModel', 'kto model', 'kto reference',
    'online-dpo model', 'online-dpo rewardModel', 'orpo model', 'ppo model', 'ppo rewardModel', 'reinforce-pp model', 'reinforce-pp rewardModel', 'rest model', 'rest-em model',
    'rest-em policy', 'reward model', 'reward policy', 'rloo model', 'rloo rewardModel', 'ser model', 'serve model', 'sft model', 'simpo model',
  ]);
  for (const c of commands) {
    for (const [k, e] of optionsOf(c)) {
      if ((e as Option).kind !== 'option' || (e as Option).type !== 'string') continue;
      if (['model', 'reference', 'rewardModel', 'policy'].includes(k)) assert.equal((e as Option).hub, 'model', `${c.name} --${k} names a model: it must take a Hub id`);
      if (['data', 'evalData', 'prompts'].includes(k)) assert.equal((e as Option).hub, 'dataset', `${c.name} --${k} names a dataset: its help must say it takes a Hub dataset`);
    }
  }
});

test('the CLI offline: HF_HUB_OFFLINE=1 runs from the cache the first test filled; nothing cached is a clear error', async () => {
  const env = { ...process.env, HF_HUB_OFFLINE: '1', HF_ENDPOINT: await closedEndpoint() };
  const ok = await cli(['generate', '--model', ID, '--prompt', 'ab', '--max-new-tokens', '2', '--json'], env);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout.trim().split('\n')[0]!).prompt, 'ab');
  assert.match(ok.stderr, /generate: alignkit-test\/tiny-llama: commit [0-9a-f]{12}, 5 file\(s\) \(from the cache, offline\)/);
  const miss = await cli(['generate', '--model', 'alignkit-test/private-llama', '--prompt', 'ab'], env);
  assert.equal(miss.status, 1);
  assert.match(miss.stderr, /^alignkit: --model alignkit-test\/private-llama: no local directory of that name, and from the Hub: alignkit-test\/private-llama: HF_HUB_OFFLINE is set, and the cache has nothing of it/);
});

test('the CLI online: a private model needs HF_TOKEN; a bad id writes nothing', async () => {
  const out = join(root, 'never');
  const denied = await cli(['dpo', '--model', 'alignkit-test/private-llama', '--data', 'alignkit-test/prefs', '--out', out], process.env);
  assert.equal(denied.status, 1);
  assert.match(denied.stderr, /--model alignkit-test\/private-llama: no local directory of that name, and from the Hub: alignkit-test\/private-llama \(model on http:\/\/127\.0\.0\.1:\d+\): not found, or private \(401: Repository not found\); for a private or gated repository set HF_TOKEN/);
  assert.equal(existsSync(out), false);
  const allowed = await cli(['generate', '--model', 'alignkit-test/private-llama', '--prompt', 'ab', '--max-new-tokens', '1'], { ...process.env, HF_TOKEN: hub.token });
  assert.equal(allowed.status, 0, allowed.stderr);
  const typo = await cli(['dpo', '--model', ID, '--data', 'alignkit-test/prefs:validation', '--out', out], process.env);
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /alignkit-test\/prefs: no Parquet files of split "validation" in revision main; its splits: test, train/);
  assert.equal(existsSync(out), false);
});
