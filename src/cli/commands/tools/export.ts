// `alignkit export MODEL_DIR --format gguf|gguf-lora|hf|peft --out PATH`: a model directory out to
// llama.cpp's GGUF (f32/f16/bf16/q8_0), a merged Hugging Face directory, or its LoRA adapter as
// PEFT or GGUF LoRA (README, "Export").
import { exportModel, exportOptions } from '../../../model/export/export.js';
import { defineCommand } from '../../command.js';
import { withPositionals } from '../../positional.js';

export const exportCommand = withPositionals(defineCommand({
  name: 'export',
  summary: 'write a model as GGUF (llama.cpp), a merged Hugging Face directory, or its LoRA adapter as PEFT or GGUF LoRA',
  options: exportOptions,
  examples: [
    'alignkit export runs/sft/model --format gguf --dtype q8_0 --out smol-sft.q8_0.gguf',
    'alignkit export runs/sft-lora/model --format hf --out runs/sft-merged',
    'alignkit export runs/sft-lora/model --format gguf --adapter ignore --dtype f16 --out base.gguf && alignkit export runs/sft-lora/model --format gguf-lora --out lora.gguf',
  ],
  async run(o) {
    const r = await exportModel(o, { log: (line) => console.error(`export: ${line}`) });
    console.log(`export: ${r.format}${r.format === 'gguf' ? ` ${o.dtype}` : ''}, ${r.tensors} tensors, written to ${r.out}`);
    return 0;
  },
}), ['model']);
