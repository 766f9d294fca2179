// Where a step's time goes: wraps every kernel of the current backend with a timer (setBackend),
// so that kernel time, split by kernel and (for matmul) by shape, can be set against the wall
// time of the step; the rest is JavaScript: op bookkeeping, autograd, allocation and GC.
import { backend, setBackend, type Backend } from '../../backend/index.js';

export interface KernelTime { name: string; ms: number; calls: number }

export class KernelProfiler {
  private readonly inner: Backend;
  private readonly times = new Map<string, KernelTime>();
  private readonly detail: boolean;

  private readonly clock: () => number;

  /**
   * `detail` splits matmul by shape; `cpu` times with this process's CPU time instead of the wall
   * clock, which on a busy machine leaves out the time other processes held the core (run it
   * with ALIGNKIT_THREADS=1, or worker threads' time counts too).
   */
  constructor(detail = false, cpu = false) {
    this.inner = backend();
    this.detail = detail;
    this.clock = cpu ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();
    const wrapped: Record<string, unknown> = { name: `${this.inner.name}+profile` };
    for (const key of Object.keys(this.inner) as (keyof Backend)[]) {
      const fn = this.inner[key];
      if (typeof fn !== 'function') continue;
      wrapped[key] = (...args: unknown[]): unknown => {
        const t0 = this.clock();
        const r = (fn as (...a: unknown[]) => unknown).apply(this.inner, args);
        this.add(this.label(key, args), this.clock() - t0);
        return r;
      };
    }
    setBackend(wrapped as unknown as Backend);
  }

  private label(key: string, args: unknown[]): string {
    if (!this.detail) return key;
    if (key === 'matmul') {
      const [, , , batch, M, N, K, tA, tB] = args as [unknown, unknown, unknown, number, number, number, number, boolean, boolean];
      // Batched products are the decoder's attention over a growing cache: one line, not one per length.
      if (batch > 1) return 'matmul, batched (decode attention)';
      return `matmul ${M}×${K}${tA ? 'ᵀ' : ''}·${K}×${N}${tB ? 'ᵀ' : ''}`;
    }
    if (key === 'matmulBias') {
      // A linear layer's forward (the bias set inside the product): by shape, beside the plain products.
      const [, , , , M, N, K, tA, tB] = args as [unknown, unknown, unknown, unknown, number, number, number, boolean, boolean];
      return `matmul+bias ${M}×${K}${tA ? 'ᵀ' : ''}·${K}×${N}${tB ? 'ᵀ' : ''}`;
    }
    if (key === 'matmulHalf') {
      // 16-bit weights (issue 18): by shape too, so the LM head stands apart from the layers' projections.
      const [, , , bf16, M, N, K, transB] = args as [unknown, unknown, unknown, boolean, number, number, number, boolean];
      return `matmulHalf ${bf16 ? 'bf16' : 'f16'} ${M}×${K}·${K}×${N}${transB ? 'ᵀ' : ''}`;
    }
    if (key === 'matmulBf16Dot') {
      const [, , , M, N, K, transB] = args as [unknown, unknown, unknown, number, number, number, boolean];
      return `matmulBf16Dot ${M}×${K}·${K}×${N}${transB ? 'ᵀ' : ''}`;
    }
    if (key === 'binaryForward' || key === 'binaryBackward' || key === 'unaryForward' || key === 'unaryBackward') return `${key}(${String(args[0])})`;
    return key;
  }

  private add(name: string, ms: number): void {
    const t = this.times.get(name);
    if (t) { t.ms += ms; t.calls++; } else this.times.set(name, { name, ms, calls: 1 });
  }

  reset(): void {
    this.times.clear();
  }

  /** Kernel totals, largest first. */
  report(): KernelTime[] {
    return [...this.times.values()].sort((a, b) => b.ms - a.ms);
  }

  stop(): void {
    setBackend(this.inner);
  }
}
