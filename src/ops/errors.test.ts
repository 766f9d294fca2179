import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randn, tensor } from '../tensor/index.js';
import * as op from './index.js';

test('shape mismatches name the op, both shapes and the expectation', () => {
  const a = randn([2, 3]), b = randn([4, 5]);
  assert.throws(() => op.add(a, b), /^ShapeError: add: shapes \[2, 3\] and \[4, 5\] do not match: expected shapes that broadcast/);
  assert.throws(() => op.matmul(a, b), /matmul: inner dimensions differ: a \[2, 3\] has K=3, b \[4, 5\] has K=4/);
  assert.throws(() => op.layerNorm(a, randn([4])), /layerNorm: weight has shape \[4\], expected \[3\] to match input \[2, 3\]/);
  assert.throws(() => op.crossEntropy(a, tensor([1, 2, 0], undefined, { dtype: 'int32' })), /crossEntropy: logits \[2, 3\] and targets \[3\] do not match/);
  assert.throws(() => op.reshape(a, [4, 2]), /reshape: cannot view \[2, 3\] \(6 elements\) as \[4, 2\]/);
  assert.throws(() => op.concat([a, b], 0), /concat: shapes \[2, 3\] and \[4, 5\] differ outside axis 0/);
  assert.throws(() => op.attention(randn([1, 2, 3, 4]), randn([1, 3, 3, 4]), randn([1, 3, 3, 4])), /H a multiple of k's heads/);
  const qkv = randn([1, 3, 24]);
  assert.throws(() => op.projectionAttention({ of: qkv, heads: 2 }, { of: qkv, heads: 2, channel: 8 }, { of: qkv, heads: 2, channel: 17 }, 4),
    /projectionAttention: v: 2 heads of 4 channels from channel 17 do not fit a \(B, T, W\) projection of shape \[1, 3, 24\]/);
  assert.throws(() => op.projectionAttention({ of: qkv, heads: 3 }, { of: qkv, heads: 2, channel: 12 }, { of: qkv, heads: 2, channel: 16 }, 2),
    /q's heads a multiple of k's/);
  assert.throws(() => op.sum(a, 2), /axis 2 is out of range for a tensor of rank 2/);
});

test('ids out of range and wrong dtypes are named', () => {
  const table = randn([4, 2]);
  assert.throws(() => op.embedding(table, tensor([1, 4], undefined, { dtype: 'int32' })), /id 4 at position 1 is outside the table's 4 rows/);
  assert.throws(() => op.embedding(table, tensor([1, 2])), /ids must be int32, got float32/);
  assert.throws(() => op.crossEntropy(randn([2, 3]), tensor([0, 3], undefined, { dtype: 'int32' })), /target 3 at position 1 is outside \[0, 3\)/);
});

test('cross-entropy mean skips ignored targets; all ignored gives 0', () => {
  const logits = tensor([[2, 0], [0, 0]]);
  const l = op.crossEntropy(logits, tensor([0, -100], undefined, { dtype: 'int32' }));
  assert.ok(Math.abs(l.item() - Math.log(1 + Math.exp(-2))) < 1e-6);
  assert.equal(op.crossEntropy(logits, tensor([-100, -100], undefined, { dtype: 'int32' })).item(), 0);
});

test('attention with a KV cache step equals the last row of full attention', () => {
  const q = randn([1, 2, 5, 4]), k = randn([1, 2, 5, 4]), v = randn([1, 2, 5, 4]);
  const full = op.attention(q, k, v);
  const step = op.attention(op.slice(q, 2, 4, 5), k, v);
  const last = op.slice(full, 2, 4, 5);
  step.toArray().forEach((x, i) => assert.ok(Math.abs(x - last.data[i]!) < 1e-6));
});

test('dropout is the identity in evaluation and keeps the mean in training', () => {
  const x = randn([10000]);
  assert.equal(op.dropout(x, 0.5, false), x);
  const ones = tensor(new Float32Array(10000).fill(1));
  const y = op.dropout(ones, 0.25, true).toArray();
  const zeros = y.filter((v) => v === 0).length;
  assert.ok(Math.abs(zeros / 10000 - 0.25) < 0.03);
  assert.ok(Math.abs(y.reduce((a, b) => a + b, 0) / 10000 - 1) < 0.05);
  assert.throws(() => op.dropout(x, 1, true), /expected 0 ≤ p < 1/);
});
