// Sampling defaults ↔ Hugging Face generation_config.json (transformers GenerationConfig). HF
// samples only when do_sample is true; otherwise it decodes greedily whatever temperature says,
// and its default is do_sample false. Greedy is temperature 0 here, so that is how it maps.
import { CheckpointError } from '../../io/checkpoint.js';

export const GENERATION_CONFIG_FILE = 'generation_config.json';

export interface GenerationSettings {
  maxNewTokens?: number;
  /** 0 means greedy decoding. */
  temperature?: number;
  /** Keep the k most likely tokens; 0 keeps all (HF's meaning too). */
  topK?: number;
  /** Nucleus sampling mass in (0, 1]. */
  topP?: number;
  eos?: number | number[] | null;
  bos?: number | null;
  pad?: number | null;
}

/**
 * generation_config.json for `g`. Sampling is on when a positive temperature is given, or when
 * no temperature is given but topK/topP are; sampling keys are left out of a greedy config,
 * because HF's validation warns about them there.
 */
export function toHfGenerationConfig(g: GenerationSettings): Record<string, unknown> {
  const doSample = g.temperature !== undefined ? g.temperature > 0 : g.topK !== undefined || g.topP !== undefined;
  const out: Record<string, unknown> = {};
  if (g.bos !== undefined) out.bos_token_id = g.bos;
  if (g.eos !== undefined) out.eos_token_id = g.eos;
  if (g.pad !== undefined) out.pad_token_id = g.pad;
  if (g.maxNewTokens !== undefined) out.max_new_tokens = g.maxNewTokens;
  out.do_sample = doSample;
  if (doSample) {
    if (g.temperature !== undefined) out.temperature = g.temperature;
    if (g.topK !== undefined) out.top_k = g.topK;
    if (g.topP !== undefined) out.top_p = g.topP;
  }
  return out;
}

const HF_KEYS: Record<keyof GenerationSettings, string> = {
  maxNewTokens: 'max_new_tokens', temperature: 'temperature', topK: 'top_k', topP: 'top_p', bos: 'bos_token_id', eos: 'eos_token_id', pad: 'pad_token_id',
};

/** Throws naming `where` and the field (by its HF key when `hfKeys`) with its value. */
export function checkGeneration(g: GenerationSettings, where: string, hfKeys = false): GenerationSettings {
  const bad = (field: keyof GenerationSettings, value: unknown, expected: string): never => {
    throw new CheckpointError(where, `${hfKeys ? HF_KEYS[field] : field} = ${JSON.stringify(value)}, expected ${expected}`);
  };
  const isId = (v: unknown) => v === null || (Number.isInteger(v) && (v as number) >= 0);
  if (g.maxNewTokens !== undefined && !(Number.isInteger(g.maxNewTokens) && g.maxNewTokens > 0)) bad('maxNewTokens', g.maxNewTokens, 'a positive integer');
  if (g.temperature !== undefined && !(g.temperature >= 0 && Number.isFinite(g.temperature))) bad('temperature', g.temperature, 'a finite number >= 0');
  if (g.topK !== undefined && !(Number.isInteger(g.topK) && g.topK >= 0)) bad('topK', g.topK, 'a non-negative integer');
  if (g.topP !== undefined && !(g.topP > 0 && g.topP <= 1)) bad('topP', g.topP, 'a number in (0, 1]');
  for (const k of ['bos', 'pad'] as const) if (g[k] !== undefined && !isId(g[k])) bad(k, g[k], 'null or a token id');
  if (g.eos !== undefined && !(Array.isArray(g.eos) ? g.eos.every((e) => isId(e) && e !== null) : isId(g.eos))) bad('eos', g.eos, 'null, a token id or a list of them');
  return g;
}

/** Parses generation_config.json (already JSON-decoded); unknown keys are ignored. */
export function fromHfGenerationConfig(json: unknown, file = GENERATION_CONFIG_FILE): GenerationSettings {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError(file, `expected a JSON object, got ${JSON.stringify(json)}`);
  }
  const j = json as Record<string, unknown>;
  const g: GenerationSettings = {};
  const take = <K extends keyof GenerationSettings>(field: K, key: string): void => {
    if (j[key] !== undefined) g[field] = j[key] as GenerationSettings[K];
  };
  take('bos', 'bos_token_id');
  take('eos', 'eos_token_id');
  take('pad', 'pad_token_id');
  take('maxNewTokens', 'max_new_tokens');
  if (j.do_sample === true) {
    take('temperature', 'temperature');
    take('topK', 'top_k');
    take('topP', 'top_p');
  } else {
    g.temperature = 0;
  }
  return checkGeneration(g, file, true);
}
