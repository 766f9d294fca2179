// Scalar heads on top of the transformer: one value per sequence at its last real token (reward
// models, as HF's *ForSequenceClassification) or one per token (PPO value functions, TRL's
// v_head). Both are a linear map C → 1 named `<name>.weight` (1, C) and `<name>.bias` (1).
import { embedding, reshape } from '../ops/index.js';
import { linear, normalParam, zerosParam } from '../nn/index.js';
import { Rng, Tensor } from '../tensor/index.js';
import type { Transformer } from './transformer.js';

export function addScalarHead(model: Transformer, name = 'score', rng = new Rng(1)): void {
  const C = model.config.dModel;
  const w = normalParam([1, C], 1 / Math.sqrt(C + 1), rng);
  const b = zerosParam([1]);
  w.name = `${name}.weight`;
  b.name = `${name}.bias`;
  model.params.set(w.name, w);
  model.params.set(b.name, b);
}

/** One value per token: hidden (B, T, C) → (B, T). */
export function scalarPerToken(model: Transformer, hidden: Tensor, name = 'score'): Tensor {
  const y = linear(hidden, model.p(`${name}.weight`), model.p(`${name}.bias`), 'out-in'); // (B, T, 1)
  return reshape(y, hidden.shape.slice(0, -1));
}

/** One value per sequence, read at index lastIndex[b] of each row: hidden (B, T, C) → (B). */
export function scalarAtLast(model: Transformer, hidden: Tensor, lastIndex: readonly number[], name = 'score'): Tensor {
  const [B, T, C] = hidden.shape as [number, number, number];
  if (lastIndex.length !== B) throw new RangeError(`scalarAtLast: ${lastIndex.length} indices for a batch of ${B}`);
  const rows = Int32Array.from(lastIndex, (t, b) => {
    if (t < 0 || t >= T) throw new RangeError(`scalarAtLast: index ${t} of row ${b} is outside [0, ${T})`);
    return b * T + t;
  });
  // Gathering rows of the flattened hidden states routes the gradient back to those positions.
  const picked = embedding(reshape(hidden, [B * T, C]), new Tensor(rows, [B])); // (B, C)
  return reshape(linear(picked, model.p(`${name}.weight`), model.p(`${name}.bias`), 'out-in'), [B]);
}
