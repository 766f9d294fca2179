// Where @huggingface/tokenizers (JS) and the Rust `tokenizers` read the same tokenizer.json
// differently, the JSON handed to the JS runtime is rewritten into an equivalent it runs as Rust
// does. The file itself is never changed: save() writes what was read. Each rewrite is pinned by
// a text of test/golden/tokenizers.golden.test.ts that fails without it.

type Json = Record<string, unknown>;

/**
 * Digits: Rust splits on `char::is_numeric` (general categories Nd, Nl, No: "½", "²", "٣"); the
 * JS class uses `\d`, ASCII only. SmolLM2's pre-tokenizer starts with Digits. A Split on `\p{N}`
 * (JS's N is the same three categories) with the Isolated behaviour is what Rust does.
 */
function digits(p: Json): Json {
  return { type: 'Split', pattern: { Regex: p.individual_digits === true ? '\\p{N}' : '\\p{N}+' }, behavior: 'Isolated', invert: false };
}

function preTokenizer(p: unknown): unknown {
  if (typeof p !== 'object' || p === null) return p;
  const o = p as Json;
  if (o.type === 'Digits') return digits(o);
  if (o.type === 'Sequence' && Array.isArray(o.pretokenizers)) return { ...o, pretokenizers: o.pretokenizers.map(preTokenizer) };
  return o;
}

/** The tokenizer.json content to give the JS runtime; the optional blocks it insists on are filled with null. */
export function forJsRuntime(json: Json): Json {
  // The Rust loader treats these as optional; the JS port insists they exist.
  const full = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json };
  return { ...full, pre_tokenizer: preTokenizer(full.pre_tokenizer) };
}
