// The llama.cpp peer of `alignkit bench --configs C,D`: llama.cpp through node-llama-cpp (a dev
// dependency, its prebuilt CPU binary, never built here) on alignkit's own GGUF export of the
// bench's checkpoint. Greedy from one prompt, end-of-generation tokens barred, so it makes exactly
// `newTokens` like the other contenders; the time includes the prompt's prefill, as theirs does.
// It runs with one thread and, where the bench has more, with the bench's threads too, and
// reports the faster: ggml's threads wait for each other by spinning, and on a machine whose cores
// other processes also use, two threads can run at a hundredth of one thread's speed.
//   node llama-peer.js '<task JSON>'   prints one JSON line.
import { readFileSync } from 'node:fs';

interface LlamaTask { file: string; prompt: number[]; newTokens: number; warmupTokens: number; threads: number }

function peakRssMb(): number {
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

/**
 * tokens/s of one greedy run with `threads`; a run that passes `limitS` seconds stops there and
 * counts the tokens it made (a rate all the same: it is only ever slower than the one it is beside).
 */
async function decode(t: LlamaTask, threads: number, limitS: number): Promise<{ tok_s: number; ms_per_call: number; load_s: number; cut: boolean }> {
  const lib = await import('node-llama-cpp');
  const llama = await lib.getLlama({ gpu: false, build: 'never', logLevel: lib.LlamaLogLevel.error, progressLogs: false });
  const t0 = performance.now();
  const model = await llama.loadModel({ modelPath: t.file });
  const context = await model.createContext({ contextSize: t.prompt.length + t.newTokens + 16, sequences: 1, threads });
  const loadS = (performance.now() - t0) / 1000;
  const seq = context.getSequence();
  const bias = new lib.TokenBias(model.tokenizer);
  for (const eog of [model.tokens.eos, model.tokens.eot]) if (eog !== null) bias.set(eog, 'never');
  const run = async (n: number): Promise<{ made: number; s: number }> => {
    await seq.clearHistory();
    let made = 0;
    const t1 = performance.now(), s = (): number => (performance.now() - t1) / 1000;
    for await (const _ of seq.evaluate(t.prompt as never, { temperature: 0, tokenBias: bias })) if (++made === n || s() > limitS) break;
    if (made !== n && s() <= limitS) throw new Error(`llama.cpp made ${made} tokens, expected ${n}`);
    return { made, s: s() };
  };
  await run(t.warmupTokens);
  const r = await run(t.newTokens);
  await context.dispose();
  await model.dispose();
  return { tok_s: r.made / r.s, ms_per_call: r.s * 1000, load_s: loadS, cut: r.made < t.newTokens };
}

async function main(): Promise<void> {
  const t = JSON.parse(process.argv[2] ?? '{}') as LlamaTask;
  const byThreads: Record<number, number> = {};
  let best: (Awaited<ReturnType<typeof decode>> & { threads: number }) | null = null;
  // One thread first; the bench's threads then get twice its time before they are cut short.
  for (const threads of t.threads > 1 ? [1, t.threads] : [1]) {
    const r = await decode(t, threads, best ? (2 * best.ms_per_call) / 1000 : Infinity);
    byThreads[threads] = r.tok_s;
    if (!best || r.tok_s > best.tok_s) best = { ...r, threads };
  }
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ ...best, tokens: t.newTokens, tok_s_by_threads: byThreads, rss_mb: peakRssMb(), cpu_s: (cpu.user + cpu.system) / 1e6 })}\n`);
}

await main();
