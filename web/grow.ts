// The Grow data browser: the server filters (api.ts's samples endpoint); this draws the counts,
// the reward histogram with each Improve step's threshold as a dashed line, the duplicate counts
// and the matching samples beside their reference answers.
import { $, el, fig, fillTable, get } from './api.js';

interface GrowView {
  stages: string[]; stage: string | null; total: number; matched: number; policies: string[]; keptSteps: string[];
  histogram: { lo: number; hi: number; bins: number[]; binsMatched: number[] };
  thresholds: { step: string; value: number | null }[];
  duplicates: { records: number; distinct: number; kept: Record<string, { kept: number; distinct: number; correct: number }> };
  rows: { index: number; promptId: string; prompt: string; sample: string; reward: number; rewards: Record<string, number>; verdict: string; detail: string | null;
    policy: string; kept: Record<string, boolean>; reference: string | null; duplicates: number }[];
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function drawHistogram(v: GrowView): void {
  const box = $('grow-hist') as unknown as SVGSVGElement;
  box.replaceChildren();
  const W = 520, H = 200, pad = 24, { lo, hi, bins, binsMatched } = v.histogram;
  const top = Math.max(1, ...bins), bw = (W - 2 * pad) / Math.max(1, bins.length);
  const x = (r: number) => pad + ((r - lo) / (hi - lo)) * (W - 2 * pad), y = (c: number) => H - pad - (c / top) * (H - 2 * pad);
  bins.forEach((c, i) => {
    box.append(svg('rect', { x: pad + i * bw + 1, y: y(c), width: bw - 2, height: H - pad - y(c), fill: '#cfd6df' }));
    box.append(svg('rect', { x: pad + i * bw + 1, y: y(binsMatched[i]!), width: bw - 2, height: H - pad - y(binsMatched[i]!), fill: '#1f77b4', 'data-testid': 'hist-bar' }));
  });
  box.append(svg('line', { x1: pad, x2: W - pad, y1: H - pad, y2: H - pad, stroke: '#333' }));
  for (const t of [lo, (lo + hi) / 2, hi]) {
    const label = svg('text', { x: x(t), y: H - 6, 'text-anchor': 'middle', 'font-size': 10 });
    label.textContent = fig(t);
    box.append(label);
  }
  v.thresholds.forEach((t, i) => {
    if (t.value === null) return;
    box.append(svg('line', { x1: x(t.value), x2: x(t.value), y1: pad - 10, y2: H - pad, stroke: ['#d62728', '#ff7f0e', '#9467bd', '#2ca02c'][i % 4]!, 'stroke-dasharray': '4 3', 'data-testid': 'threshold', 'data-step': t.step, 'data-value': t.value }));
    const label = svg('text', { x: x(t.value) + 2, y: pad - 12 + 10 * (i % 2), 'font-size': 10 });
    label.textContent = `${t.step} ${fig(t.value)}`;
    box.append(label);
  });
}

function fillSelect(sel: HTMLSelectElement, values: [string, string][], keep = true): void {
  const was = sel.value;
  sel.replaceChildren(...values.map(([v, label]) => el('option', { value: v }, label)));
  if (keep && values.some(([v]) => v === was)) sel.value = was;
}

export async function showGrow(run: string): Promise<void> {
  const v = await get<GrowView>('/api/samples', {
    run, stage: ($('grow-stage') as HTMLSelectElement).value || undefined, policy: ($('grow-policy') as HTMLSelectElement).value,
    kept: ($('grow-kept') as HTMLSelectElement).value, min: ($('grow-min') as HTMLInputElement).value, max: ($('grow-max') as HTMLInputElement).value,
    verdict: ($('grow-verdict') as HTMLSelectElement).value, q: ($('grow-text') as HTMLInputElement).value,
  });
  fillSelect($('grow-stage'), v.stages.map((s) => [s, s]));
  if (v.stage) ($('grow-stage') as HTMLSelectElement).value = v.stage;
  fillSelect($('grow-policy'), [['', 'any'], ...v.policies.map((p): [string, string] => [p, p])]);
  fillSelect($('grow-kept'), [['', 'any'], ...v.keptSteps.flatMap((s): [string, string][] => [[`${s}:yes`, `kept by ${s}`], [`${s}:no`, `not kept by ${s}`]])]);
  $('grow-count').textContent = v.stage === null ? 'this run has no samples files' : `${v.matched} of ${v.total} samples match`;
  $('grow-count').dataset['matched'] = String(v.matched);
  drawHistogram(v);
  fillTable($('grow-dups'), ['', 'samples', 'distinct (prompt, sample)', 'correct'], [
    ['all', String(v.duplicates.records), String(v.duplicates.distinct), '—'],
    ...Object.entries(v.duplicates.kept).map(([s, k]) => [`kept by ${s}`, String(k.kept), String(k.distinct), String(k.correct)]),
  ]);
  fillTable($('grow-rows'), ['#', 'prompt', 'completion', 'reference', 'reward', 'verdict', 'policy', 'kept', 'copies'], v.rows.map((r) => [
    String(r.index + 1), r.prompt, r.sample, r.reference ?? '—',
    [fig(r.reward), ...Object.entries(r.rewards).map(([k, x]) => `${k} ${fig(x)}`)].join('\n'),
    el('span', { class: `verdict-${r.verdict}`, title: r.detail ?? '' }, r.verdict), r.policy,
    Object.entries(r.kept).map(([s, k]) => `${s} ${k ? '✓' : '·'}`).join('\n'), String(r.duplicates),
  ]));
}
