// What `alignkit bench` runs and for how long. Every figure is the best of several timed rounds
// inside one process, and the contenders of a line take turns `repeats` times, so that load from
// other processes on a shared machine hits each of them alike; the best of all counts.
import { GEN_CASES, type GenCase } from './configs.js';
import type { Rounds } from './measure.js';

export interface Plan {
  quick: boolean;
  peers: boolean;
  threads: number;
  /** Turns each contender of a line takes (alternating with its peers). */
  repeats: number;
  matmulSizes: number[];
  matmulRounds: Rounds;
  train: { config: 'A' | 'B'; rounds: Rounds; tfjs: boolean; tfjsRounds: Rounds }[];
  generate: (GenCase & { rounds: Rounds })[];
  /** Wall-clock limit of one child process, in seconds. */
  childTimeoutS: number;
}

const r = (warmup: number, steps: number, rounds: number, budgetMs: number): Rounds => ({ warmup, steps, rounds, budgetMs });

export function makePlan(o: { quick: boolean; peers: boolean; threads: number; repeats?: number; configs: ('A' | 'B')[]; tfjsB: boolean }): Plan {
  const q = o.quick;
  const train: Plan['train'] = [];
  for (const config of o.configs) {
    train.push({
      config,
      rounds: q ? r(1, 1, 1, 0) : config === 'A' ? r(3, 3, 5, 4000) : r(1, 1, 3, 8000),
      // tfjs-wasm runs one thread at about 1/50 of alignkit's speed: a step of B takes minutes.
      tfjs: config === 'A' || o.tfjsB,
      tfjsRounds: q ? r(0, 1, 1, 0) : r(1, 1, 2, 15_000),
    });
  }
  const generate = GEN_CASES.filter((g) => o.configs.includes(g.config)).map((g) => ({
    ...g,
    // --quick samples fewer tokens: a smoke test of the path, not a figure.
    newTokens: q ? Math.min(g.newTokens, 16) : g.newTokens,
    rounds: q ? r(0, 1, 1, 0) : g.batch === 1 ? r(2, 3, 5, 3000) : r(1, 1, 3, 10_000),
  }));
  return {
    quick: q, peers: o.peers, threads: o.threads, repeats: o.repeats ?? (q ? 1 : 3),
    matmulSizes: [256, 512, 1024, 2048],
    matmulRounds: q ? r(1, 1, 1, 0) : r(1, 1, 1000, 300),
    train, generate,
    childTimeoutS: q ? 300 : 900,
  };
}
