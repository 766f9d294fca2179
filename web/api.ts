// Calls to the dashboard's JSON endpoints, carrying the page's token when it was opened with one.
const token = new URLSearchParams(location.search).get('token');

export async function get<T>(path: string, params: Record<string, string | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  if (token) q.set('token', token);
  const res = await fetch(`${path}?${q}`);
  const body = await res.json() as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${path}: HTTP ${res.status}`);
  return body;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

export const fig = (x: number | null | undefined): string =>
  x === null || x === undefined ? '—' : Number.isInteger(x) && Math.abs(x) < 1e9 ? String(x) : Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x);

export function fillTable(table: HTMLTableElement, head: string[], rows: (Node | string)[][], rowAttrs: (i: number) => Record<string, string> = () => ({})): void {
  table.replaceChildren(el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r, i) => el('tr', rowAttrs(i), ...r.map((c) => el('td', {}, c))))));
}

export interface RunEntry {
  id: string; command: string | null; config: Record<string, unknown> | null; status: string; why: string; started: string | null; seconds: number | null; stages: number;
  lastSeries: string | null; last: Record<string, { stage: string; figures: Record<string, number> }>;
}
export interface EvalEntry { id: string; scores: Record<string, unknown> | null; generations: number }
export interface MetricsAnswer { id: string; status: string; records: { series: string; x: number; stage: string; figures: Record<string, number> }[] }
