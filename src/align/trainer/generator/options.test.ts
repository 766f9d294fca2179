// The --generator option group: the very same Option objects on the seven jobs that sample
// (declared once), the sync option only on those that update a policy step by step, no generator
// options elsewhere, and a bad URL refused naming the flag and the value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restJobOptions } from '../../rest/job.js';
import { restEmJobOptions } from '../../rest-em/job.js';
import { serJobOptions } from '../../ser/job.js';
import { evalJobOptions } from '../../eval/job.js';
import { grpoJobOptions } from '../../grpo/job.js';
import { rlooJobOptions } from '../../rloo/job.js';
import { ppoJobOptions } from '../../ppo/job.js';
import { dpoJobOptions } from '../../dpo/job.js';
import { generatorOptions, generatorSyncOptions, generatorUrls, openGenerator } from './options.js';
import { localGenerator } from './generator.js';
import { RemoteGenerator } from './remote.js';

const jobs = { rest: restJobOptions, 'rest-em': restEmJobOptions, ser: serJobOptions, eval: evalJobOptions, grpo: grpoJobOptions, rloo: rlooJobOptions, ppo: ppoJobOptions };

test('the seven sampling jobs share one declaration of the generator options; the online ones add the sync option', () => {
  for (const [name, decl] of Object.entries(jobs)) {
    const options = decl.options as Record<string, unknown>;
    for (const [k, o] of Object.entries(generatorOptions)) assert.equal(options[k], o, `${name}: ${k}`);
    assert.equal(options['generatorSyncEvery'] === generatorSyncOptions.generatorSyncEvery, ['ser', 'grpo', 'rloo', 'ppo'].includes(name), `${name}: generatorSyncEvery`);
  }
  assert.equal((dpoJobOptions.options as Record<string, unknown>)['generator'], undefined, 'dpo does not sample');
});

test('--generator: comma-separated base URLs; anything else is refused naming the value', () => {
  assert.deepEqual(generatorUrls(' http://a:8000/v1, https://b/v1 '), ['http://a:8000/v1', 'https://b/v1']);
  assert.throws(() => generatorUrls(' , '), /--generator " , ": expected one or more base URLs/);
  assert.throws(() => generatorUrls('http://a/v1,gpu-b:8000'), /--generator: "gpu-b:8000" is not an http\(s\) URL/);
  const values = { generatorTimeout: 1, generatorRetries: 0, generatorConcurrency: 1 };
  assert.equal(openGenerator(values, 'out'), localGenerator);
  assert.ok(openGenerator({ ...values, generator: 'http://127.0.0.1:9/v1' }, 'out') instanceof RemoteGenerator);
});
