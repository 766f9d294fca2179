// Issue 20's targets, judged from the C/D rows of one bench run: each one's figure, the target,
// and met / not met (null where a contender it needs is missing, with the reason in the notes).
import type { RealConfigResult, RealRow } from './results.js';

export interface TargetRow {
  target: string;
  /** The measured figure: a ratio (alignkit / peer), a roofline share, or an RSS ratio. */
  value: number | null;
  /** The threshold: value ≥ it, or ≤ it where `atMost`. */
  threshold: number;
  atMost: boolean;
  /** null when the figure is missing. */
  met: boolean | null;
  /** Which rows the figure came from. */
  from: string;
}

const pick = (rows: RealRow[], line: RealRow['line'], batch: number | null, who: (r: RealRow) => boolean): RealRow | null =>
  rows.filter((r) => r.line === line && (batch === null || r.batch === batch) && who(r) && r.tok_s !== null)
    .reduce<RealRow | null>((best, r) => (best === null || r.tok_s! > best.tok_s! ? r : best), null);

const isAk = (r: RealRow): boolean => r.contender === 'alignkit';
const isHf = (r: RealRow): boolean => r.contender === 'transformers';
const label = (r: RealRow | null): string => (r ? `${r.contender}${r.attn ? ` ${r.attn}` : ''} ${r.dtype}` : 'missing');

function judge(target: string, value: number | null, threshold: number, from: string, atMost = false): TargetRow {
  return { target, value, threshold, atMost, met: value === null ? null : atMost ? value <= threshold : value >= threshold, from };
}

const ratio = (a: RealRow | null, b: RealRow | null): number | null => (a && b && b.tok_s! > 0 ? a.tok_s! / b.tok_s! : null);

/**
 * The targets of the configs in `configs` (peers compared at their fastest variant; alignkit's
 * batch-1 roofline and llama.cpp comparison with its bf16 weights). `trusted` false: PyTorch
 * failed the BLAS check, so no ratio against it is judged.
 */
export function judgeTargets(configs: RealConfigResult[], trusted: boolean): TargetRow[] {
  const out: TargetRow[] = [];
  for (const c of configs) {
    const rows = c.rows, ran = (line: RealRow['line']): boolean => rows.some((r) => r.line === line);
    // A line left out of the run (--lines) has no target row, rather than one judged on nothing.
    if (c.config === 'C' && rows.some((r) => r.line === 'generate' && r.batch === 1)) {
      const ak = pick(rows, 'generate', 1, (r) => isAk(r) && r.dtype === 'bf16');
      out.push(judge('generation C batch 1: share of the bandwidth roofline (bf16 weights)', ak?.roofline ?? null, 0.85, label(ak)));
      const lc = pick(rows, 'generate', 1, (r) => r.contender === 'llama.cpp' && (r.dtype === 'bf16' || r.dtype === 'f16'));
      out.push(judge("generation C batch 1: alignkit bf16 / llama.cpp f16-bf16 tokens/s", ratio(ak, lc), 1, `${label(ak)} vs ${label(lc)}`));
    }
    if (ran('generate')) {
      const big = Math.max(0, ...rows.filter((r) => r.line === 'generate').map((r) => r.batch));
      const akB = pick(rows, 'generate', big, isAk), hfB = pick(rows, 'generate', big, isHf);
      out.push(judge(`generation ${c.config} batch ${big}: alignkit / transformers generate tokens/s`, trusted ? ratio(akB, hfB) : null, 2, `${label(akB)} vs ${label(hfB)}`));
    }
    if (!ran('lora')) continue;
    const akL = pick(rows, 'lora', null, isAk), hfL = pick(rows, 'lora', null, isHf);
    out.push(judge(`LoRA SFT ${c.config}: alignkit / peft tokens/s`, trusted ? ratio(akL, hfL) : null, 1.5, `${label(akL)} vs ${label(hfL)}`));
    const rss = akL?.rss_mb != null && hfL?.rss_mb != null && hfL.rss_mb > 0 ? akL.rss_mb / hfL.rss_mb : null;
    out.push(judge(`LoRA SFT ${c.config}: alignkit peak RSS / PyTorch's`, rss, 0.6, `${label(akL)} vs ${label(hfL)}`, true));
  }
  return out;
}

/** The precision pairs of the LoRA line: each alignkit dtype and the peft dtype that rounds the same way. */
export const LORA_PAIRS: readonly [alignkit: string, peft: string][] = [['float32', 'float32'], ['bf16-compute', 'bf16-autocast']];

/**
 * The LoRA target's ratio at matched precision (peft at its fastest attn of that precision): what
 * the best-against-best target hides when the best lines round differently.
 */
export function matchedLora(configs: RealConfigResult[], trusted: boolean): TargetRow[] {
  const out: TargetRow[] = [];
  for (const c of configs) {
    for (const [a, p] of LORA_PAIRS) {
      const ak = pick(c.rows, 'lora', null, (r) => isAk(r) && r.dtype === a), hf = pick(c.rows, 'lora', null, (r) => isHf(r) && r.dtype === p);
      if (!ak && !hf) continue;
      out.push(judge(`LoRA SFT ${c.config}, ${a} / peft ${p}: tokens/s`, trusted ? ratio(ak, hf) : null, 1.5, `${label(ak)} vs ${label(hf)}`));
    }
  }
  return out;
}
