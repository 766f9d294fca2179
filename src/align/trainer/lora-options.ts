// LoRA from the command line (issue 18, point 4): the options every training command spreads into
// its job declaration (--lora-r, --lora-alpha, --lora-dropout, --lora-targets, TRL's lora_r …
// names as aliases), and what a job does with them once its model is loaded. Under LoRA the base
// is frozen, the run saves a PEFT adapter where it saved the model, and a reference is the base
// with adapters off (Transformer.withoutAdapters), never a second copy.
import { resolve } from 'node:path';
import { ConfigError, bool, declareConfig, valuesFor, int, optionalNum, optionalText, type ConfigOf } from '../../config/index.js';
import { bf16ComputeOption, defaultLoraTargets, freezeForLora, loraModuleNames, mergeLora, layoutOf, type LoraConfig, type Transformer } from '../../model/index.js';
import { Rng } from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { loadWithTokenizer } from './inputs.js';

// Every module name some family adapts; the model at hand narrows it (loraModuleNames).
const KNOWN = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj', 'c_attn', 'c_proj', 'c_fc'];

export const loraOptions = declareConfig('lora', {
  loraR: int(0, 'LoRA rank: train rank-r adapters on a frozen base and save them as a PEFT adapter (0: train every weight)', { min: 0 }),
  loraAlpha: optionalNum('LoRA scale numerator: the update is (alpha/r)·B·A (default 2·r, as TRL\'s 16/32)', { gt: 0 }),
  loraDropout: optionalNum('dropout on the adapters\' input (default 0)', { min: 0, lt: 1 }),
  loraTargets: optionalText(`comma list of modules to adapt, as PEFT names them (${KNOWN.join(', ')}); default every projection of the family`,
    { aliases: ['lora_target_modules'] }),
}, (o) => {
  const given = (['loraAlpha', 'loraDropout', 'loraTargets'] as const).find((k) => o[k] !== undefined);
  if (o.loraR === 0 && given) {
    throw new ConfigError(`lora config: ${given} = ${JSON.stringify(o[given])} given without loraR (--lora-r); expected a rank ≥ 1 to train adapters`, given);
  }
  if (o.loraTargets !== undefined) {
    const bad = targetList(o.loraTargets).find((t) => !KNOWN.includes(t));
    if (bad !== undefined) throw new ConfigError(`lora config: loraTargets (--lora-targets) names "${bad}", expected a comma list of ${KNOWN.join(', ')}`, 'loraTargets');
  }
});

export type LoraOptions = ConfigOf<typeof loraOptions>;

/**
 * Memory for time (TRL's gradient_checkpointing), declared beside the LoRA options and spread
 * with them into every training command: the model it trains recomputes each decoder layer's
 * activations in the backward (Transformer.gradientCheckpointing). The weights a run reaches are
 * the same either way, so a run's config.json does not record it and a resume may change it.
 * --bf16-compute (model.bf16Compute), spread with it, trades exactness for speed the same way, a
 * setting of how the run computes rather than of what it trains.
 */
export const checkpointingOptions = declareConfig('gradient checkpointing', {
  gradientCheckpointing: bool(false, 'keep only each layer\'s input and recompute its activations in the backward: less memory, one more forward per layer', { aliases: ['gradient_checkpointing'] }),
  bf16Compute: bf16ComputeOption,
});

export type CheckpointingOptions = ConfigOf<typeof checkpointingOptions>;

const targetList = (s: string): string[] => s.split(',').map((t) => t.trim());

/** The adapters the options ask for on `model`, or null without --lora-r; targets checked against the model. */
export function loraSettings(o: Partial<LoraOptions>, model: Transformer): LoraConfig | null {
  loraOptions.resolve(valuesFor(loraOptions, o)); // the declaration's own checks, for library callers too
  if (!o.loraR) return null;
  const valid = loraModuleNames(model);
  const family = model.config.family === 'gpt2' ? 'gpt2' : 'llama';
  const targets = o.loraTargets !== undefined ? targetList(o.loraTargets) : defaultLoraTargets[family].filter((t) => valid.includes(t));
  const bad = targets.find((t) => !valid.includes(t));
  if (bad !== undefined) {
    throw new ConfigError(`--lora-targets ${o.loraTargets}: ${model.config.family} has no module "${bad}" to adapt; expected a comma list of ${valid.join(', ')}`, 'loraTargets');
  }
  return { rank: o.loraR, alpha: o.loraAlpha ?? 2 * o.loraR, dropout: o.loraDropout ?? 0, targets };
}

/**
 * Makes a loaded model ready to train under the options. Adapters it came with (a PEFT adapter
 * directory as --model) are merged into its weights first: that model is what this run starts
 * from, and with --lora-r the new adapters sit on it (its base then lives in the run's saves, not
 * on disk). `base` is the model directory the weights came from, for the adapter's
 * base_model_name_or_path. --gradient-checkpointing and --bf16-compute are set on the model here.
 */
export function prepareForTraining(model: Transformer, o: Partial<LoraOptions & CheckpointingOptions>, base: string | null, seed = 0): Transformer {
  const cfg = loraSettings(o, model);
  model.gradientCheckpointing = o.gradientCheckpointing ?? false;
  if (model.lora.size > 0) {
    mergeLora(model.params, model.lora, layoutOf(model.config));
    model.lora = new Map();
    model.loraBase = null;
    model.saveAdapters = 'merge';
    base = null;
    // 16-bit weights are there only under --lora-r, whose freezeForLora below freezes them again.
    for (const t of model.params.values()) if (!t.isHalf) t.requireGrad(true);
  }
  if (cfg) freezeForLora(model, cfg, base, new Rng(seed + 0x10a));
  model.bf16Compute = o.bf16Compute ?? false;
  return model;
}

/** The LoRA options a run records in its config.json (so a resume with other ones is refused). */
export const loraRunConfig = (o: Partial<LoraOptions>): Partial<LoraOptions> => (o.loraR ? {
  loraR: o.loraR, loraAlpha: o.loraAlpha, loraDropout: o.loraDropout, loraTargets: o.loraTargets,
} : {});

/** --model (or another flag's directory) with its tokenizer, made ready to train under the LoRA options. */
export function loadTrainable(dir: string, o: Partial<LoraOptions & CheckpointingOptions>, flagName = 'model', seed = 0): { model: Transformer; tokenizer: Tokenizer } {
  // The frozen base of a LoRA run keeps a 16-bit checkpoint's matrices 16-bit, loaded so (the kernels
  // widen them as they read); a full fine-tune trains every weight, in float32.
  const { model, tokenizer } = loadWithTokenizer(dir, flagName, o.loraR ? 'keep' : undefined);
  return { model: prepareForTraining(model, o, resolve(dir), seed), tokenizer };
}
