// `alignkit bench`: alignkit against its peers on this machine, side by side and from one run:
// sgemm against OpenBLAS and the FMA peak, a GPT training step against PyTorch and
// TensorFlow.js-wasm, and KV-cache sampling against PyTorch. Each contender runs in a child
// process of its own (src/cli/bench/), so that the peak RSS reported is its own. A peer whose own
// matmul shows it is not on an optimised BLAS gets no ratio (bench/peer-check.ts).
import { availableParallelism } from 'node:os';
import { bool, declareConfig, optionalNum, optionalText, text } from '../../../config/index.js';
import { findPeers, removeHarnesses } from '../../bench/peers.js';
import { makePlan } from '../../bench/plan.js';
import { formatReport } from '../../bench/report.js';
import { runBench, runProfile, type BenchResult } from '../../bench/run.js';
import { isRealLine, makeRealPlan, REAL_LINES } from '../../bench/real/plan.js';
import { runReal } from '../../bench/real/run.js';
import type { RealConfig } from '../../bench/real/shapes.js';
import { defineCommand } from '../../command.js';
import { UsageError } from '../../flags.js';

const benchOptions = declareConfig('bench', {
  json: bool(false, 'print one JSON object: machine, settings, matmul, train, generate'),
  quick: bool(false, 'one short round of everything: a smoke test, not figures'),
  noPeers: bool(false, 'alignkit only (PyTorch, TensorFlow.js and OpenBLAS give null)'),
  configs: text('A,B', 'model configs, comma-separated: A, B (toy GPT-2s), C (SmolLM2-135M shape), D (Qwen2.5-0.5B shape)'),
  threads: optionalNum('threads for alignkit and the peers (default: the cores)', { integer: true, min: 1 }),
  repeats: optionalNum('turns each contender takes per line (default 3; 1 with --quick)', { integer: true, min: 1 }),
  tfjsB: bool(false, 'also train config B with TensorFlow.js-wasm (minutes per step)'),
  python: optionalText('python interpreter with torch (default: $ALIGNKIT_PYTHON, else the newest torch of $VIRTUAL_ENV/bin/python, python3, /usr/bin/python3)'),
  lines: text(REAL_LINES.join(','), 'C/D lines to run, comma-separated: generate, lora, full (e.g. lora alone for the LoRA step and its peers)'),
  profile: bool(false, "also profile alignkit's training steps and sampling by kernel (C, D: a batch-1 decode and a LoRA step)"),
  quiet: bool(false, 'no progress lines on stderr'),
});

export const benchCommand = defineCommand({
  name: 'bench',
  summary: 'benchmark matmul, training and sampling against OpenBLAS, PyTorch and TensorFlow.js',
  options: benchOptions,
  examples: ['alignkit bench', 'alignkit bench --json > bench.json', 'alignkit bench --quick --no-peers --json'],
  async run(o) {
    const configs = o.configs.split(',').map((s) => s.trim().toUpperCase());
    for (const c of configs) if (!['A', 'B', 'C', 'D'].includes(c)) throw new UsageError(`--configs: "${c}" is not a config; expected A, B, C or D, comma-separated (A,B or C,D)`);
    const threads = o.threads ?? availableParallelism();
    const plan = makePlan({
      quick: o.quick, peers: !o.noPeers, threads, configs: configs.filter((c): c is 'A' | 'B' => c === 'A' || c === 'B'), tfjsB: o.tfjsB,
      ...(o.repeats !== undefined ? { repeats: o.repeats } : {}),
    });
    const real = configs.filter((c): c is RealConfig => c === 'C' || c === 'D');
    const lines = o.lines.split(',').map((s) => s.trim().toLowerCase());
    for (const l of lines) if (!isRealLine(l)) throw new UsageError(`--lines: "${l}" is not a line; expected generate, lora or full, comma-separated`);
    const peers = findPeers({ peers: plan.peers, threads, triad: real.length > 0, ...(o.python ? { python: o.python } : {}) });
    const log = o.quiet ? () => {} : (s: string) => process.stderr.write(`bench: ${s}\n`);
    let result: BenchResult;
    try {
      result = runBench(plan, peers, log);
      if (o.profile) result.profile = runProfile(plan, log, result.notes);
      if (real.length > 0) {
        const r = runReal(makeRealPlan({ configs: real, quick: o.quick, threads, peers: plan.peers, profile: o.profile, lines: lines.filter(isRealLine) }), peers, log, result.notes, result.machine['pytorch_trusted'] !== false);
        result.real = r.result;
        if (o.profile) result.profile = [...(result.profile ?? []), ...r.profile];
      }
    } finally {
      removeHarnesses(peers);
    }
    console.log(o.json ? JSON.stringify(result) : formatReport(result));
    return 0;
  },
});
