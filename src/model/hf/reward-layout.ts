// A reward model (a `score` head on the transformer) in the Hub's layout (issue 18, point 5), so
// that `AutoModelForSequenceClassification.from_pretrained(dir)` with no other argument reads it
// and gives alignkit's scores: config.json names the family's *ForSequenceClassification with one
// label, and the head is `score.weight` alone, as transformers' score Linear has no bias.
//
// alignkit's head has a bias, moved only by reward normalisation (the Bradley–Terry loss is blind
// to a shift). No weight can absorb it (the final norm has no bias in the Llama families), so it
// goes to config.json as alignkit.score_bias and comes back from there: transformers' score is
// alignkit's minus that number, exactly, and 0 when the model was not normalised.
//
// transformers reads the score at each row's last token that is not pad_token_id; alignkit at the
// last token, which is EOS. When the tokenizer pads with EOS (GPT-2, SmolLM2), config.json's
// pad_token_id is therefore another id no scored sequence ends with (BOS, else 0 or 1), so that
// an unpadded or left-padded row is read where alignkit reads it.
import type { HfConfigJson, HfTokenIds } from './config.js';

export const SCORE_WEIGHT = 'score.weight';
export const SCORE_BIAS = 'score.bias';

/** The pad id config.json gives a reward model: never EOS (see above). */
export function rewardPadId(ids: Partial<HfTokenIds>): number {
  const eos = [ids.eos ?? []].flat();
  const ok = (id: number | null | undefined): id is number => typeof id === 'number' && !eos.includes(id);
  if (ok(ids.pad)) return ids.pad;
  if (ok(ids.bos)) return ids.bos;
  return eos.includes(0) ? 1 : 0;
}

/** config.json of a causal LM turned into its sequence-classification twin with one label. */
export function rewardModelHfConfig(json: HfConfigJson, ids: Partial<HfTokenIds>, scoreBias: number): HfConfigJson {
  const arch = String((json.architectures as string[] | undefined)?.[0] ?? '');
  const own = (json.alignkit ?? {}) as Record<string, unknown>;
  return {
    ...json,
    architectures: [arch.replace(/(LMHeadModel|ForCausalLM)$/, 'ForSequenceClassification')],
    id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 },
    pad_token_id: rewardPadId(ids),
    ...(scoreBias !== 0 ? { alignkit: { ...own, score_bias: scoreBias } } : {}),
  };
}

/** The score bias a reward model's config.json keeps (0 when it has none). */
export function scoreBiasOf(json: unknown): number {
  const own = (json as { alignkit?: { score_bias?: unknown } } | null)?.alignkit;
  return typeof own?.score_bias === 'number' ? own.score_bias : 0;
}
