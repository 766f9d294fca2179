// Warm-up then cosine (GPT-3 / nanoGPT): linear rise to the peak, monotone decay to minLr at
// totalSteps, flat after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate, type ScheduleConfig } from './schedule.js';

const c: ScheduleConfig = { lr: 3e-3, warmupSteps: 10, totalSteps: 110, minLr: 3e-4 };
const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-12, `${what}: ${a}, expected ${b}`);

test('warm-up is linear from lr/warmupSteps to the peak', () => {
  for (let s = 0; s < c.warmupSteps; s++) close(learningRate(s, c), (c.lr * (s + 1)) / c.warmupSteps, `step ${s}`);
  const d = learningRate(1, c) - learningRate(0, c);
  for (let s = 1; s < c.warmupSteps; s++) close(learningRate(s, c) - learningRate(s - 1, c), d, `increment at step ${s}`);
  close(learningRate(c.warmupSteps - 1, c), c.lr, 'last warm-up step');
  close(learningRate(c.warmupSteps, c), c.lr, 'first decay step');
});

test('the cosine is monotone after warm-up, halfway at the midpoint, and reaches minLr at totalSteps', () => {
  for (let s = c.warmupSteps + 1; s <= c.totalSteps + 5; s++) {
    assert.ok(learningRate(s, c) <= learningRate(s - 1, c), `step ${s} rises: ${learningRate(s, c)} > ${learningRate(s - 1, c)}`);
  }
  close(learningRate((c.warmupSteps + c.totalSteps) / 2, c), (c.lr + c.minLr) / 2, 'midpoint');
  close(learningRate(c.totalSteps, c), c.minLr, 'at totalSteps');
  // The formula itself lands on minLr: one step before the end is within the last cosine step.
  assert.ok(learningRate(c.totalSteps - 1, c) - c.minLr < (c.lr - c.minLr) * 1e-3);
  close(learningRate(c.totalSteps + 1000, c), c.minLr, 'after totalSteps');
});

test('no warm-up starts at the peak', () => {
  const z = { ...c, warmupSteps: 0 };
  close(learningRate(0, z), z.lr, 'step 0');
  close(learningRate(z.totalSteps, z), z.minLr, 'end');
});

test('Hugging Face warm-up starts at 0 and reaches the peak at step W; linear and constant decays', () => {
  const hf = { ...c, warmupFromZero: true };
  for (let s = 0; s < c.warmupSteps; s++) close(learningRate(s, hf), (c.lr * s) / c.warmupSteps, `hf step ${s}`);
  close(learningRate(c.warmupSteps, hf), c.lr, 'peak');
  // Equal to transformers' get_cosine_with_min_lr_schedule_with_warmup (min_lr_rate = minLr / lr) after warm-up.
  for (const s of [15, 50, 90, 110]) {
    const progress = (s - c.warmupSteps) / (c.totalSteps - c.warmupSteps), rate = c.minLr / c.lr;
    close(learningRate(s, hf), c.lr * ((0.5 * (1 + Math.cos(Math.PI * progress))) * (1 - rate) + rate), `hf cosine step ${s}`);
  }
  const lin = { ...c, kind: 'linear' as const };
  close(learningRate((c.warmupSteps + c.totalSteps) / 2, lin), (c.lr + c.minLr) / 2, 'linear midpoint');
  close(learningRate(c.warmupSteps + 25, lin), c.minLr + 0.75 * (c.lr - c.minLr), 'linear quarter');
  const flat = { ...c, kind: 'constant' as const };
  for (const s of [c.warmupSteps, 60, c.totalSteps + 5]) close(learningRate(s, flat), c.lr, `constant step ${s}`);
});
