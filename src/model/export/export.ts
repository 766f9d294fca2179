// `alignkit export` as one library call: a model directory out to the formats other tools run —
// GGUF for llama.cpp (and Ollama, LM Studio, node-llama-cpp) in f32/f16/bf16/q8_0, a merged Hugging
// Face directory, and a LoRA adapter as PEFT or as llama.cpp's GGUF LoRA. Every file is written to
// a temporary name and renamed, so a failed export leaves what was there before.
import { basename, resolve } from 'node:path';
import { choice, declareConfig, requiredText, bool, type ConfigOf, type Overrides } from '../../config/index.js';
import { writeGguf, type GgufType } from '../../io/gguf.js';
import { Progress } from '../../io/progress.js';
import { resolveModelOptions } from '../../hub/index.js';
import { loadModelDir, saveModelDir } from '../hf/checkpoint-dir.js';
import { ExportError, ggufModel } from './gguf-model.js';
import { ggufTokenizer } from './gguf-tokenizer.js';
import { ggufLora } from './gguf-lora.js';

export { ExportError } from './gguf-model.js';

export const EXPORT_FORMATS = ['gguf', 'gguf-lora', 'hf', 'peft'] as const;
export const GGUF_DTYPES = ['f32', 'f16', 'bf16', 'q8_0'] as const;

export const exportOptions = declareConfig('export', {
  model: requiredText('the model directory to export (also the first argument), or a Hub model id', 'the model directory to export', { hub: 'model' }),
  format: choice(EXPORT_FORMATS, 'gguf', 'gguf: one llama.cpp file (adapters merged); gguf-lora: the LoRA adapter as a llama.cpp --lora file; hf: a merged Hugging Face directory; peft: base + PEFT adapter directory'),
  dtype: choice(GGUF_DTYPES, 'f16', 'GGUF weight type of the matrices (norms and biases stay f32; q8_0 rows that are not whole 32-blocks are f16)'),
  out: requiredText('the file (gguf, gguf-lora) or directory (hf, peft) to write', 'where to write the export'),
  adapter: choice(['merge', 'ignore'] as const, 'merge', 'gguf and hf: a PEFT adapter in the model directory is merged in, or left out (the base, for a gguf-lora beside it)'),
  quiet: bool(false, 'no progress on stderr'),
});

export type ExportOptions = ConfigOf<typeof exportOptions>;

export interface ExportResult {
  out: string;
  format: string;
  /** Bytes written (the file; for directories, the weights). */
  tensors: number;
  warnings: string[];
}

// Large exports report progress; tiny ones stay quiet.
const PROGRESS_BYTES = 64 * 2 ** 20;

function gguf(path: string, metadata: Parameters<typeof writeGguf>[1], tensors: Parameters<typeof writeGguf>[2], label: string, quiet: boolean): void {
  const total = tensors.reduce((a, t) => a + t.data.length * 4, 0);
  const bar = !quiet && total >= PROGRESS_BYTES ? new Progress({ label, total: tensors.length }) : null;
  let i = 0;
  writeGguf(path, metadata, tensors, { onTensor: () => bar?.update(++i) });
  bar?.finish();
}

/** Exports `o.model` as `o.format`; throws ExportError (or the loader's CheckpointError) naming what cannot be exported. */
export async function exportModel(options: Overrides<typeof exportOptions.options>, hooks: { log?: (line: string) => void } = {}): Promise<ExportResult> {
  const o = await resolveModelOptions(exportOptions.options, exportOptions.resolve(options), hooks);
  const out = resolve(o.out), name = basename(resolve(o.model));
  if (o.format === 'hf' || o.format === 'peft') {
    const { model, tokenizer, generation } = loadModelDir(o.model, { adapters: o.format === 'hf' && o.adapter === 'ignore' ? 'ignore' : 'attach' });
    if (o.format === 'peft' && model.lora.size === 0) throw new ExportError(`${o.model} has no LoRA adapter (adapter_config.json): --format peft exports one; use --format hf`);
    saveModelDir(out, model, { ...(tokenizer ? { tokenizer } : {}), ...(generation ? { generation } : {}), adapters: o.format === 'peft' ? 'peft' : 'merge' });
    return { out, format: o.format, tensors: model.params.size, warnings: [] };
  }
  if (o.format === 'gguf-lora') {
    const { model } = loadModelDir(o.model, { adapters: 'attach', tokenizer: false });
    const { metadata, tensors } = ggufLora(model, name);
    gguf(out, metadata, tensors, 'export gguf-lora', o.quiet);
    return { out, format: o.format, tensors: tensors.length, warnings: [] };
  }
  const { model, tokenizer } = loadModelDir(o.model, { adapters: o.adapter === 'ignore' ? 'ignore' : 'merge' });
  if (!tokenizer) throw new ExportError(`${o.model} has no tokenizer files (tokenizer.json): a GGUF carries its tokenizer, llama.cpp cannot run without one`);
  const m = ggufModel(model.config, model.params, o.dtype as GgufType, name);
  for (const w of m.warnings) hooks.log?.(`warning: ${w}`);
  const metadata = new Map([...m.metadata, ...ggufTokenizer(tokenizer, model.config.vocabSize)]);
  gguf(out, metadata, m.tensors, `export gguf ${o.dtype}`, o.quiet);
  return { out, format: o.format, tensors: m.tensors.length, warnings: m.warnings };
}
