// 16-bit frozen weights (issue 18 point 3), measured: peak RSS of one LoRA SFT step at the shape of
// Qwen2.5-0.5B, and batch-1 greedy decoding at the shape of SmolLM2-135M, each with the bf16
// checkpoint's matrices kept 16-bit (frozenDtype 'keep') and widened to float32 ('float32').
// Random bf16 weights are written to a temporary directory first; each measurement runs in its own
// process so that its peak RSS is its own.
// `--checkpoint` runs a step with each decoder layer checkpointed (Transformer.gradientCheckpointing):
// its activations recomputed in the backward instead of kept.
//   node dist/bench/half-weights.js lora keep|float32 [--checkpoint]   (one LoRA step, Qwen2.5-0.5B shape)
//   node dist/bench/half-weights.js full float32 [--checkpoint]        (one full SFT step, SmolLM2-135M shape)
//   node dist/bench/half-weights.js decode keep|float32                (tokens/s, SmolLM2-135M shape)
//   node dist/bench/half-weights.js all                                (every line, one process each)
// Without `all`, the random checkpoints are written when missing and left in the temporary directory.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noGrad } from '../src/autograd/index.js';
import { AdamW } from '../src/nn/index.js';
import { mean } from '../src/ops/index.js';
import { createLora, defaultLoraTargets, generate, layoutOf, loadModelDir, writeRandomCheckpoint, type FrozenDtype } from '../src/model/index.js';
import { Rng, Tensor } from '../src/tensor/index.js';

export const SHAPES = {
  // Qwen2.5-0.5B: hidden 896, 24 layers, 14 heads, 2 KV heads, MLP 4864, vocabulary 151,936, q/k/v biases, tied.
  qwen: { model_type: 'qwen2', hidden_size: 896, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, intermediate_size: 4864, vocab_size: 151936, tie_word_embeddings: true, max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 1000000 },
  // SmolLM2-135M: hidden 576, 30 layers, 9 heads, 3 KV heads, MLP 1536, vocabulary 49,152, tied.
  smol: { model_type: 'llama', hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, intermediate_size: 1536, vocab_size: 49152, tie_word_embeddings: true, max_position_embeddings: 8192, rms_norm_eps: 1e-5, rope_theta: 100000 },
};

const rssGiB = (): string => (process.resourceUsage().maxRSS / 1024 ** 2).toFixed(2);

/** One SFT step (sequence 512, batch 1) and its figures: LoRA r 16 on every projection of a frozen base, or every weight trained. */
function trainStep(dir: string, frozenDtype: FrozenDtype, how: { lora: boolean; checkpoint: boolean }): void {
  const t0 = performance.now();
  const model = loadModelDir(dir, { frozenDtype, tokenizer: false }).model;
  const afterLoad = rssGiB();
  if (how.lora) {
    model.lora = createLora(model.params, layoutOf(model.config), { rank: 16, alpha: 32, dropout: 0, targets: defaultLoraTargets.llama }, new Rng(1));
    for (const p of model.params.values()) if (p.requiresGrad) p.requireGrad(false);
  }
  model.gradientCheckpointing = how.checkpoint;
  const T = 512, V = model.config.vocabSize, rng = new Rng(2);
  const ids = new Tensor(Int32Array.from({ length: T }, () => rng.int(V)), [1, T]);
  const targets = new Tensor(Int32Array.from({ length: T }, () => rng.int(V)), [1, T]);
  const opt = new AdamW(model.namedParameters(), { lr: 1e-4 });
  const t1 = performance.now();
  // SFT's loss: the chunked LM head + cross-entropy (ops/lm-head.ts), no (T, V) float32 logits.
  const loss = mean(model.tokenLosses(model.hidden(ids), targets));
  const afterForward = rssGiB();
  loss.backward();
  const afterBackward = rssGiB();
  opt.update();
  const t2 = performance.now();
  const bench = how.lora ? 'lora-step qwen2.5-0.5b shape, T 512, r 16' : 'full-sft-step smollm2-135m shape, T 512';
  console.log(JSON.stringify({ bench, frozenDtype, checkpoint: how.checkpoint, loss: loss.item(), loadS: +((t1 - t0) / 1000).toFixed(1),
    stepS: +((t2 - t1) / 1000).toFixed(1), rssAfterLoadGiB: +afterLoad, peakRssAfterForwardGiB: +afterForward, peakRssAfterBackwardGiB: +afterBackward,
    peakRssGiB: +rssGiB(), unchunkedLogitsGiB: +((2 * T * V * 4) / 1024 ** 3).toFixed(2) }));
}

function decode(dir: string, frozenDtype: FrozenDtype): void {
  const t0 = performance.now();
  const model = loadModelDir(dir, { frozenDtype, tokenizer: false }).model;
  const t1 = performance.now();
  const rng = new Rng(3), prompt = Array.from({ length: 64 }, () => rng.int(model.config.vocabSize));
  noGrad(() => generate(model, [prompt], { maxNewTokens: 8, temperature: 0 })); // warm-up
  const t2 = performance.now();
  const [s] = noGrad(() => generate(model, [prompt], { maxNewTokens: 128, temperature: 0, stopTokens: [] }));
  const t3 = performance.now();
  console.log(JSON.stringify({ bench: 'decode smollm2-135m shape, batch 1, prompt 64, 128 new', frozenDtype, loadS: +((t1 - t0) / 1000).toFixed(1),
    tokens: s!.tokens.length, tokensPerS: +(s!.tokens.length / ((t3 - t2) / 1000)).toFixed(1), peakRssGiB: +rssGiB() }));
}

const [what, mode] = process.argv.slice(2);
const checkpoint = process.argv.includes('--checkpoint');
// Other benches import SHAPES from here (train-step.ts, decode-roofline.ts): run only as a script.
const main = process.argv[1] === fileURLToPath(import.meta.url);
const root = join(tmpdir(), 'alignkit-half-bench');
const LINES: string[][] = [
  ['lora', 'keep'], ['lora', 'keep', '--checkpoint'], ['lora', 'float32'], ['lora', 'float32', '--checkpoint'],
  ['full', 'float32'], ['full', 'float32', '--checkpoint'], ['decode', 'keep'], ['decode', 'float32'],
];
const dirOf = (shape: keyof typeof SHAPES): string => {
  const dir = join(root, shape);
  if (!existsSync(join(dir, 'model.safetensors'))) writeRandomCheckpoint(dir, SHAPES[shape]);
  return dir;
};
if (!main) {
  // imported
} else if (what === 'all') {
  const self = fileURLToPath(import.meta.url);
  dirOf('qwen');
  dirOf('smol');
  try {
    for (const args of LINES) process.stdout.write(execFileSync(process.execPath, [self, ...args], { encoding: 'utf8' }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
} else if (what === 'lora' || what === 'full' || what === 'decode') {
  if (mode !== 'keep' && mode !== 'float32') throw new Error(`half-weights: mode ${mode}, expected keep or float32`);
  if (what === 'decode') decode(dirOf('smol'), mode);
  else trainStep(dirOf(what === 'lora' ? 'qwen' : 'smol'), mode, { lora: what === 'lora', checkpoint });
} else {
  throw new Error(`half-weights: ${what}, expected lora, full, decode or all`);
}
