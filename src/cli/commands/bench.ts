// `alignkit bench`: alignkit against its peers on this machine, side by side and from one run:
// sgemm against OpenBLAS and the FMA peak, a GPT training step against PyTorch and
// TensorFlow.js-wasm, and KV-cache sampling against PyTorch. Each contender runs in a child
// process of its own (src/cli/bench/), so that the peak RSS reported is its own.
import { availableParallelism } from 'node:os';
import type { Command } from '../commands-type.js';
import { flag, helpText, num, parseCommand, str, UsageError, type OptionSpecs } from '../args.js';
import { findPeers, removeHarnesses } from '../bench/peers.js';
import { makePlan } from '../bench/plan.js';
import { formatReport } from '../bench/report.js';
import { runBench, runProfile, type BenchResult } from '../bench/run.js';

const specs: OptionSpecs = {
  json: { type: 'boolean', help: 'print one JSON object: machine, settings, matmul, train, generate' },
  quick: { type: 'boolean', help: 'one short round of everything: a smoke test, not figures' },
  'no-peers': { type: 'boolean', help: 'alignkit only (PyTorch, TensorFlow.js and OpenBLAS give null)' },
  configs: { type: 'string', help: 'model configs to train and sample: A, B or A,B', default: 'A,B' },
  threads: { type: 'number', help: 'threads for alignkit and the peers (default: the cores)' },
  repeats: { type: 'number', help: 'turns each contender takes per line (default 3; 1 with --quick)' },
  'tfjs-b': { type: 'boolean', help: 'also train config B with TensorFlow.js-wasm (minutes per step)' },
  python: { type: 'string', help: 'python interpreter with torch (default: /usr/bin/python3, then python3)' },
  profile: { type: 'boolean', help: 'also profile alignkit\'s training steps and sampling by kernel' },
  quiet: { type: 'boolean', help: 'no progress lines on stderr' },
};

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmark matmul, training and sampling against OpenBLAS, PyTorch and TensorFlow.js',
  async run(argv) {
    const p = parseCommand(argv, specs);
    if (!p) {
      console.log(helpText('bench', this.summary, specs, ['alignkit bench', 'alignkit bench --json > bench.json', 'alignkit bench --quick --no-peers --json']));
      return 0;
    }
    const configs = str(p, 'configs')!.split(',').map((s) => s.trim().toUpperCase());
    for (const c of configs) if (c !== 'A' && c !== 'B') throw new UsageError(`--configs: "${c}" is not a config; expected A, B or A,B`);
    const threads = p['threads'] === undefined ? availableParallelism() : num(p, 'threads');
    if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads: expected a positive integer, got ${threads}`);
    const repeats = p['repeats'] === undefined ? undefined : num(p, 'repeats');
    if (repeats !== undefined && !(Number.isInteger(repeats) && repeats >= 1)) throw new UsageError(`--repeats: expected a positive integer, got ${repeats}`);
    const plan = makePlan({
      quick: flag(p, 'quick'), peers: !flag(p, 'no-peers'), threads, configs: configs as ('A' | 'B')[], tfjsB: flag(p, 'tfjs-b'),
      ...(repeats !== undefined ? { repeats } : {}),
    });
    const python = str(p, 'python');
    const peers = findPeers({ peers: plan.peers, threads, ...(python ? { python } : {}) });
    const log = flag(p, 'quiet') ? () => {} : (s: string) => process.stderr.write(`bench: ${s}\n`);
    let result: BenchResult;
    try {
      result = runBench(plan, peers, log);
    } finally {
      removeHarnesses(peers);
    }
    if (flag(p, 'profile')) result.profile = runProfile(plan, log, result.notes);
    console.log(flag(p, 'json') ? JSON.stringify(result) : formatReport(result));
    return 0;
  },
};
