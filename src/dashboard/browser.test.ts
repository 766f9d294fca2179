// The dashboard in a real browser (issue 21): Debian's chromium driven by playwright-core, on the
// real runs of fixture-runs.test.ts. It asserts what a person sees: run names and statuses, a
// chart whose points grow while the run writes, the Grow browser's counts after a filter, the
// threshold lines, the flagged reward-hacking steps, SER loops, eval generations, and no console
// errors. Skipped, saying why, where /usr/bin/chromium is absent (.ci/run installs it).
// ALIGNKIT_SCREENSHOTS=<dir> also saves a screenshot of each view there (README's images).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../io/temp-dir.test.js';
import { ensureWebBuilt, makeRuns, treeDigest } from './fixture-runs.test.js';
import { startDashboard } from './server.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium; .ci/run does it)`;

test('the dashboard in chromium: runs, growing curves, Grow filters and thresholds, hacking flags, SER, evals', { skip, timeout: 180_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const root = join(tempDir('dashboard-browser-'), 'runs');
  const live = await makeRuns(root);
  const dash = await startDashboard({ root, host: '127.0.0.1', port: 0, webDir: ensureWebBuilt() });
  const notLive = (p: string) => p.startsWith(join(root, 'rest-em'));
  const before = treeDigest(root, notLive);
  const context = await chromium.launchPersistentContext(tempDir('chromium-profile-'), {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1180, height: 760 },
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const shots = process.env['ALIGNKIT_SCREENSHOTS'];
  if (shots) mkdirSync(shots, { recursive: true });
  const errors: string[] = [];
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    const shot = async (name: string) => { if (shots) await page.screenshot({ path: join(shots, `${name}.png`) }); };
    await page.goto(`${dash.url}?poll=250`);

    // Runs and their statuses, as shown.
    await page.waitForSelector('#runs tr[data-run="sft-diverged"]');
    const statuses = await page.$$eval('#runs tbody tr', (rows) => rows.map((r) => [r.getAttribute('data-run'), r.querySelector('[data-testid=status]')!.textContent]));
    assert.deepEqual(Object.fromEntries(statuses), { flawed: 'finished', rest: 'finished', 'rest-em': 'running', ser: 'finished', 'ser/ser': 'finished', 'sft-diverged': 'failed' });

    // A run's config, opened by a click, stays open while the table is redrawn.
    await page.click('#runs tr[data-run="rest"] summary');
    const n = Number(await page.evaluate(() => document.body.dataset['refreshed']));
    await page.waitForFunction((k) => Number(document.body.dataset['refreshed']) >= k + 2, n);
    assert.match(await page.$eval('#runs tr[data-run="rest"] details[open] pre', (p) => p.textContent ?? ''), /"command": "rest",\n "model": /);
    await page.click('#runs tr[data-run="rest"] summary');

    // The running ReST-EM run: its chart has one point per evaluation and grows as the run writes.
    await page.click('#runs input[data-run="rest-em"]');
    await page.click('#runs input[data-run="rest"]');
    const points = (key: string) => page.waitForSelector(`.chart[data-key="${key}"]`).then((h) => h.getAttribute('data-points'));
    await page.waitForFunction(() => document.querySelector('.chart[data-key="eval/pass_at_k"]')?.getAttribute('data-points') === '2');
    await live.evaluate();
    await page.waitForFunction(() => document.querySelector('.chart[data-key="eval/pass_at_k"]')?.getAttribute('data-points') === '3');
    await live.evaluate();
    await page.waitForFunction(() => document.querySelector('.chart[data-key="eval/pass_at_k"]')?.getAttribute('data-points') === '4');
    assert.equal(await points('eval/testReward'), '4', 'flawed and rest overlaid: the longer has four evaluations');
    const legend = await page.$eval('.chart[data-key="eval/testReward"]', (c) => c.textContent ?? '');
    for (const run of ['flawed', 'rest', 'rest-em']) assert.ok(legend.includes(run), `legend lists ${run}: ${legend}`);
    await shot('runs');

    // The Grow browser: counts after filters, and a dashed line per Improve step's threshold.
    await page.click('nav button[data-tab=grow]');
    await page.selectOption('#grow-run', 'flawed');
    await page.waitForFunction(() => document.getElementById('grow-count')!.textContent === '16 of 16 samples match');
    const lines = await page.$$eval('[data-testid=threshold]', (ls) => ls.map((l) => [l.getAttribute('data-step'), Number(l.getAttribute('data-value')), Number(l.getAttribute('x1'))]));
    assert.deepEqual(lines.map((l) => l.slice(0, 2)), [['improve1', 0.5], ['improve2', 0.8]]);
    assert.ok((lines[0]![2] as number) < (lines[1]![2] as number), 'the higher threshold is drawn further right');
    await page.selectOption('#grow-kept', 'improve2:yes');
    await page.selectOption('#grow-verdict', 'wrong');
    await page.waitForFunction(() => document.getElementById('grow-count')!.textContent === '8 of 16 samples match');
    assert.equal(await page.$$eval('#grow-rows tbody tr', (rs) => rs.length), 8);
    await shot('grow');

    // Reward hacking: the two steps where the proxy climbs and the held-out metric falls.
    await page.click('nav button[data-tab=hacking]');
    await page.selectOption('#hack-run', 'flawed');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=flagged-step]').length === 2);
    const flagged = await page.$$eval('[data-testid=flagged-step] td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
    assert.deepEqual(flagged, ['grow1/improve2/eval', 'grow2/improve1/eval']);
    await shot('hacking');

    // SER loops, and eval generations.
    await page.click('nav button[data-tab=ser]');
    await page.selectOption('#ser-run', 'ser/ser');
    await page.waitForFunction(() => (document.querySelector('[data-testid=ser-loop] td')?.textContent ?? '') === '1');
    await shot('ser');
    await page.click('nav button[data-tab=evals]');
    await page.waitForFunction(() => document.querySelectorAll('#eval-rows tbody tr').length > 0);
    assert.equal(await page.$eval('#evals tbody tr td', (td) => td.textContent), 'rest/eval');
    await shot('evals');
  } finally {
    await context.close();
    await dash.close();
    live.close();
  }
  assert.deepEqual(errors, [], 'no console errors');
  assert.deepEqual(treeDigest(root, notLive), before, 'browsing changed no byte of any run');
});
