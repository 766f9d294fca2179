import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { tempDir } from '../../../io/temp-dir.test.js';
import { RunStore } from '../../../runs/run-store.js';

const main = fileURLToPath(new URL('../../main.js', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });

test('runs list and runs show on a real tiny ReST demo and a run whose stage failed', async () => {
  const root = tempDir('runs-cli-');
  const demo = cli('demo', 'rest', '--tiny', '--quiet', '--json', '--out', join(root, 'demo'));
  assert.equal(demo.status, 0, demo.stderr);
  const failed = RunStore.open(join(root, 'broken'), { command: 'sft' }, { resume: false });
  await assert.rejects(failed.stage('step-1', (s) => { s.log({ loss: 3 }); throw new Error('loss is NaN'); }));
  failed.close();

  const list = cli('runs', 'list', root);
  assert.equal(list.status, 0, list.stderr);
  const rows = list.stdout.split('\n');
  assert.match(rows[0]!, /^RUN\s+COMMAND\s+STATUS\s+STARTED\s+DURATION\s+STAGES\s+LAST METRICS$/);
  const row = (id: string) => rows.find((r) => r.startsWith(`${id} `)) ?? assert.fail(`no row for ${id}:\n${list.stdout}`);
  assert.match(row('demo/rest-per'), /rest\/rest-per\s+finished\s+\d{4}-\d\d-\d\d \S+\s+\d+s\s+15\s+eval: validationReward/);
  assert.match(row('broken'), /sft\s+failed/);
  assert.match(list.stdout, /5 runs under /);

  const json = JSON.parse(cli('runs', 'list', root, '--json').stdout) as { id: string; status: string; stages: number }[];
  assert.deepEqual(json.map((r) => [r.id, r.status]), [['broken', 'failed'], ['demo', 'finished'], ['demo/ppo', 'finished'], ['demo/rest-per', 'finished'], ['demo/rest-recall-unclipped', 'finished']]);

  const show = cli('runs', 'show', join(root, 'demo', 'rest-per'));
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /status\s+finished \(15 stages completed, the last grow2\/improve3\/eval\)/);
  assert.match(show.stdout, /samples:\n\s+STAGE\s+RECORDS\s+PROMPTS\s+KEPT\s+MEAN REWARD\n\s+grow1\s+88\s+/);
  assert.match(show.stdout, /last metrics:\n\s+SERIES\s+STAGE\s+FIGURES\n[^]*improve\s+grow2\/improve3\s+step 4, loss \d\.\d+, lr 0\.0004,/);
  assert.match(cli('runs', 'show', join(root, 'broken')).stdout, /status\s+failed \(stage step-1: Error: loss is NaN\)/);

  const missing = cli('runs', 'show', join(root, 'nope'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /runs show .*nope: no such directory/);
  assert.match(cli('runs').stderr, /alignkit runs: expected one of runs list, runs show/);
});
