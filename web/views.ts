// The reward-hacking, SER and evaluation views.
import uPlot from 'uplot';
import { $, el, fig, fillTable, get, type EvalEntry } from './api.js';

interface Hacking {
  series: string | null; proxyKey: string | null; heldOutKey: string | null; lengthKey: string | null; flagged: number;
  points: { stage: string; proxy: number | null; heldOut: number | null; length: number | null; flags: string[] }[];
}
interface SerLoop { loop: number; status: number | null; poolSize: number | null; selected: number | null; status1Pairs: number | null; status2Pairs: number | null; precision: number | null; poolAccuracy: number | null; stop: string | null; trainPairs: number | null; testAccuracy: number | null }

let hackPlot: uPlot | null = null;

export async function showSignals(run: string): Promise<void> {
  const { hacking: h, ser } = await get<{ hacking: Hacking; ser: SerLoop[] }>('/api/signals', { run });
  $('hack-summary').textContent = h.series === null
    ? 'no evaluation in this run holds a proxy reward beside a held-out figure'
    : `${h.proxyKey} (the proxy the run optimises) against ${h.heldOutKey ?? '—'} (held out) and ${h.lengthKey ?? '—'} per ${h.series} record: ${h.flagged} step${h.flagged === 1 ? '' : 's'} flagged`;
  hackPlot?.destroy();
  hackPlot = null;
  if (h.points.length) {
    const xs = h.points.map((_, i) => i + 1);
    const flaggedX = h.points.flatMap((p, i) => (p.flags.length ? [i + 1] : []));
    hackPlot = new uPlot({
      width: 640, height: 240, scales: { x: { time: false } },
      series: [{ label: 'eval' }, { label: h.proxyKey ?? 'proxy', stroke: '#d62728', width: 2 }, { label: h.heldOutKey ?? 'held-out', stroke: '#1f77b4', width: 2 }],
      hooks: {
        drawClear: [(u: uPlot) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = 'rgba(214, 39, 40, 0.15)';
          for (const x of flaggedX) {
            const px = u.valToPos(x, 'x', true), w = Math.max(8, u.bbox.width / Math.max(4, xs.length * 2));
            ctx.fillRect(px - w / 2, u.bbox.top, w, u.bbox.height);
          }
          ctx.restore();
        }],
      },
    }, [xs, h.points.map((p) => p.proxy), h.points.map((p) => p.heldOut)] as uPlot.AlignedData, $('hack-chart'));
  }
  fillTable($('hack-table') as HTMLTableElement, ['#', 'stage', h.proxyKey ?? 'proxy', h.heldOutKey ?? 'held-out', h.lengthKey ?? 'length', 'where they part'],
    h.points.map((p, i) => [String(i + 1), p.stage, fig(p.proxy), fig(p.heldOut), fig(p.length), p.flags.join('; ') || '—']),
    (i): Record<string, string> => (h.points[i]!.flags.length ? { class: 'flagged', 'data-testid': 'flagged-step' } : {}));
  fillTable($('ser-table') as HTMLTableElement, ['loop', 'status', 'pool', 'selected', 'status 1 pairs', 'status 2 pairs', 'pseudo-label precision', 'pool accuracy', 'RM pairs', 'RM test accuracy', 'stop'],
    ser.length ? ser.map((l) => [String(l.loop), l.status === null ? '—' : `status ${l.status}`, fig(l.poolSize), fig(l.selected), fig(l.status1Pairs), fig(l.status2Pairs), fig(l.precision), fig(l.poolAccuracy), fig(l.trainPairs), fig(l.testAccuracy), l.stop ?? '—'])
      : [['this run has no SER loops', '', '', '', '', '', '', '', '', '', '']],
    () => ({ 'data-testid': 'ser-loop' }));
}

let openEval: string | null = null;

export async function showEvals(evals: EvalEntry[]): Promise<void> {
  const s = (e: EvalEntry, k: string) => fig(typeof e.scores?.[k] === 'number' ? (e.scores[k] as number) : null);
  fillTable($('evals') as HTMLTableElement, ['evaluation', 'model', 'source', 'problems', 'pass@1', 'pass@k', 'maj@k', 'k', 'mean reward', 'completions'],
    evals.map((e) => [el('a', { href: '#', 'data-eval': e.id }, e.id), String(e.scores?.['model'] ?? '—'), String(e.scores?.['source'] ?? '—'), s(e, 'problems'),
      s(e, 'pass1'), s(e, 'passAtK'), s(e, 'majAtK'), s(e, 'k'), s(e, 'meanReward'), String(e.generations)]));
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#evals a[data-eval]')) {
    a.onclick = (ev) => { ev.preventDefault(); openEval = a.dataset['eval']!; void showEvalRows(); };
  }
  if (openEval === null && evals[0]) openEval = evals[0].id;
  await showEvalRows();
}

export async function showEvalRows(): Promise<void> {
  if (openEval === null) return;
  const e = await get<EvalEntry & { rows: { promptId: string; prompt: string; text: string; kind: string; correct: boolean | null; reward: number | null }[] }>('/api/eval', { id: openEval });
  const want = ($('eval-verdict') as HTMLSelectElement).value;
  const rows = e.rows.filter((r) => want === '' || String(r.correct) === want);
  fillTable($('eval-rows') as HTMLTableElement, ['prompt id', 'prompt', 'completion', 'kind', 'verdict', 'reward'],
    rows.slice(0, 200).map((r) => [r.promptId, r.prompt, r.text, r.kind, r.correct === null ? '—' : r.correct ? 'correct' : 'wrong', fig(r.reward)]));
}
