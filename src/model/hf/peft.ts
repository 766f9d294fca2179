// LoRA adapters ↔ a PEFT adapter (adapter_config.json + adapter_model.safetensors), and merging
// them into a copy of the weights for a plain HF checkpoint. PEFT names A and B
// `base_model.model.<module>.lora_A.weight` (r, in) and `.lora_B.weight` (out, r), for GPT-2's
// Conv1D too (it reads in/out off the (in, out) weight), which is exactly lora.ts's layout; the
// update is (lora_alpha / r)·B·A, or lora_alpha/√r with use_rslora (Kalajdzievski 2023).
import { join } from 'node:path';
import { CheckpointError, readJson } from '../../io/checkpoint.js';
import { readSafetensors, type TensorToWrite } from '../../io/safetensors.js';
import { param } from '../../nn/index.js';
import { Tensor, shapeStr } from '../../tensor/index.js';
import { mergeLora, type LoraAdapter } from '../lora.js';
import { checkFiniteTensor } from './weights.js';
import { hasFusedProjections } from '../families/fused.js';
import type { Transformer } from '../transformer.js';
import { layoutOf, type Params } from '../weights.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';

/** The parameters with every adapter folded in; `model` and its adapters are left as they are. */
export function mergedParams(model: Transformer): Params {
  if (model.lora.size === 0) return model.params;
  const out: Params = new Map(model.params);
  const copies = new Map<string, LoraAdapter>();
  for (const [name, a] of model.lora) {
    out.set(name, new Tensor(model.p(name).values().slice(), model.p(name).shape));
    // mergeLora zeroes B after folding; give it a throwaway B so the live adapter keeps training.
    copies.set(name, { ...a, B: a.B.clone() });
  }
  mergeLora(out, copies, layoutOf(model.config));
  return out;
}

/** adapter_config.json and the adapter tensors for `model.lora` (which must not be empty). */
export function peftAdapter(model: Transformer, baseModelNameOrPath: string | null): { config: Record<string, unknown>; tensors: Map<string, TensorToWrite> } {
  const adapters = [...model.lora];
  if (adapters.length === 0) throw new Error('peftAdapter: the model has no LoRA adapters to save');
  const split = adapters.filter(([n]) => hasFusedProjections(model.config) && /\.(q_proj|k_proj|v_proj|gate_proj|up_proj)\.weight$/.test(n));
  if (split.length > 0) {
    // transformers' Phi-3 has one qkv_proj and one gate_up_proj; PEFT has no module by these names.
    throw new Error(`peftAdapter: ${model.config.modelType} fuses q/k/v and gate/up into qkv_proj and gate_up_proj, so an adapter on ${split[0]![0]} has no PEFT module to go to; `
      + 'save with adapters: \'merge\', or adapt only o_proj and down_proj');
  }
  const moduleOf = (w: string) => w.replace(/\.weight$/, '');
  // scale = alpha/r in floating point; scale·r can miss alpha in the last bit (7/3·3), so round.
  const alphaOf = (a: LoraAdapter) => Number((a.scale * a.A.shape[0]!).toPrecision(12));
  const [, first] = adapters[0]!;
  const r = first.A.shape[0]!, alpha = alphaOf(first);
  const rankPattern: Record<string, number> = {}, alphaPattern: Record<string, number> = {};
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, a] of adapters) {
    const m = moduleOf(name), rm = a.A.shape[0]!;
    if (rm !== r) rankPattern[m] = rm;
    if (alphaOf(a) !== alpha) alphaPattern[m] = alphaOf(a);
    tensors.set(`${PREFIX}${m}.lora_A.weight`, { shape: [...a.A.shape], data: a.A.f32 });
    tensors.set(`${PREFIX}${m}.lora_B.weight`, { shape: [...a.B.shape], data: a.B.f32 });
  }
  // PEFT matches a target by the last part of the module name, as createLora does; when the
  // adapters are not every module such short names would match, the full names say exactly which.
  const short = [...new Set(adapters.map(([n]) => n.split('.').at(-2)!))];
  const matched = [...model.params].filter(([n, t]) => t.rank === 2 && n.endsWith('.weight') && short.includes(n.split('.').at(-2)!));
  const targets = matched.every(([n]) => model.lora.has(n)) ? short : adapters.map(([n]) => moduleOf(n));
  const config = {
    peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: baseModelNameOrPath, revision: null,
    inference_mode: true, r, lora_alpha: alpha, lora_dropout: first.dropout, target_modules: targets,
    // PEFT sets this itself from the module type (true for Conv1D); written to agree with it.
    fan_in_fan_out: model.config.family === 'gpt2', bias: 'none', use_rslora: false, use_dora: false,
    modules_to_save: null, init_lora_weights: true, layers_to_transform: null, layers_pattern: null,
    rank_pattern: rankPattern, alpha_pattern: alphaPattern,
  };
  return { config, tensors };
}

