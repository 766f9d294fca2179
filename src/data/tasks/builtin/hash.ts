// A string hash for splits that must not depend on a seed or on the order problems were made
// in: the same word or equation lands on the same side (train or test) in every run, so a model
// never trains on a problem another run evaluates it on.

/** 32-bit FNV-1a over UTF-16 code units (Fowler, Noll, Vo); small, fast, and well mixed for short keys. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV's low bits mix poorly for keys that differ only at the end ("12+3" vs "12+4"): finish
  // with murmur3's avalanche so every bit depends on every character.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform draw in [0, 1) fixed by the key. */
export function hashUnit(key: string): number {
  return fnv1a32(key) / 4294967296;
}
