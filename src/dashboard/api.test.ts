// The dashboard's server and JSON endpoints, on the real runs of fixture-runs.test.ts.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from '../io/temp-dir.test.js';
import { ensureWebBuilt, makeRuns, treeDigest, type LiveRun } from './fixture-runs.test.js';
import { startDashboard, type Dashboard } from './server.js';

let root: string, live: LiveRun, dash: Dashboard;

before(async () => {
  root = join(tempDir('dashboard-'), 'runs');
  live = await makeRuns(root);
  dash = await startDashboard({ root, host: '127.0.0.1', port: 0, webDir: ensureWebBuilt() });
});
after(async () => {
  await dash.close();
  live.close();
});

function fetchRaw(url: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; type: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => ok({ status: res.statusCode!, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', fail);
    req.end();
  });
}

async function api<T>(path: string): Promise<T> {
  const r = await fetchRaw(new URL(path, dash.url).href);
  assert.equal(r.status, 200, `${path}: ${r.body}`);
  return JSON.parse(r.body) as T;
}

test('runs: each run with its status, and the evaluation beside the ReST run', async () => {
  const { runs, evals } = await api<{ runs: { id: string; status: string; command: string; why: string }[]; evals: { id: string; scores: Record<string, number>; generations: number }[] }>('/api/runs');
  const status = Object.fromEntries(runs.map((r) => [r.id, r.status]));
  assert.equal((runs.find((r) => r.id === 'rest') as unknown as { config: { reward: string } }).config.reward, '0.5*chrf+0.5*per', 'each run with its config');
  assert.deepEqual(status, { flawed: 'finished', rest: 'finished', 'rest-em': 'running', ser: 'finished', 'ser/ser': 'finished', 'sft-diverged': 'failed' });
  assert.match(runs.find((r) => r.id === 'sft-diverged')!.why, /^stage train\/step-\d+: TrainingDivergedError: sft: training diverged at step 2/);
  assert.equal(evals.length, 1);
  assert.equal(evals[0]!.id, 'rest/eval');
  assert.equal(evals[0]!.generations, evals[0]!.scores['problems']! * (1 + evals[0]!.scores['n']!), 'greedy and n samples per problem');
});

test('metrics: one point per record of a series, and a running run\'s new records appear', async () => {
  type M = { status: string; records: { series: string; x: number; figures: Record<string, number> }[] };
  const evalPoints = (m: M) => m.records.filter((r) => r.series === 'eval').map((r) => r.x);
  const before = await api<M>('/api/metrics?run=rest-em');
  assert.equal(before.status, 'running');
  assert.deepEqual(evalPoints(before), [1, 2], 'iter0/eval and iter1/eval');
  await live.evaluate();
  assert.deepEqual(evalPoints(await api<M>('/api/metrics?run=rest-em')), [1, 2, 3]);
});

test('samples: filters, histogram, thresholds, duplicates and references of the Grow browser', async () => {
  type G = { total: number; matched: number; thresholds: { step: string; value: number }[]; histogram: { bins: number[]; binsMatched: number[] };
    duplicates: { records: number; distinct: number; kept: Record<string, { kept: number; distinct: number; correct: number }> }; rows: { reference: string | null; sample: string; duplicates: number; promptId: string }[] };
  const all = await api<G>('/api/samples?run=flawed&stage=grow1');
  assert.deepEqual([all.total, all.matched], [16, 16]);
  assert.deepEqual(all.thresholds, [{ step: 'improve1', value: 0.5 }, { step: 'improve2', value: 0.8 }]);
  assert.equal(all.histogram.bins.reduce((a, b) => a + b, 0), 16);
  assert.deepEqual(all.duplicates, { records: 16, distinct: 12, kept: { improve1: { kept: 12, distinct: 8, correct: 4 }, improve2: { kept: 12, distinct: 8, correct: 4 } } });
  const aa = all.rows.find((r) => r.sample === 'AA AA AA AA AA' && r.promptId === 'w2')!;
  assert.deepEqual([aa.reference, aa.duplicates], ['REF 2', 2]);
  const count = async (q: string) => (await api<G>(`/api/samples?run=flawed&stage=grow1&${q}`)).matched;
  assert.equal(await count('kept=improve2:yes&verdict=wrong'), 8, 'every kept policy sample is wrong');
  assert.equal(await count('kept=improve1:no'), 4);
  assert.equal(await count('min=0.5&max=0.95'), 8);
  assert.equal(await count('policy=data'), 4);
  assert.equal(await count('q=ref%202'), 4, 'the text search reaches the reference');
  const real = await api<G>('/api/samples?run=rest');
  assert.ok(real.total > 0 && real.thresholds.length === 2, 'the real ReST run has samples and two Improve steps');
});

