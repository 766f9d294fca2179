// The dashboard page: tabs over the runs directory, polled every second (?poll=ms) so that a run
// being written shows its new status, points and samples without a reload. Read-only: the page
// only GETs the JSON endpoints of src/dashboard/api.ts.
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { $, el, fig, get, type EvalEntry, type MetricsAnswer, type RunEntry } from './api.js';
import { drawCharts } from './curves.js';
import { showGrow } from './grow.js';
import { showEvals, showEvalRows, showSignals } from './views.js';

const shown = new Set<string>();
let runs: RunEntry[] = [];
let evals: EvalEntry[] = [];
let tab = 'runs';
let busy = false;

const duration = (s: number | null) => (s === null ? '—' : s < 60 ? `${Math.round(s)}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`);

function headline(r: RunEntry): string {
  if (!r.lastSeries || !r.last[r.lastSeries]) return '—';
  const f = Object.entries(r.last[r.lastSeries]!.figures).filter(([k]) => k !== 'step').slice(0, 3);
  return `${r.lastSeries}: ${f.map(([k, v]) => `${k} ${fig(v)}`).join(', ')}`;
}

// The table is redrawn at every poll: a config a person opened stays open.
const openConfigs = new Set<string>();
function configOf(r: RunEntry): HTMLElement {
  const d = el('details', openConfigs.has(r.id) ? { open: '' } : {}, el('summary', {}, r.command ?? 'config'), el('pre', { class: 'config' }, JSON.stringify(r.config, null, 1)));
  d.addEventListener('toggle', () => { if (d.open) openConfigs.add(r.id); else openConfigs.delete(r.id); });
  return d;
}

function drawRuns(): void {
  const body = $('runs').querySelector('tbody')!;
  body.replaceChildren(...runs.map((r) => {
    const box = el('input', { type: 'checkbox', 'data-run': r.id });
    box.checked = shown.has(r.id);
    box.onchange = () => { if (box.checked) shown.add(r.id); else shown.delete(r.id); void refresh(); };
    return el('tr', { 'data-run': r.id }, el('td', {}, box), el('td', { class: 'run-name' }, r.id), el('td', {}, r.config ? configOf(r) : r.command ?? '—'),
      el('td', {}, el('span', { class: `status ${r.status}`, title: r.why, 'data-testid': 'status' }, r.status)),
      el('td', {}, r.started ? r.started.replace('T', ' ').replace(/\.\d+Z$/, '') : '—'), el('td', {}, duration(r.seconds)), el('td', {}, String(r.stages)), el('td', {}, headline(r)));
  }));
}

function runSelects(): void {
  for (const id of ['grow-run', 'hack-run', 'ser-run']) {
    const sel = $(id) as HTMLSelectElement, was = sel.value;
    sel.replaceChildren(...runs.map((r) => el('option', { value: r.id }, r.id)));
    const fallback = runs.find((r) => r.id === was) ? was : (runs.find((r) => shown.has(r.id)) ?? runs[0])?.id;
    if (fallback) sel.value = fallback;
  }
}

async function refresh(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const answer = await get<{ root: string; runs: RunEntry[]; evals: EvalEntry[] }>('/api/runs');
    $('root').textContent = answer.root;
    runs = answer.runs;
    evals = answer.evals;
    if (shown.size === 0 && runs[0]) shown.add(runs.find((r) => r.lastSeries !== null)?.id ?? runs[0].id);
    drawRuns();
    runSelects();
    if (tab === 'runs') {
      const answers = await Promise.all([...shown].filter((id) => runs.some((r) => r.id === id)).sort().map((id) => get<MetricsAnswer>('/api/metrics', { run: id })));
      drawCharts($('charts'), answers, { smoothing: Number(($('smooth') as HTMLInputElement).value), log: ($('logscale') as HTMLInputElement).checked, filter: ($('metric-filter') as HTMLInputElement).value });
    } else if (tab === 'grow' && ($('grow-run') as HTMLSelectElement).value) await showGrow(($('grow-run') as HTMLSelectElement).value);
    else if (tab === 'hacking' && ($('hack-run') as HTMLSelectElement).value) await showSignals(($('hack-run') as HTMLSelectElement).value);
    else if (tab === 'ser' && ($('ser-run') as HTMLSelectElement).value) await showSignals(($('ser-run') as HTMLSelectElement).value);
    else if (tab === 'evals') await showEvals(evals);
    document.body.dataset['refreshed'] = String(Number(document.body.dataset['refreshed'] ?? 0) + 1);
  } catch (err) {
    $('root').textContent = `error: ${(err as Error).message}`;
  } finally {
    busy = false;
  }
}

function selectTab(name: string): void {
  tab = name;
  for (const b of document.querySelectorAll<HTMLButtonElement>('nav button')) b.classList.toggle('active', b.dataset['tab'] === name);
  for (const s of document.querySelectorAll<HTMLElement>('main > section')) s.hidden = s.id !== `tab-${name}`;
  void refresh();
}

for (const b of document.querySelectorAll<HTMLButtonElement>('nav button')) b.onclick = () => selectTab(b.dataset['tab']!);
($('smooth') as HTMLInputElement).oninput = () => { $('smooth-value').textContent = ($('smooth') as HTMLInputElement).value; void refresh(); };
for (const id of ['logscale', 'metric-filter', 'grow-run', 'grow-stage', 'grow-policy', 'grow-kept', 'grow-min', 'grow-max', 'grow-verdict', 'grow-text', 'hack-run', 'ser-run']) {
  $(id).addEventListener(id === 'metric-filter' || id === 'grow-text' || id === 'grow-min' || id === 'grow-max' ? 'input' : 'change', () => void refresh());
}
$('eval-verdict').addEventListener('change', () => void showEvalRows());
const first = new URLSearchParams(location.search).get('tab');
if (first) selectTab(first);
else void refresh();
setInterval(() => void refresh(), Number(new URLSearchParams(location.search).get('poll') ?? 1000));
