// The runs the dashboard tests look at, made by the real commands on tiny models (seconds):
//   rest          a finished `alignkit rest` g2p run, with `alignkit eval --task` beside it (rest/eval);
//   rest-em       `alignkit rest-em` (one iteration), then continued in this process through the run
//                 store, so it is running while the tests watch and grows when they say (LiveRun);
//   sft-diverged  `alignkit sft --lr 1e30`: it stops at the first NaN gradient, a failed run;
//   ser           `alignkit demo ser --tiny`: SER loops and their pseudo-label precision;
//   flawed        a ReST run whose proxy reward climbs while the held-out metric falls. Seconds of
//                 training on a tiny model do not hack a reward, so this one is written through the
//                 run store with set figures and samples (the signal logic is what is under test).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Transformer, defaultConfig, saveModelDir } from '../model/index.js';
import { RunStore } from '../runs/run-store.js';
import type { SampleRecord } from '../runs/sample-record.js';
import { ByteTokenizer, CharTokenizer } from '../tokenizer/index.js';
import { g2pTask } from '../data/tasks/builtin/g2p.js';

const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `alignkit ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export interface LiveRun {
  /** Completes one more evaluation of the running ReST-EM run (stage iter<N>/eval). */
  evaluate(): Promise<void>;
  close(): void;
}

function growRecords(): SampleRecord[] {
  const out: SampleRecord[] = [];
  const threshold = { improve1: 0.5, improve2: 0.8 };
  for (let p = 0; p < 4; p++) {
    out.push({ promptId: `w${p}`, prompt: `word${p}\n`, sample: `REF ${p}`, reward: 1, verifier: { correct: true }, policy: 'data', source: 'data', sampling: { temperature: 0 }, kept: { improve1: true, improve2: true }, threshold });
    for (let s = 0; s < 3; s++) {
      // The flawed reward pays for length: a long, wrong answer scores high, and is drawn again and again.
      const reward = s === 0 ? 0.3 : 0.9;
      out.push({ promptId: `w${p}`, prompt: `word${p}\n`, sample: s === 0 ? `guess ${p}` : 'AA AA AA AA AA', reward, verifier: { correct: false, detail: `expected REF ${p}` },
        policy: 'policy0', source: 'policy', sampling: { temperature: 0.8 }, kept: { improve1: reward >= 0.5, improve2: reward >= 0.8 }, threshold });
    }
  }
  return out;
}

async function flawedRun(dir: string): Promise<void> {
  const run = RunStore.open(dir, { command: 'rest', reward: 'recall-unclipped', monitor: 'per', note: 'figures set by the test' }, { resume: false });
  const evals = [[0.3, 0.4, 8], [0.32, 0.41, 8.2], [0.55, 0.3, 9], [0.8, 0.2, 16]] as const;
  const names = ['policy0/eval', 'grow1/improve1/eval', 'grow1/improve2/eval', 'grow2/improve1/eval'];
  await run.stage(names[0]!, (s) => { s.log({ testReward: evals[0][0], testMonitor: evals[0][1], testLength: evals[0][2] }); return null; });
  await run.stage('grow1', (s) => { const w = s.samples(); w.write(growRecords()); w.commit(); s.log({ samples: 12, meanReward: 0.6 }); return null; });
  for (let i = 1; i < 4; i++) {
    await run.stage(names[i]!.replace(/\/eval$/, ''), (s) => { for (let step = 1; step <= 2; step++) s.log({ step, loss: 2 / (i + step) }); return null; });
    await run.stage(names[i]!, (s) => { s.log({ testReward: evals[i]![0], testMonitor: evals[i]![1], testLength: evals[i]![2] }); return null; });
  }
  run.close();
}

function tinyG2pModel(dir: string): string {
  const task = g2pTask({ trainSize: 30, testSize: 6 });
  const tok = CharTokenizer.fromCorpus([...task.train, ...task.test].map((p) => `${p.prompt}${p.reference}\n`).join(''));
  saveModelDir(dir, new Transformer(defaultConfig('llama', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 32 }), undefined, 1), { tokenizer: tok });
  return dir;
}

/** Makes every run under `root`; the ReST-EM one is left running in this process. */
export async function makeRuns(root: string): Promise<LiveRun> {
  const models = join(root, '..', `models-${Date.now()}`);
  const g2p = tinyG2pModel(join(models, 'g2p'));
  const g2pTaskArgs = ['--task', 'g2p', '--task-opts', 'trainSize=30,testSize=6'];
  cli('rest', ...g2pTaskArgs, '--model', g2p, '--out', join(root, 'rest'), '--reward', '0.5*chrf+0.5*per', '--monitor', 'per', '--schedule', 'percentile:0,50',
    '--loss', 'gold', '--grow-steps', '1', '--improve-steps', '2', '--samples', '2', '--max-new-tokens', '8', '--validation', '4', '--improve-max-steps', '2',
    '--eval-every', '1', '--batch-size', '4', '--original', '6', '--quiet');
  cli('eval', '--model', join(root, 'rest', 'model'), ...g2pTaskArgs, '--k', '2', '--max-new-tokens', '8', '--out', join(root, 'rest', 'eval'), '--quiet');

  const tok = new ByteTokenizer(), lm = join(models, 'bytes'), qa = join(models, 'qa.jsonl');
  saveModelDir(lm, new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 8, nHead: 2, nLayer: 1, maxSeqLen: 32 }), undefined, 1), { tokenizer: tok });
  writeFileSync(qa, Array.from({ length: 10 }, (_, i) => JSON.stringify({ prompt: `q${i}:`, answer: '.' })).join('\n') + '\n');
  const restEm = join(root, 'rest-em');
  cli('rest-em', '--task', qa, '--matcher', 'regex', '--model', lm, '--out', restEm, '--iterations', '1', '--samples', '2', '--max-new-tokens', '3',
    '--m-steps', '2', '--k', '1', '--validation-problems', '2', '--train-eval-problems', '2', '--quiet');

  const data = join(models, 'text.jsonl');
  writeFileSync(data, Array.from({ length: 30 }, (_, i) => JSON.stringify({ text: `line ${i} of a small text to train on` })).join('\n') + '\n');
  const sft = spawnSync(process.execPath, [main, 'sft', '--model', lm, '--data', data, '--seq-len', '16', '--batch-size', '4', '--steps', '5', '--lr', '1e30', '--out', join(root, 'sft-diverged'), '--quiet'], { encoding: 'utf8' });
  assert.equal(sft.status, 1, `sft --lr 1e30 should diverge: ${sft.stderr}`);
  assert.match(sft.stderr, /NaN|Infinity/);

  cli('demo', 'ser', '--tiny', '--quiet', '--json', '--out', join(root, 'ser'));
  await flawedRun(join(root, 'flawed'));

  // The ReST-EM run continues here: a resume that adds iterations, as `--resume --iterations 3` would.
  const config = JSON.parse(readFileSync(join(restEm, 'config.json'), 'utf8')) as Record<string, unknown>;
  const live = RunStore.open(restEm, { ...config, iterations: 3 }, { resume: true, resumeMayChange: ['iterations'] });
  let iteration = 1;
  return {
    async evaluate() {
      iteration++;
      await live.stage(`iter${iteration}/eval`, (s) => { s.log({ iteration, train_pass1: 1, test_pass1: 1, pass_at_k: 1, maj_at_k: 0, k: 1, kept: 10 + iteration }); return null; });
    },
    close: () => live.close(),
  };
}

/** Builds dist/web when a plain `tsc` build left it out (npm run build and npm test build it). */
export function ensureWebBuilt(): string {
  const repo = fileURLToPath(new URL('../../../', import.meta.url));
  const web = join(repo, 'dist', 'web');
  const stale = (() => {
    try {
      const built = statSync(join(web, 'app.js')).mtimeMs;
      return readdirSync(join(repo, 'web')).some((n) => statSync(join(repo, 'web', n)).mtimeMs > built);
    } catch {
      return true;
    }
  })();
  if (stale) {
    const r = spawnSync(process.execPath, [join(repo, 'scripts', 'build-web.mjs')], { cwd: repo, encoding: 'utf8' });
    assert.equal(r.status, 0, `scripts/build-web.mjs: ${r.stderr}`);
  }
  return web;
}

/** A digest of every file under `dir` (path, size, bytes), to show that browsing changed nothing. */
export function treeDigest(dir: string, except: (path: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (except(p)) continue;
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}
