// Shared pieces of the online-trainer suites (a *.test.ts file so that it never ships): a tiny
// model over an eight-letter alphabet, a toy reward that pays for one token, a fresh run store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, generate, Transformer } from '../../model/index.js';
import { RunStore } from '../../runs/run-store.js';
import { CharTokenizer } from '../../tokenizer/index.js';
import type { RewardFn } from '../trainer/reward-fn.js';
import type { PromptItem } from './rollout.js';

/** Ids: a..h = 0..7, then <|unk|> 8, <|bos|> 9, <|eos|> 10, <|pad|> 11. */
export const tok = new CharTokenizer([...'abcdefgh']);
export const TARGET = 5; // 'f'

export function tinyModel(seed = 0): Transformer {
  return new Transformer(defaultConfig('gpt2', { vocabSize: tok.vocabSize, dModel: 16, nHead: 2, nLayer: 1, maxSeqLen: 16 }), undefined, seed);
}

export const prompts: PromptItem[] = ['ab', 'cd', 'eh', 'hga'].map((text, i) => ({ id: `p${i}`, text }));

/** Fraction of a completion's tokens (EOS aside) equal to TARGET; 0 for an empty one. */
export function targetFraction(tokens: readonly number[]): number {
  const body = tokens.filter((t) => t !== tok.eos);
  return body.length ? body.filter((t) => t === TARGET).length / body.length : 0;
}

export const payForTarget: RewardFn = async (_p, _c, meta) => meta.completionTokens.map(targetFraction);

/** Mean toy reward of 64 samples per prompt at temperature 1, fixed seed: the policy's expected reward. */
export function meanTargetReward(model: Transformer, maxNewTokens = 6): number {
  const s = generate(model, prompts.map((p) => tok.encode(p.text)), { maxNewTokens, n: 64, seed: 12345, stopTokens: [tok.eos!] });
  return s.reduce((acc, x) => acc + targetFraction(x.tokens), 0) / s.length;
}

const root = mkdtempSync(join(tmpdir(), 'alignkit-rl-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
let runs = 0;

/** A new run store in this process's scratch directory (removed at exit). */
export function freshStore(config: Record<string, unknown> = {}): RunStore {
  return RunStore.open(join(root, `run-${++runs}`), config, { resume: false });
}

export function snapshot(m: Transformer): Map<string, Float32Array> {
  return new Map([...m.params].map(([k, v]) => [k, v.f32.slice()]));
}

/** Names of the parameters whose values differ from the snapshot. */
export function changed(m: Transformer, before: Map<string, Float32Array>): string[] {
  return [...m.params].filter(([k, v]) => !before.has(k) || v.f32.some((x, i) => x !== before.get(k)![i])).map(([k]) => k);
}
