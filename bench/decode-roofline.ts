// Decoding speed against the memory-bandwidth roofline (issue 20, the development bench of the
// kernel-level decoder): greedy tokens/s at batch 1 and 32 at the shape of SmolLM2-135M (or
// Qwen2.5-0.5B), random bf16 weights, alignkit with the weights widened to float32, kept bf16, or
// quantised to int8, and llama.cpp (node-llama-cpp, CPU) on the GGUF export of the same weights.
// Bandwidth: STREAM's add (a = b + c, the triad's traffic: two streams read, one written) over
// 256 MiB arrays with the native backend's threads. Fraction of roofline = (tokens/s ÷ batch) ×
// bytes of weights read per step ÷ bandwidth. Each contender (and each GGUF export) runs in its
// own process, so that peak RSS is its own: Linux carries a parent's peak over to the children it
// spawns. Decode tokens/s are timed from each row's first new token to the end (prefill excluded).
// llama.cpp runs with --llama-threads threads (default: every core; on a shared machine 1 may be
// faster, since ggml's threads spin-wait for each other).
//   node dist/bench/decode-roofline.js [--shape smol|qwen] [--batches 1,32] [--new 128] [--only alignkit|llama.cpp] [--llama-threads N]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noGrad } from '../src/autograd/index.js';
import { backend } from '../src/backend/index.js';
import { exportModel } from '../src/model/export/export.js';
import { expectedShapes, fromHfConfig, generate, loadModelDir, quantizeInt8, type Transformer } from '../src/model/index.js';
import { Rng } from '../src/tensor/index.js';
import { writeRandomCheckpoint as writeCheckpoint } from '../src/model/index.js';
import { addTriadGbPerS } from './add-triad.js';
import { SHAPES } from './half-weights.js';
import { sharedData } from '../test/fixtures/shared-data.js';

const PROMPT = 64;
const rssGiB = (): number => +(process.resourceUsage().maxRSS / 1024 ** 2).toFixed(2);
const emit = (o: object): void => console.log(JSON.stringify(o));

function triad(): void {
  emit({ gbPerS: +addTriadGbPerS().toFixed(2), backend: backend().name });
}

/** Bytes of the matrices one decoding step reads (every projection and the LM head; embedding rows are negligible). */
function weightBytes(m: Transformer, perElement: (shape: readonly number[]) => number): number {
  let sum = 0;
  for (const [name, t] of m.params) if (t.rank === 2 && !/embed_tokens|wte|wpe/.test(name)) sum += perElement(t.shape) * t.size;
  if (m.config.tieEmbeddings) sum += perElement(m.headWeight().shape) * m.headWeight().size;
  return sum;
}

function alignkit(dir: string, mode: string, B: number, steps: number): void {
  const model = loadModelDir(dir, { frozenDtype: mode === 'f32' ? 'float32' : 'keep', tokenizer: false }).model;
  if (mode === 'int8') quantizeInt8(model);
  const rng = new Rng(3), V = model.config.vocabSize;
  const prompts = Array.from({ length: B }, () => Array.from({ length: PROMPT }, () => rng.int(V)));
  noGrad(() => generate(model, prompts.slice(0, 1), { maxNewTokens: 4, temperature: 0 })); // warm-up
  let first = 0, last = 0, count = 0;
  const onToken = (): void => { count++; last = performance.now(); if (count === B) first = last; };
  noGrad(() => generate(model, prompts, { maxNewTokens: steps, temperature: 0, stopTokens: [], onToken }));
  const perElement = mode === 'f32' ? () => 4 : mode === 'int8' ? (s: readonly number[]) => 1 + 4 / s[1]! : () => 2;
  emit({ tokensPerS: +((count - B) / ((last - first) / 1000)).toFixed(1), bytesPerStep: weightBytes(model, perElement), peakRssGiB: rssGiB() });
}

async function llamaCpp(file: string, B: number, steps: number, V: number, threads: number): Promise<void> {
  const lib = await import('node-llama-cpp');
  const llama = await lib.getLlama({ gpu: false, build: 'never', logLevel: lib.LlamaLogLevel.error, progressLogs: false });
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize: B * (PROMPT + steps + 8), sequences: B, threads, batchSize: Math.max(512, B * PROMPT) });
  const rng = new Rng(3);
  const prompts = Array.from({ length: B }, () => Array.from({ length: PROMPT }, () => rng.int(V)));
  let first = 0, last = 0, count = 0;
  const run = async (seq: ReturnType<typeof context.getSequence>, prompt: number[], n: number, time: boolean): Promise<void> => {
    let k = 0;
    for await (const _ of seq.evaluate(prompt as never, { temperature: 0 })) {
      if (time) { count++; last = performance.now(); if (count === B) first = last; }
      if (++k === n) break;
    }
  };
  const seqs = Array.from({ length: B }, () => context.getSequence());
  await run(seqs[0]!, prompts[0]!, 4, false); // warm-up
  seqs[0]!.clearHistory();
  await Promise.all(seqs.map((s, b) => run(s, prompts[b]!, steps, true)));
  emit({ tokensPerS: +((count - B) / ((last - first) / 1000)).toFixed(1), peakRssGiB: rssGiB() });
  await context.dispose();
  await model.dispose();
}

