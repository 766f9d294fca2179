// A run SIGKILLed at any moment and resumed ends exactly where an uninterrupted one ends (issue 16,
// part 5): `alignkit sft`, and `alignkit rest-em` on the program task, whose E-steps run model
// written code in sandbox processes. Each is run once without a break, then killed as soon as its
// run directory appears (before any checkpoint), rerun without --resume (refused, its metrics
// left alone), and killed again at random moments, each time resumed with --resume, until a run
// finishes. The two run directories must then hold the same files, byte for byte, except what
// records the wall clock (`time` and `tokensPerSec` in metrics.jsonl, `at` in state.json): the
// same weights, checkpoints, optimizer moments, samples and metrics.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { runSftJob } from '../../src/align/sft/job.js';
import { programTask } from '../../src/data/tasks/builtin/program-task.js';
import { tempDir } from '../../src/io/temp-dir.test.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const root = tempDir('alignkit-kill-resume-');

interface Run { killed: boolean; code: number | null; stderr: string }

interface Kill {
  /** Kill as soon as this file exists. */
  whenExists?: string;
  /** Kill `thenMs` after state.json lists at least this many completed stages. */
  afterStages?: { atLeast: number; thenMs: number };
}

const stagesDone = (dir: string): number => {
  try {
    return (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { completed: unknown[] }).completed.length;
  } catch {
    return 0; // not written yet (it is replaced atomically, so never half-written)
  }
};

/** Runs `alignkit args` with its run in `out`, and kills it at the moment `kill` names. */
function alignkit(args: string[], out: string, kill: Kill = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '', armed = false;
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const poll = kill.whenExists || kill.afterStages ? setInterval(() => {
      if (kill.whenExists && existsSync(kill.whenExists)) child.kill('SIGKILL');
      if (kill.afterStages && !armed && stagesDone(out) >= kill.afterStages.atLeast) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), kill.afterStages.thenMs);
      }
    }, 1) : null;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (poll) clearInterval(poll);
      resolve({ killed: signal === 'SIGKILL', code, stderr });
    });
  });
}

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

const WALL_CLOCK = new Set(['time', 'tokensPerSec']);
const metricsOf = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) =>
  Object.fromEntries(Object.entries(JSON.parse(l) as Record<string, unknown>).filter(([k]) => !WALL_CLOCK.has(k))));
const stagesOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { completed: { stage: string; result: unknown }[] }).completed.map((c) => [c.stage, c.result]);

/** Every file of `got` is the file of `want`, byte for byte, but for the wall-clock fields. */
function assertSameRun(want: string, got: string): void {
  assert.deepEqual(files(got), files(want), 'the same files, no leftovers');
  for (const f of files(want)) {
    const a = join(want, f), b = join(got, f);
    if (f === 'metrics.jsonl') assert.deepEqual(metricsOf(b), metricsOf(a), f);
    else if (f === 'state.json') assert.deepEqual(stagesOf(b), stagesOf(a), f);
    else assert.ok(readFileSync(a).equals(readFileSync(b)), `${f} differs`);
  }
}

/** 0 … 1, from a fixed seed: the moments differ from kill to kill, the same in every run of the test. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/**
 * The whole procedure for one command. The random kills come after a random number of completed
 * stages (rising from kill to kill, short of the last two) and a further random 0–25 ms, so each
 * lands while the command runs: in a step, a sample, a verification or a checkpoint write.
 * Returns how many of them landed.
 */
async function killAndResume(name: string, args: string[], randomKills: number, seed: number): Promise<number> {
  const want = join(root, `${name}-uninterrupted`), got = join(root, `${name}-killed`);
  const whole = await alignkit(args, want);
  assert.equal(whole.code, 0, whole.stderr);
  const stages = stagesOf(join(want, 'state.json')).length;

  const early = await alignkit(args, got, { whenExists: join(got, 'config.json') });
  assert.ok(early.killed, `${name}: not killed as its run directory appeared (${early.stderr})`);
  assert.equal(stagesDone(got), 0, `${name}: killed before its first stage, and so before its first checkpoint`);
  const metrics = join(got, 'metrics.jsonl'), before = existsSync(metrics) ? readFileSync(metrics, 'utf8') : null;
  const again = await alignkit(args, got);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already holds a run .*pass --resume to continue it/);
  assert.equal(existsSync(metrics) ? readFileSync(metrics, 'utf8') : null, before, 'a rerun without --resume appends nothing to metrics.jsonl');

  const rand = random(seed);
  let landed = 0, atLeast = 0;
  for (let i = 0; i < randomKills; i++) {
    atLeast = Math.min(stages - 2, atLeast + 1 + Math.floor(rand() * 2));
    const r = await alignkit([...args, '--resume'], got, { afterStages: { atLeast, thenMs: Math.floor(rand() * 25) } });
    if (r.killed) landed++;
    else assert.equal(r.code, 0, r.stderr);
  }
  const last = await alignkit([...args, '--resume'], got);
  assert.equal(last.code, 0, last.stderr);
  assertSameRun(want, got);
  return landed;
}

test('alignkit sft killed at random moments and resumed ends bit for bit as an uninterrupted run', async () => {
  const data = join(root, 'text.jsonl');
  writeFileSync(data, Array.from({ length: 80 }, (_, i) => JSON.stringify({ text: `line ${i}: the whale swam ${i % 7} leagues past the ship` })).join('\n') + '\n');
  const args = ['sft', '--data', data, '--d-model', '32', '--layers', '2', '--heads', '2', '--seq-len', '32', '--batch-size', '8',
    '--steps', '80', '--save-every', '16', '--eval-every', '20', '--quiet'];
  assert.ok(await killAndResume('sft', args, 4, 7) >= 1, 'no random kill landed while sft ran');
});

// A seed policy that has seen the program task's references writes some programs that compile and
// pass, so the E-steps run code in the sandbox and the M-steps have kept samples to train on.
const seed = join(root, 'seed');
before(async () => {
  const pairs = join(root, 'programs.jsonl');
  writeFileSync(pairs, programTask().train.map((p) => JSON.stringify({ prompt: p.prompt, completion: p.reference })).join('\n') + '\n');
  await runSftJob({ data: pairs, tokenizer: 'char', dModel: 64, layers: 2, heads: 2, seqLen: 192, batchSize: 8, steps: 200, lr: 5e-3, warmupSteps: 10, out: seed, quiet: true });
});

test('alignkit rest-em on the program task killed at random moments and resumed ends bit for bit as an uninterrupted run', async () => {
  const model = join(seed, 'model');
  const args = ['rest-em', '--task', 'program', '--model', model, '--policy', model, '--iterations', '2', '--samples', '2', '--max-new-tokens', '64',
    '--validation-problems', '2', '--train-eval-problems', '4', '--k', '1', '--m-steps', '4', '--m-step-eval-every', '2', '--quiet'];
  assert.ok(await killAndResume('rest-em', args, 3, 11) >= 1, 'no random kill landed while rest-em ran');
  const eStep = readFileSync(join(root, 'rest-em-killed', 'samples', 'iter1__e-step.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { verifier: { detail: string } });
  assert.ok(eStep.some((s) => /^pass: /.test(s.verifier.detail)), 'some samples ran in the sandbox and passed');
});
