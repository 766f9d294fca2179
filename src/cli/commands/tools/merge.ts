// `alignkit merge`: a LoRA adapter (what `--lora-r` runs save) folded into its base, written as a
// plain Hugging Face model directory that any tool loads without peft.
import { declareConfig, optionalText, requiredText } from '../../../config/index.js';
import { mergeAdapterDir } from '../../../model/index.js';
import { defineCommand } from '../../command.js';

export const mergeCommand = defineCommand({
  name: 'merge',
  summary: 'fold a PEFT LoRA adapter into its base: a plain Hugging Face model directory',
  options: declareConfig('merge', {
    adapter: requiredText('PEFT adapter directory (adapter_config.json + adapter_model.safetensors), e.g. runs/sft/model of an --lora-r run', 'the adapter directory to merge'),
    base: optionalText('base model directory (default: the adapter\'s base_model_name_or_path)'),
    out: requiredText('directory for the merged model (config.json, model.safetensors in the base\'s dtype, tokenizer files)', 'where to write the merged model'),
  }),
  examples: [
    'alignkit merge --adapter runs/sft/model --out runs/sft/merged',
    'alignkit merge --adapter ./my-adapter --base ./SmolLM2-135M --out ./smollm2-merged',
  ],
  async run(o) {
    const r = mergeAdapterDir(o);
    console.error(`merge: ${r.modules} adapted modules folded into ${r.base}; ${r.dtype} model in ${r.out}`);
    return 0;
  },
});