function child(args: string[]): Record<string, number> {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), 'child', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const shape = flag('shape', 'smol') as keyof typeof SHAPES, only = flag('only', 'all');
  const batches = flag('batches', '1,32').split(',').map(Number), steps = Number(flag('new', '128'));
  if (!SHAPES[shape]) throw new Error(`decode-roofline: --shape ${shape}, expected smol or qwen`);
  const root = join(tmpdir(), `alignkit-decode-roofline-${process.pid}`), dir = join(root, 'ckpt');
  writeCheckpoint(dir, SHAPES[shape]);
  try {
    const bw = child(['triad']).gbPerS!;
    console.log(`bandwidth (STREAM add, 3 × 256 MiB, ${cpus().length} threads): ${bw} GB/s; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const contenders: [string, string[]][] = [];
    if (only !== 'llama.cpp') for (const m of ['f32', 'bf16', 'int8']) contenders.push([`alignkit ${m}`, ['alignkit', dir, m]]);
    // The GGUF carries a tokenizer: SmolLM2's real one (49,152 ids) from the shared data, read in place.
    const tok = sharedData('hf-models/SmolLM2-135M-Instruct');
    if (only !== 'alignkit' && tok.path !== null && existsSync(join(tok.path, 'tokenizer.json'))) {
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) cpSync(join(tok.path, f), join(dir, f));
      for (const d of ['bf16', 'f16', 'q8_0']) {
        const file = join(root, `${d}.gguf`);
        child(['export', dir, file, d]); // in a child: a parent grown by the export would pass its peak RSS on to every later child
        contenders.push([`llama.cpp ${d}`, ['llama.cpp', file]]);
      }
    } else if (only !== 'alignkit') console.log(`llama.cpp skipped: ${tok.skip || 'no tokenizer.json'} (the GGUF export needs a tokenizer)`);
    const V = (SHAPES[shape] as { vocab_size: number }).vocab_size;
    // Elements of the matrices a step reads: every 2-D weight but the embedding, plus the tied head.
    const cfg = fromHfConfig(SHAPES[shape], 'config.json').config;
    let elements = cfg.tieEmbeddings ? cfg.vocabSize * cfg.dModel : 0;
    for (const [name, sh] of expectedShapes(cfg)) if (sh.length === 2 && !/embed_tokens/.test(name)) elements += sh[0]! * sh[1]!;
    const bytes: Record<string, number> = {};
    console.log('| contender | batch | tokens/s | GB/s of weights | of roofline | peak RSS GiB |\n|---|---|---|---|---|---|');
    for (const B of batches) {
      for (const [name, args] of contenders) {
        const r = child([...args, String(B), String(steps), String(V), flag('llama-threads', String(cpus().length))]);
        const dtype = name.split(' ')[1]!;
        if (r.bytesPerStep) bytes[dtype] = r.bytesPerStep;
        // llama.cpp reads the same matrices: 2 bytes an element in bf16/f16, 34 per block of 32 in q8_0.
        const b = bytes[dtype] ?? elements * (dtype === 'q8_0' ? 34 / 32 : 2);
        const gbs = (r.tokensPerS! / B) * b / 1e9;
        const row = `| ${name} | ${B} | ${r.tokensPerS} | ${gbs.toFixed(2)} | ${((100 * gbs) / bw).toFixed(0)}% | ${r.peakRssGiB} |`;
        console.log(row);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const [what, ...rest] = process.argv.slice(2);
if (what === 'child') {
  const [kind, path, ...n] = rest;
  if (kind === 'triad') triad();
  else if (kind === 'export') { await exportModel({ model: path!, out: n[0]!, dtype: n[1] as 'bf16', quiet: true }); emit({}); }
  else if (kind === 'alignkit') alignkit(path!, n[0]!, Number(n[1]), Number(n[2]));
  else await llamaCpp(path!, Number(n[0]), Number(n[1]), Number(n[2]), Number(n[3]));
} else await main();
