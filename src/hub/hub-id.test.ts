// Which strings are Hub ids (huggingface_hub's validate_repo_id, namespace required), and how a
// revision, config and split ride along.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRepoId, parseDatasetRef, parseModelRef } from './hub-id.js';
import { splitOfPath } from './resolve-dataset.js';
import { hubSettings } from './settings.js';

test('a Hub id is org/name of word characters, dots and dashes; paths and bad names are not', () => {
  for (const id of ['HuggingFaceTB/SmolLM2-135M-Instruct', 'Qwen/Qwen2.5-0.5B-Instruct', 'openai/gsm8k', 'a/b', 'org_1/name.v2']) assert.equal(isRepoId(id), true, id);
  for (const id of ['gpt2', 'runs/sft/model', './model', '/abs/path', 'org/-name', 'org/name-', 'org/na--me', 'org/na..me', 'org/name.git', 'org/', '/name', 'org/na me']) {
    assert.equal(isRepoId(id), false, id);
  }
});

test('a model reference: the revision after @, main by default', () => {
  assert.deepEqual(parseModelRef('org/name'), { type: 'model', id: 'org/name', revision: 'main' });
  assert.deepEqual(parseModelRef('org/name@v1.0'), { type: 'model', id: 'org/name', revision: 'v1.0' });
  assert.deepEqual(parseModelRef('org/name@refs/pr/3'), { type: 'model', id: 'org/name', revision: 'refs/pr/3' });
  assert.equal(parseModelRef('org/name@'), null);
  assert.equal(parseModelRef('org/name@a b'), null);
  assert.equal(parseModelRef('runs/sft/model'), null);
});

test('a dataset reference: [@revision][:[config/]split], split train by default', () => {
  assert.deepEqual(parseDatasetRef('openai/gsm8k'), { type: 'dataset', id: 'openai/gsm8k', revision: 'main', split: 'train' });
  assert.deepEqual(parseDatasetRef('openai/gsm8k:main/test'), { type: 'dataset', id: 'openai/gsm8k', revision: 'main', split: 'test', config: 'main' });
  assert.deepEqual(parseDatasetRef('org/ds@v2:validation'), { type: 'dataset', id: 'org/ds', revision: 'v2', split: 'validation' });
  assert.equal(parseDatasetRef('org/ds:a/b/c'), null);
  assert.equal(parseDatasetRef('prefs.jsonl'), null);
});

test('split and config of a Parquet file, from the paths the Hub and its converter write', () => {
  assert.deepEqual(splitOfPath('data/train-00000-of-00003.parquet'), { config: 'default', split: 'train' });
  assert.deepEqual(splitOfPath('main/test-00000-of-00001.parquet'), { config: 'main', split: 'test' });
  assert.deepEqual(splitOfPath('default/train/0000.parquet'), { config: 'default', split: 'train' });
  assert.deepEqual(splitOfPath('harmless/partial-test/0003.parquet'), { config: 'harmless', split: 'test' });
  assert.deepEqual(splitOfPath('plain_text/imdb-unsupervised.parquet'), { config: 'plain_text', split: 'unsupervised' });
  assert.deepEqual(splitOfPath('train_prefs.parquet'), { config: 'default', split: 'train_prefs' });
});

test('settings come from the environment as huggingface_hub reads it', () => {
  const s = hubSettings({}, { HF_HOME: '/h', HF_ENDPOINT: 'http://hub.local/', HF_HUB_OFFLINE: 'YES', HF_TOKEN: ' hf_x ' });
  assert.deepEqual([s.endpoint, s.cacheDir, s.offline, s.token], ['http://hub.local', '/h/hub', true, 'hf_x']);
  const d = hubSettings({}, { HOME: '/home/u', XDG_CACHE_HOME: '/x', HF_HUB_CACHE: undefined, HF_TOKEN_PATH: '/nonexistent/token' });
  assert.deepEqual([d.endpoint, d.cacheDir, d.offline, d.token], ['https://huggingface.co', '/x/huggingface/hub', false, undefined]);
  assert.equal(hubSettings({}, { HF_HUB_CACHE: '/c', HF_HOME: '/h', HF_HUB_OFFLINE: '0' }).cacheDir, '/c');
  assert.equal(hubSettings({ offline: false }, { HF_HUB_OFFLINE: '1' }).offline, false);
});
