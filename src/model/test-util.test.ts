// Shared helpers for the model suites (a *.test.ts file so that it never ships as library code).
import assert from 'node:assert/strict';
import { Rng, Tensor, tensor } from '../tensor/index.js';
import { defaultConfig, type Family, type ModelConfig } from './config.js';
import type { Params } from './weights.js';

/**
 * A tiny model of either family (Llama with grouped-query attention, 4 heads on 2 kv heads).
 * initStd 0.2 rather than GPT-2's 0.02 so that logits and attention are far from flat and an
 * invariant that only holds for near-uniform attention cannot pass by accident.
 */
export function tinyConfig(family: Family, over: Partial<ModelConfig> = {}): ModelConfig {
  return defaultConfig(family, {
    vocabSize: 37, maxSeqLen: 16, dModel: 16, nLayer: 2, nHead: 4,
    nKvHead: family === 'llama' ? 2 : 4, dFF: family === 'llama' ? 40 : 64, initStd: 0.2, ...over,
  });
}

/** Token ids (B, T) uniform in [0, V). */
export function randomIds(rng: Rng, B: number, T: number, V: number): Tensor {
  return tensor(Int32Array.from({ length: B * T }, () => rng.int(V)), [B, T]);
}

/** Columns [t0, t1) of ids (B, T). */
export function sliceIds(ids: Tensor, t0: number, t1: number): Tensor {
  const [B, T] = ids.shape as [number, number];
  const out = new Int32Array(B * (t1 - t0));
  for (let b = 0; b < B; b++) out.set(ids.i32.subarray(b * T + t0, b * T + t1), b * (t1 - t0));
  return tensor(out, [B, t1 - t0]);
}

/** The V logits of row b, position t, of logits (B, T, V). */
export function logitsAt(logits: Tensor, b: number, t: number): Float32Array {
  const [, T, V] = logits.shape as [number, number, number];
  return logits.f32.subarray((b * T + t) * V, (b * T + t + 1) * V);
}

/** Every element within tol·max(|want|, floor); the message names the worst one. */
export function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, floor = 1): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} elements, expected ${want.length}`);
  let worst = -1, worstRatio = 0;
  for (let i = 0; i < want.length; i++) {
    const ratio = Math.abs(got[i]! - want[i]!) / (tol * Math.max(Math.abs(want[i]!), floor));
    if (!(ratio <= worstRatio)) {
      worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
      worst = i;
    }
  }
  if (worstRatio > 1) {
    assert.fail(`${what}: element ${worst} is ${got[worst]}, expected ${want[worst]} (${worstRatio.toFixed(1)}× the tolerance ${tol})`);
  }
}

/** A deep copy of a parameter map: same names, same requiresGrad, fresh data, no gradients. */
export function cloneParams(p: Params): Params {
  return new Map([...p].map(([k, t]) => {
    const c = new Tensor(t.f32.slice(), t.shape, t.requiresGrad);
    c.name = t.name;
    return [k, c];
  }));
}

/** The largest |x|. */
export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}
