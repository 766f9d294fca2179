// Embedding lookup and token-level cross-entropy from logits.
import { widenHalf } from '../../tensor/index.js';
import type { F32, I32, U16 } from '../kernels.js';

export function embeddingForward(out: F32, ids: I32, table: F32, N: number, C: number): void {
  for (let n = 0; n < N; n++) out.set(table.subarray(ids[n] * C, ids[n] * C + C), n * C);
}

/** Rows of a 16-bit table, each widened exactly into its place in out. */
export function embeddingForwardHalf(out: F32, ids: I32, table: U16, bf16: boolean, N: number, C: number): void {
  const dtype = bf16 ? 'bfloat16' : 'float16';
  for (let n = 0; n < N; n++) out.set(widenHalf(table.subarray(ids[n] * C, ids[n] * C + C), dtype), n * C);
}

export function embeddingBackward(dtable: F32, dout: F32, ids: I32, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const t = ids[n] * C, o = n * C;
    for (let c = 0; c < C; c++) dtable[t + c] += dout[o + c];
  }
}

export function crossEntropyForward(losses: F32, lse: F32, logits: F32, targets: I32, N: number, V: number, ignoreIndex: number): void {
  for (let n = 0; n < N; n++) {
    const b = n * V;
    let m = -Infinity;
    for (let v = 0; v < V; v++) if (logits[b + v] > m) m = logits[b + v];
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[b + v] - m);
    const l = m + Math.log(s);
    lse[n] = l;
    losses[n] = targets[n] === ignoreIndex ? 0 : l - logits[b + targets[n]];
  }
}

// d loss_n / d logits_n = softmax(logits_n) − onehot(target_n)
export function crossEntropyBackward(dlogits: F32, dlosses: F32, logits: F32, lse: F32, targets: I32, N: number, V: number, ignoreIndex: number,
  accumulate: boolean): void {
  for (let n = 0; n < N; n++) {
    if (!accumulate) dlogits.fill(0, n * V, (n + 1) * V);
    if (targets[n] === ignoreIndex) continue;
    const b = n * V, g = dlosses[n], l = lse[n];
    for (let v = 0; v < V; v++) dlogits[b + v] += g * Math.exp(logits[b + v] - l);
    dlogits[b + targets[n]] -= g;
  }
}

/** crossEntropyForward, then its backward for dlosses = 1 over the logits, × scale (kernels.ts). */
export function crossEntropyFused(losses: F32, lse: F32, logits: F32, targets: I32, N: number, V: number, ignoreIndex: number, scale: number): void {
  crossEntropyForward(losses, lse, logits, targets, N, V, ignoreIndex);
  for (let n = 0; n < N; n++) {
    const b = n * V, l = lse[n];
    if (targets[n] === ignoreIndex) { logits.fill(0, b, b + V); continue; }
    for (let v = 0; v < V; v++) logits[b + v] = Math.exp(logits[b + v] - l);
    logits[b + targets[n]] -= 1;
    if (scale !== 1) for (let v = 0; v < V; v++) logits[b + v] *= scale;
  }
}
