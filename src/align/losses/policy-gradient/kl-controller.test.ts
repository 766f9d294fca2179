import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdaptiveKlController, FixedKlController } from './kl-controller.js';

test('adaptive β rises when KL is above target and falls when below (Ziegler et al. 2019)', () => {
  const up = new AdaptiveKlController({ init: 0.1, target: 6, horizon: 10000 });
  up.update(7.5, 256); // error 0.25 clipped to 0.2
  assert.ok(Math.abs(up.value - 0.1 * (1 + 0.2 * 256 / 10000)) < 1e-15);
  const down = new AdaptiveKlController({ init: 0.1, target: 6, horizon: 10000 });
  down.update(5.4, 256); // error −0.1
  assert.ok(Math.abs(down.value - 0.1 * (1 - 0.1 * 256 / 10000)) < 1e-15);
  const still = new AdaptiveKlController({ init: 0.1, target: 6 });
  still.update(6, 256);
  assert.equal(still.value, 0.1);
});

test('the proportional error is clipped to ±0.2', () => {
  const c = new AdaptiveKlController({ init: 1, target: 1, horizon: 100 });
  c.update(1000, 100);
  assert.ok(Math.abs(c.value - 1.2) < 1e-12);
  c.update(0, 100);
  assert.ok(Math.abs(c.value - 1.2 * 0.8) < 1e-12);
});

test('a sustained KL overshoot keeps pushing β up; the fixed controller never moves', () => {
  const c = new AdaptiveKlController();
  let prev = c.value;
  for (let i = 0; i < 10; i++) {
    c.update(12, 64);
    assert.ok(c.value > prev);
    prev = c.value;
  }
  const f = new FixedKlController(0.05);
  f.update(100, 64);
  assert.equal(f.value, 0.05);
  assert.throws(() => new AdaptiveKlController({ target: 0 }), /target must be a positive/);
});
