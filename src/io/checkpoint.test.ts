import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointError, MODEL_FILE, MODEL_INDEX_FILE, readJson, readSafetensorsShards, writeJsonAtomic,
} from './checkpoint.js';
import { SafetensorsError, writeSafetensors } from './safetensors.js';

const root = mkdtempSync(join(tmpdir(), 'alignkit-checkpoint-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(root, `ckpt-${n++}`);
  mkdirSync(d);
  return d;
};

const fails = (re: RegExp, type: new (...a: never[]) => Error = CheckpointError) => (e: unknown) => {
  assert.ok(e instanceof type, `${String(e)} is not a ${type.name}`);
  assert.match(e.message, re);
  return true;
};

test('writeJsonAtomic writes pretty JSON plus newline that readJson reads back', () => {
  const file = join(root, 'nested', 'dir', 'state.json');
  const value = { step: 3, lr: 0.001, tags: ['a', 'b'], nested: { ok: true, none: null } };
  writeJsonAtomic(file, value);
  assert.equal(readFileSync(file, 'utf8'), JSON.stringify(value, null, 2) + '\n');
  assert.deepEqual(readJson(file, 'trainer state'), value);
  assert.deepEqual(readdirSync(join(root, 'nested', 'dir')), ['state.json']);
});

test('writeJsonAtomic refuses values JSON cannot hold and keeps the old file', () => {
  const file = join(root, 'keep.json');
  writeJsonAtomic(file, { loss: 1 });
  const before = readFileSync(file, 'utf8');
  const esc = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.throws(() => writeJsonAtomic(file, { loss: NaN }), fails(new RegExp(`^${esc}: field "loss" is NaN`)));
  assert.throws(() => writeJsonAtomic(file, { a: [1, -Infinity] }), fails(/field "1" is -Infinity/));
  assert.throws(() => writeJsonAtomic(file, { big: 1n }), fails(/value is not JSON-serialisable/));
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  assert.throws(() => writeJsonAtomic(file, cyclic), fails(/value is not JSON-serialisable/));
  assert.throws(() => writeJsonAtomic(file, undefined), fails(/not JSON-serialisable \(got undefined\)/));
  assert.throws(() => writeJsonAtomic(join(file, 'under-a-file.json'), {}), fails(/under-a-file\.json: cannot write/));
  assert.equal(readFileSync(file, 'utf8'), before);
});

test('readJson errors name the file and what it is', () => {
  const missing = join(root, 'missing.json');
  assert.throws(() => readJson(missing, 'model config'), fails(/missing\.json: cannot read model config/));
  const bad = join(root, 'bad.json');
  writeFileSync(bad, '{"a": 1,');
  assert.throws(() => readJson(bad, 'model config'), fails(/bad\.json: model config is not valid JSON/));
  const bom = join(root, 'bom.json');
  writeFileSync(bom, '\ufeff{"a": 1}');
  assert.deepEqual(readJson(bom, 'config'), { a: 1 });
});

const w = (...values: number[]) => ({ shape: [values.length], data: new Float32Array(values) });

test('readSafetensorsShards reads model.safetensors', () => {
  const d = freshDir();
  writeSafetensors(join(d, MODEL_FILE), { a: w(1, 2), b: { shape: [1], data: new Int32Array([3]) } }, { format: 'pt' });
  const got = readSafetensorsShards(d);
  assert.deepEqual(got.files, [join(d, MODEL_FILE)]);
  assert.deepEqual(got.metadata, { format: 'pt' });
  assert.deepEqual([...got.tensors.get('a')!.data], [1, 2]);
  assert.deepEqual([...got.tensors.get('b')!.data], [3]);
});

function sharded(weightMap: Record<string, string>): string {
  const d = freshDir();
  writeSafetensors(join(d, 'model-00001-of-00002.safetensors'), { 'embed.weight': w(1, 2), 'h.0.w': w(3) }, { format: 'pt' });
  writeSafetensors(join(d, 'model-00002-of-00002.safetensors'), { 'h.1.w': w(4), 'lm_head.weight': w(5, 6) }, { format: 'pt', extra: 'x' });
  writeJsonAtomic(join(d, MODEL_INDEX_FILE), { metadata: { total_size: 24 }, weight_map: weightMap });
  return d;
}

const goodMap = {
  'embed.weight': 'model-00001-of-00002.safetensors',
  'h.0.w': 'model-00001-of-00002.safetensors',
  'h.1.w': 'model-00002-of-00002.safetensors',
  'lm_head.weight': 'model-00002-of-00002.safetensors',
};

test('readSafetensorsShards reads shards through the index, in index order', () => {
  const reordered = Object.fromEntries(Object.entries(goodMap).reverse());
  const d = sharded(reordered);
  const got = readSafetensorsShards(d);
  assert.deepEqual([...got.tensors.keys()], Object.keys(reordered));
  assert.deepEqual([...got.tensors.get('lm_head.weight')!.data], [5, 6]);
  assert.deepEqual([...got.tensors.get('embed.weight')!.data], [1, 2]);
  assert.deepEqual(got.metadata, { format: 'pt', extra: 'x' });
  assert.deepEqual(got.files, [join(d, 'model-00002-of-00002.safetensors'), join(d, 'model-00001-of-00002.safetensors')]);
});

test('model.safetensors wins over an index, as in transformers', () => {
  const d = sharded(goodMap);
  writeSafetensors(join(d, MODEL_FILE), { only: w(7) });
  assert.deepEqual([...readSafetensorsShards(d).tensors.keys()], ['only']);
});

test('readSafetensorsShards reports what is wrong and where', () => {
  const empty = freshDir();
  assert.throws(() => readSafetensorsShards(empty), fails(/no model weights: expected model\.safetensors or model\.safetensors\.index\.json$/));
  writeFileSync(join(empty, 'pytorch_model.bin'), 'pickle');
  assert.throws(() => readSafetensorsShards(empty), fails(/pytorch_model\.bin \(pickle\) is not supported/));

  const index = /model\.safetensors\.index\.json: /;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...goodMap, 'h.2.w': 'model-00003-of-00003.safetensors' }, /shard "model-00003-of-00003.safetensors" \(holding "h.2.w"\) is missing/],
    [{ ...goodMap, 'ghost': 'model-00001-of-00002.safetensors' }, /weight_map places tensor "ghost" in "model-00001-of-00002.safetensors", which does not hold it/],
    // Shards are visited in index order, so shard 2 (listed first) is read before shard 1.
    [{
      'lm_head.weight': 'model-00002-of-00002.safetensors',
      'h.1.w': 'model-00001-of-00002.safetensors',
      'embed.weight': 'model-00001-of-00002.safetensors',
      'h.0.w': 'model-00001-of-00002.safetensors',
    }, /shard "model-00002-of-00002.safetensors" holds tensor "h.1.w" but weight_map places it in "model-00001-of-00002.safetensors"/],
    [{ 'embed.weight': goodMap['embed.weight'] }, /holds tensor "h.0.w" but weight_map does not list it/],
    [{ ...goodMap, 'h.0.w': '../model-00001-of-00002.safetensors' }, /weight_map\["h.0.w"\] must be a file name in the same directory/],
    [{ ...goodMap, 'h.0.w': 3 }, /weight_map\["h.0.w"\] must be a file name/],
    [{}, /weight_map is empty/],
  ];
  for (const [map, re] of cases) {
    const d = sharded(map as Record<string, string>);
    assert.throws(() => readSafetensorsShards(d), fails(new RegExp(index.source + '.*' + re.source)));
  }

  const noMap = sharded(goodMap);
  writeFileSync(join(noMap, MODEL_INDEX_FILE), '{"metadata": {}}');
  assert.throws(() => readSafetensorsShards(noMap), fails(/expected an object with "weight_map"/));
  writeFileSync(join(noMap, MODEL_INDEX_FILE), '{"weight_map": ');
  assert.throws(() => readSafetensorsShards(noMap), fails(/model\.safetensors\.index\.json: safetensors index is not valid JSON/));

  const corrupt = sharded(goodMap);
  const shard = join(corrupt, 'model-00002-of-00002.safetensors');
  writeFileSync(shard, readFileSync(shard).subarray(0, 40));
  assert.throws(() => readSafetensorsShards(corrupt), fails(new RegExp(`^${shard.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), SafetensorsError));
});
