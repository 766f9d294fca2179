// The C/D part of `alignkit bench`'s table: per config, one line per contender (tokens/s, peak
// RSS, the batch-1 roofline share), the measured bandwidth, then the issue's targets, met or not.
import type { RealResult } from './results.js';
import type { TargetRow } from './targets.js';

const f = (v: number | null, digits = 0): string => (v === null ? '—' : v.toFixed(digits));
const pct = (v: number | null): string => (v === null ? '—' : `${(100 * v).toFixed(0)}%`);
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;

function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i < 3 && head.length > 4 || i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
}

const verdictRow = (t: TargetRow): string[] => [
  `${t.target} (${t.from})`, f(t.value, 2), `${t.atMost ? '≤' : '≥'} ${t.threshold}`, t.met === null ? '— (not measured)' : t.met ? 'met' : 'NOT MET',
];

export function formatReal(r: RealResult): string[] {
  const b = r.bandwidth, out: string[] = [];
  out.push(`host: ${r.host.cpu}; alignkit's bf16-compute products on ${r.host.bf16_products}`);
  out.push(`memory bandwidth: STREAM triad a[i] = b[i] + s·c[i], 3 arrays of ${b.array_mb} MiB, ${b.threads} threads: ${b.gb_s === null ? `not measured (${b.note})` : `${b.gb_s.toFixed(1)} GB/s`}`);
  for (const c of r.configs) {
    const bpt = c.bytes_per_token;
    out.push('', `config ${c.config} — ${c.name}, ${(c.params / 1e6).toFixed(1)}M parameters, random bf16 weights; weights read per decoded token: bf16 ${mb(bpt['bf16']!)}, float32 ${mb(bpt['float32']!)}, q8_0 ${mb(bpt['q8_0']!)}`);
    const around = c.bandwidth_gb_s;
    if (around.before !== null || around.after !== null) out.push(`triad right before its batch-1 lines ${f(around.before, 1)} GB/s, right after ${f(around.after, 1)} GB/s: its rooflines are taken against the higher`);
    out.push(...table(['line', 'contender', 'dtype', 'tokens', 'tok/s', 'RSS MiB', 'roofline', 'load s', 'others'], c.rows.map((x) => [
      x.line === 'generate' ? `generate, batch ${x.batch}` : x.line === 'lora' ? 'LoRA SFT step' : 'full SFT step',
      `${x.contender}${x.attn ? ` ${x.attn}` : ''}${x.contender === 'llama.cpp' && x.threads !== null ? ` (${x.threads} thr)` : ''}`, x.dtype, x.tokens, f(x.tok_s, 1), f(x.rss_mb), pct(x.roofline), f(x.load_s, 1),
      x.others_cores === null ? '—' : `${x.others_cores.toFixed(1)}${x.others_cores >= 0.25 ? ' !' : ''}`,
    ])));
  }
  out.push('', "issue 20's targets (peers at their fastest variant):");
  out.push(...table(['target', 'figure', 'wanted', 'verdict'], r.targets.map(verdictRow)));
  if (r.matched.length > 0) {
    out.push('', 'LoRA at matched precision (alignkit float32 vs peft float32, alignkit bf16-compute vs peft under bf16 autocast):');
    out.push(...table(['pair', 'figure', 'wanted', 'verdict'], r.matched.map(verdictRow)));
  }
  out.push('generation tokens/s: new tokens ÷ wall time including the prompt\'s prefill; training: one 512-token sequence a step; alignkit\'s LoRA base stays bf16 in memory; peft bf16-autocast is TRL\'s bf16=True on a CPU.');
  return out;
}