test('signals: the flawed run\'s steps where proxy and held-out part are flagged; SER loops with their precision', async () => {
  type S = { hacking: { proxyKey: string; heldOutKey: string; flagged: number; points: { stage: string; flags: string[] }[] }; ser: { loop: number; precision: number | null; selected: number | null }[] };
  const flawed = await api<S>('/api/signals?run=flawed');
  assert.deepEqual([flawed.hacking.proxyKey, flawed.hacking.heldOutKey], ['testReward', 'testMonitor']);
  assert.deepEqual(flawed.hacking.points.filter((p) => p.flags.length).map((p) => p.stage), ['grow1/improve2/eval', 'grow2/improve1/eval']);
  assert.equal(flawed.hacking.points[3]!.flags.length, 2, 'the last step also drifted in length, 8 → 16');
  const ser = await api<S>('/api/signals?run=ser/ser');
  assert.ok(ser.ser.length >= 1 && ser.ser[0]!.loop === 1 && typeof ser.ser[0]!.precision === 'number', JSON.stringify(ser.ser));
});

test('eval: every generation with its verdict', async () => {
  const e = await api<{ rows: { kind: string; correct: boolean | null }[]; scores: { problems: number } }>('/api/eval?id=rest/eval');
  assert.equal(e.rows.filter((r) => r.kind === 'greedy').length, e.scores.problems);
  assert.ok(e.rows.every((r) => typeof r.correct === 'boolean'));
});

test('read-only: only GET and HEAD, no file outside the runs, loopback names only, and no byte of any run changes', async () => {
  const before = treeDigest(root);
  for (const path of ['/', '/app.js', '/app.css', '/api/runs', '/api/metrics?run=rest', '/api/metrics?run=rest-em', '/api/samples?run=rest', '/api/samples?run=flawed&kept=improve1:yes',
    '/api/signals?run=flawed', '/api/signals?run=ser/ser', '/api/eval?id=rest/eval', '/api/samples?run=rest-em', '/api/metrics?run=sft-diverged']) {
    assert.equal((await fetchRaw(new URL(path, dash.url).href)).status, 200, path);
  }
  assert.equal((await fetchRaw(new URL('/api/runs', dash.url).href, { method: 'POST' })).status, 405);
  assert.equal((await fetchRaw(new URL('/api/runs', dash.url).href, { method: 'DELETE' })).status, 405);
  assert.equal((await fetchRaw(new URL('/api/metrics?run=../..', dash.url).href)).status, 404);
  assert.equal((await fetchRaw(new URL('/api/metrics?run=rest/checkpoints', dash.url).href)).status, 404);
  assert.equal((await fetchRaw(new URL('/../package.json', dash.url).href)).status, 404);
  assert.equal((await fetchRaw(new URL('/api/runs', dash.url).href, { headers: { host: 'rebound.example:80' } })).status, 403);
  assert.deepEqual(treeDigest(root), before);
  const page = await fetchRaw(dash.url);
  assert.match(page.type, /^text\/html/);
  assert.doesNotMatch(page.body, /(src|href)="(https?:)?\/\//, 'nothing from another host');
});

test('bound beyond loopback it needs a token, made up when none is given', async () => {
  const open = await startDashboard({ root, host: '0.0.0.0', port: 0, webDir: ensureWebBuilt() });
  try {
    assert.ok(open.token && open.token.length >= 20);
    const base = open.url.replace('0.0.0.0', '127.0.0.1');
    assert.equal((await fetchRaw(new URL('/api/runs', base).href)).status, 401);
    assert.equal((await fetchRaw(new URL(`/api/runs?token=${open.token}x`, base).href)).status, 401);
    assert.equal((await fetchRaw(new URL(`/api/runs?token=${open.token}`, base).href)).status, 200);
    assert.equal((await fetchRaw(new URL('/api/runs', base).href, { headers: { 'x-alignkit-token': open.token } })).status, 200);
  } finally {
    await open.close();
  }
  const given = await startDashboard({ root, host: '0.0.0.0', port: 0, token: 'secret-of-my-own-choosing', webDir: ensureWebBuilt() });
  assert.match(given.url, /\?token=secret-of-my-own-choosing$/);
  await given.close();
});
