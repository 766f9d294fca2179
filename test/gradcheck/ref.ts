// Float64 references for the gradient check, written directly from each op's definition with
// plain index arithmetic (no shared code with the kernels they check).

export function stridesOf(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The multi-index of flat position i in a row-major shape. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let ax = shape.length - 1; ax >= 0; ax--) { idx[ax] = i % shape[ax]!; i = Math.floor(i / shape[ax]!); }
  return idx;
}

/** Flat position in `shape` of an output index, broadcasting (size-1 axes read index 0). */
export function bcastIndex(outIdx: readonly number[], shape: readonly number[]): number {
  const off = outIdx.length - shape.length;
  const st = stridesOf(shape);
  let p = 0;
  for (let ax = 0; ax < shape.length; ax++) p += (shape[ax] === 1 ? 0 : outIdx[off + ax]!) * st[ax]!;
  return p;
}

export function bcastShape(...shapes: (readonly number[])[]): number[] {
  const r = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: r }, (_, i) => Math.max(...shapes.map((s) => s[s.length - r + i] ?? 1)));
}

export function elementwise(shapes: (readonly number[])[], xs: Float64Array[], f: (...v: number[]) => number): Float64Array {
  const out = bcastShape(...shapes);
  const res = new Float64Array(numel(out));
  for (let i = 0; i < res.length; i++) {
    const idx = unravel(i, out);
    res[i] = f(...xs.map((x, k) => x[bcastIndex(idx, shapes[k]!)]!));
  }
  return res;
}

/** Reduces `axes` of x with f over the values of each output cell (keepdim layout). */
export function reduceAxes(x: Float64Array, shape: readonly number[], axes: readonly number[], f: (vals: number[]) => number): Float64Array {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: numel(outShape) }, () => []);
  const ost = stridesOf(outShape);
  for (let i = 0; i < x.length; i++) {
    const idx = unravel(i, shape);
    let o = 0;
    for (let ax = 0; ax < shape.length; ax++) if (!axes.includes(ax)) o += idx[ax]! * ost[ax]!;
    groups[o]!.push(x[i]!);
  }
  return Float64Array.from(groups.map(f));
}

/** Applies f to each row of the last axis. */
export function rows(x: Float64Array, C: number, f: (row: number[]) => number[]): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r * C < x.length; r++) out.set(f(Array.from(x.subarray(r * C, r * C + C))), r * C);
  return out;
}

export function matmulRef(a: Float64Array, aShape: number[], b: Float64Array, bShape: number[], tA: boolean, tB: boolean): Float64Array {
  const [ar, ac] = aShape.slice(-2) as [number, number];
  const [br, bc] = bShape.slice(-2) as [number, number];
  const M = tA ? ac : ar, K = tA ? ar : ac, N = tB ? br : bc;
  const batch = bcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  const nb = numel(batch);
  const out = new Float64Array(nb * M * N);
  for (let bi = 0; bi < nb; bi++) {
    const idx = unravel(bi, batch);
    const ao = bcastIndex(idx, aShape.slice(0, -2)) * ar * ac, bo = bcastIndex(idx, bShape.slice(0, -2)) * br * bc;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const av = tA ? a[ao + k * ac + i]! : a[ao + i * ac + k]!;
        const bv = tB ? b[bo + j * bc + k]! : b[bo + k * bc + j]!;
        s += av * bv;
      }
      out[(bi * M + i) * N + j] = s;
    }
  }
  return out;
}

export function softmaxRow(r: number[]): number[] {
  const m = Math.max(...r);
  const e = r.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
