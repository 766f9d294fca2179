// What the frozen reference costs under LoRA (issue 18, point 4): the online trainers' reference
// (rollout/store.ts frozenReference) for a LoRA policy is the base with its adapters off, sharing
// the policy's tensors, where a full fine-tune's is a float32 copy of every weight. Counts the
// bytes of the reference's tensors that are not the policy's own (exact), and the ArrayBuffer
// bytes still reachable after a GC (approximate), at a small Llama shape. Not a test: it prints
// the figures.
//   npx tsc -p tsconfig.json && node --expose-gc dist/bench/lora-reference-memory.js [--d-model 256 --layers 4 --vocab 8192]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, freezeForLora, Transformer } from '../src/model/index.js';
import { frozenReference } from '../src/align/rollout/store.js';
import { RunStore } from '../src/runs/run-store.js';
import { ByteTokenizer } from '../src/tokenizer/index.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const buffers = (): number => { gc(); return process.memoryUsage().arrayBuffers; };

const cfg = defaultConfig('llama', { vocabSize: arg('vocab', 8192), dModel: arg('d-model', 256), nLayer: arg('layers', 4), nHead: 4, nKvHead: 2, maxSeqLen: 256 });
const policy = new Transformer(cfg, undefined, 1);
freezeForLora(policy, { rank: 16, alpha: 32, dropout: 0, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }, null);
const weights = policy.namedParameters().reduce((n, [, t]) => n + 4 * t.size, 0);
const root = mkdtempSync(join(tmpdir(), 'alignkit-lora-ref-'));
const tok = new ByteTokenizer();
const own = new Set(policy.namedParameters().map(([, t]) => t.f32.buffer));
const measure = (name: string, explicit: boolean): { extra: number; held: number } => {
  const store = RunStore.open(join(root, name), { bench: name }, { resume: false });
  const before = buffers();
  const ref = frozenReference(store, policy, explicit ? policy : undefined, tok);
  const held = buffers() - before;
  store.close();
  const extra = [...ref.params.values()].filter((t) => !own.has(t.f32.buffer)).reduce((n, t) => n + t.f32.byteLength, 0);
  return { extra, held };
};
const view = measure('view', false);
const copy = measure('copy', true);
rmSync(root, { recursive: true, force: true });
const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
console.log(`llama d_model ${cfg.dModel}, ${cfg.nLayer} layers, vocab ${cfg.vocabSize}: policy weights + adapters ${mb(weights)}`);
console.log(`reference as a float32 copy (full fine-tune, or --reference): ${mb(copy.extra)} of its own tensors (${mb(copy.held)} of buffers held after GC)`);
console.log(`reference under LoRA (base with adapters off): ${mb(view.extra)} of its own tensors (${mb(view.held)} held); saved ${mb(copy.extra - view.extra)}`);