/** Reads dir's PEFT adapter into adapters for `model`'s weights; errors name the file at fault. */
export function readPeftAdapter(dir: string, model: Transformer): Map<string, LoraAdapter> {
  const cfgFile = join(dir, ADAPTER_CONFIG_FILE), wFile = join(dir, ADAPTER_WEIGHTS_FILE);
  const raw = readJson(cfgFile, 'PEFT adapter config');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CheckpointError(cfgFile, `expected a JSON object, got ${JSON.stringify(raw)}`);
  const cfg = raw as Record<string, unknown>;
  const bad = (key: string, expected: string): never => {
    throw new CheckpointError(cfgFile, `${key} = ${JSON.stringify(cfg[key])}, expected ${expected}`);
  };
  if (cfg.peft_type !== 'LORA') bad('peft_type', '"LORA"');
  if ((cfg.bias ?? 'none') !== 'none') bad('bias', '"none" (bias training is not supported)');
  if (cfg.use_dora === true) bad('use_dora', 'false (DoRA is not supported)');
  const mts = cfg.modules_to_save;
  if (mts != null && !(Array.isArray(mts) && mts.length === 0)) bad('modules_to_save', 'null (full-module copies are not supported)');
  if (!(Number.isInteger(cfg.r) && (cfg.r as number) > 0)) bad('r', 'a positive integer');
  const alpha0 = cfg.lora_alpha ?? 8;
  if (typeof alpha0 !== 'number') bad('lora_alpha', 'a number');
  const dropout = cfg.lora_dropout ?? 0;
  if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) bad('lora_dropout', 'a number in [0, 1)');
  const rslora = cfg.use_rslora === true;
  const pattern = (key: string, module: string, fallback: number): number => {
    const p = (cfg[key] ?? {}) as Record<string, unknown>;
    // PEFT's pattern keys match the module's full name or a dotted suffix of it.
    const hit = Object.keys(p).find((k) => module === k || module.endsWith(`.${k}`));
    const v = hit === undefined ? fallback : p[hit];
    return typeof v === 'number' && v > 0 ? v : bad(`${key}[${JSON.stringify(hit)}]`, 'a positive number');
  };

  const { tensors } = readSafetensors(wFile);
  const modules = new Map<string, { A?: Tensor; B?: Tensor }>();
  for (const [name, t] of tensors) {
    const m = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/.exec(name);
    if (!m) throw new CheckpointError(wFile, `unexpected tensor ${JSON.stringify(name)}: expected ${PREFIX}<module>.lora_A.weight or .lora_B.weight`);
    const [, module, which] = m as unknown as [string, string, 'A' | 'B'];
    if (!(t.data instanceof Float32Array)) throw new CheckpointError(wFile, `tensor ${JSON.stringify(name)} has dtype ${t.dtype}, expected a float dtype`);
    checkFiniteTensor(name, t.data, wFile);
    const entry = modules.get(module) ?? {};
    entry[which] = param(new Tensor(t.data, t.shape), `${module}.lora_${which}.weight`);
    modules.set(module, entry);
  }
  const out = new Map<string, LoraAdapter>();
  const inOut = layoutOf(model.config) === 'in-out';
  for (const [module, { A, B }] of modules) {
    const wName = `${module}.weight`, w = model.params.get(wName);
    if (!w || w.rank !== 2) throw new CheckpointError(wFile, `adapter for ${JSON.stringify(module)}, but the model has no 2-D weight ${JSON.stringify(wName)}`);
    if (!A || !B) throw new CheckpointError(wFile, `module ${JSON.stringify(module)} has lora_${A ? 'A' : 'B'} but no lora_${A ? 'B' : 'A'}`);
    const [inDim, outDim] = inOut ? [w.shape[0]!, w.shape[1]!] : [w.shape[1]!, w.shape[0]!];
    const r = pattern('rank_pattern', module, cfg.r as number);
    const want = (t: Tensor, shape: number[], n: string) => {
      if (t.shape[0] !== shape[0] || t.shape[1] !== shape[1] || t.rank !== 2) {
        throw new CheckpointError(wFile, `tensor "${PREFIX}${module}.${n}" has shape ${shapeStr(t.shape)}, expected ${shapeStr(shape)} (r = ${r}, weight ${shapeStr(w.shape)})`);
      }
    };
    want(A, [r, inDim], 'lora_A.weight');
    want(B, [outDim, r], 'lora_B.weight');
    const alpha = pattern('alpha_pattern', module, alpha0 as number);
    out.set(wName, { A, B, scale: rslora ? alpha / Math.sqrt(r) : alpha / r, dropout: dropout as number });
  }
  if (out.size === 0) throw new CheckpointError(wFile, 'holds no LoRA tensors');
  // In parameter order, as createLora makes them, so namedParameters() lists them the same way.
  return new Map([...model.params.keys()].filter((k) => out.has(k)).map((k) => [k, out.get(k)!]));
}
