// The side-by-side table `alignkit bench` prints: one section per measurement, each line with
// alignkit's figure, the peers' figures, the ratios alignkit / peer and the peak RSS of each.
import { formatReal } from './real/report.js';
import type { BenchResult, ProfileRow } from './run.js';

const f = (v: number | null, digits = 0): string => (v === null ? '—' : v.toFixed(digits));
const x = (v: number | null): string => (v === null ? '—' : `${v.toFixed(2)}×`);
const others = (v: number | null): string => (v === null ? '—' : `${v.toFixed(1)}${v >= 0.25 ? ' !' : ''}`);

function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), ...rows.map(line)];
}

export function formatReport(r: BenchResult): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`alignkit bench — ${m['cpu']}, ${m['cores']} cores, Node ${m['node']}`);
  out.push(`alignkit: ${m['alignkit_backend']} backend${m['alignkit_isa'] ? ` (${m['alignkit_isa']})` : ''}, ${m['alignkit_threads']} threads · ` +
    `PyTorch: ${m['pytorch'] ?? 'not run'}${m['pytorch'] ? ` (${m['python']}, ${r.settings['threads']} threads, BLAS_INFO=${m['pytorch_blas'] ?? '?'}, its matmul ${f(m['pytorch_matmul_gflops'] as number | null, 1)} GFLOP/s, `
      + `OPENBLAS_CORETYPE=${r.settings['openblas_coretype'] ?? 'unset'}, OMP_WAIT_POLICY=${r.settings['omp_wait_policy']})${m['pytorch_trusted'] === false ? ' — NO RATIOS: not an optimised BLAS, see the note' : ''}` : ''} · ` +
    `TensorFlow.js: ${m['tfjs'] ?? 'not run'}${m['tfjs'] ? ' (1 thread)' : ''}`);
  const la = m['load_average_start'] as number[];
  out.push(`load average at start ${la[0]!.toFixed(2)} (${m['cores']} cores)${m['busy'] ? ` — BUSY: other processes used up to ${(m['others_cores_max'] as number).toFixed(1)} cores during the run; figures are best-of-several but noisy` : ''}`);
  if (r.settings['quick']) out.push('--quick: few steps and short samples; a smoke test, not figures to quote');
  out.push('');
  out.push(`matmul, n×n·n×n, GFLOP/s (FMA peak ${m['fma_peak_gflops'] === null ? 'not measured' : `${f(m['fma_peak_gflops'] as number, 1)}, ${m['fma_peak_isa']}`})`);
  out.push(...table(['n', 'alignkit', 'OpenBLAS', 'ratio', 'of peak'], r.matmul.map((p) => [
    String(p.n), f(p.alignkit_gflops, 1), f(p.openblas_gflops, 1), x(p.ratio), p.alignkit_peak_fraction === null ? '—' : `${(100 * p.alignkit_peak_fraction).toFixed(0)}%`,
  ])));
  out.push('');
  out.push('training step (forward, cross-entropy, backward, clip, AdamW), tokens/s; peak RSS in MiB');
  out.push(...table(['config', 'params', 'alignkit', 'PyTorch', 'ratio', 'tfjs-wasm', 'ratio', 'RSS alignkit', 'RSS PyTorch', 'RSS tfjs', 'others'], r.train.map((t) => [
    t.config, `${(t.params / 1e6).toFixed(1)}M`, f(t.alignkit_tok_s), f(t.pytorch_tok_s), x(t.ratio_pytorch), f(t.tfjs_tok_s), x(t.ratio_tfjs),
    f(t.alignkit_rss_mb), f(t.pytorch_rss_mb), f(t.tfjs_rss_mb), others(t.others_cores),
  ])));
  out.push('');
  out.push('generation with the KV cache (temperature 1, prefill included), tokens/s; peak RSS in MiB');
  out.push(...table(['config', 'batch', 'tokens', 'alignkit', 'PyTorch', 'ratio', 'RSS alignkit', 'RSS PyTorch', 'others'], r.generate.map((g) => [
    g.config, String(g.batch), `${g.prompt}+${g.new_tokens}`, f(g.alignkit_tok_s), f(g.pytorch_tok_s), x(g.ratio_pytorch),
    f(g.alignkit_rss_mb), f(g.pytorch_rss_mb), others(g.others_cores),
  ])));
  out.push('');
  out.push('ratio = alignkit / peer (above 1: alignkit is faster). others = cores kept busy by other processes during the line (! = a quarter core or more).');
  out.push('A: vocab 256, d_model 128, 4 layers, 4 heads, context 64, batch 32. B: vocab 256, d_model 384, 6 layers, 6 heads, context 128, batch 16.');
  if (r.real) out.push('', ...formatReal(r.real));
  for (const n of r.notes) out.push(`note: ${n}`);
  if (r.profile) out.push('', ...formatProfile(r.profile));
  return out.join('\n');
}

/** Per profiled call: wall time, the kernels' share, the rest (JavaScript), then the top kernels. */
export function formatProfile(rows: ProfileRow[], top = 10): string[] {
  const out = [`alignkit profile: the fastest of several calls, each kernel timed (matmul by shape M×K·K×N); "other" is JavaScript: ops, autograd, allocation, GC, sampling`];
  for (const p of rows) {
    const pct = (ms: number): string => `${((100 * ms) / p.wall_ms).toFixed(0)}%`;
    out.push('', `${p.what}: ${p.wall_ms.toFixed(1)} ms — kernels ${p.kernel_ms.toFixed(1)} ms (${pct(p.kernel_ms)}), other ${p.other_ms.toFixed(1)} ms (${pct(p.other_ms)})`);
    out.push(...table(['kernel', 'ms', 'share', 'calls'], p.kernels.slice(0, top).map((k) => [k.name, k.ms.toFixed(2), pct(k.ms), String(k.calls)])).map((l) => `  ${l}`));
  }
  return out;
}
