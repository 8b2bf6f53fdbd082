/**
 * Scalar float64 references for the losses in src/losses/: plain loops over nested arrays, written from the
 * papers' formulas, for the tests to compare the TF.js tensor versions against.
 */
export type Rows = number[][];

/** Deterministic logits in [−scale, scale] (an LCG, so the tests need no seeding). */
export function randomLogits(B: number, C: number, scale: number, seed: number): Rows {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  return Array.from({ length: B }, () => Array.from({ length: C }, () => rand() * scale));
}

export function logSoftmax(z: number[], T = 1): number[] {
  const m = Math.max(...z.map((v) => v / T));
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v / T - m), 0));
  return z.map((v) => v / T - lse);
}

export const softmax = (z: number[], T = 1): number[] => logSoftmax(z, T).map(Math.exp);

/** KL(p ‖ q) of two probability vectors. */
export const klProbs = (p: number[], q: number[]): number => p.reduce((s, pc, c) => (pc > 0 ? s + pc * Math.log(pc / q[c]) : s), 0);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Per-example KL(p_t ‖ p_s) at temperature T, unscaled. */
export const forwardKlRows = (zs: Rows, zt: Rows, T: number): number[] => zs.map((r, b) => klProbs(softmax(zt[b], T), softmax(r, T)));

/** Per-example KL(p_s ‖ p_t) at temperature T, unscaled. */
export const reverseKlRows = (zs: Rows, zt: Rows, T: number): number[] => zs.map((r, b) => klProbs(softmax(r, T), softmax(zt[b], T)));

export const mseRef = (zs: Rows, zt: Rows): number => mean(zs.flatMap((r, b) => r.map((v, c) => (v - zt[b][c]) ** 2)));

export const reverseKlRef = (zs: Rows, zt: Rows, T: number): number => T * T * mean(reverseKlRows(zs, zt, T));

/** Generalized JSD, unscaled per example, straight from the mixture (no special endpoints). */
export function jsdRows(zs: Rows, zt: Rows, beta: number, T: number): number[] {
  return zs.map((r, b) => {
    const ps = softmax(r, T);
    const pt = softmax(zt[b], T);
    const m = ps.map((v, c) => beta * pt[c] + (1 - beta) * v);
    return beta * klProbs(pt, m) + (1 - beta) * klProbs(ps, m);
  });
}

export const tvdRef = (zs: Rows, zt: Rows, T: number): number =>
  mean(zs.map((r, b) => 0.5 * softmax(r, T).reduce((s, v, c) => s + Math.abs(v - softmax(zt[b], T)[c]), 0)));

/** DKD parts per example: binary TCKD, renormalized non-target NCKD, and p_t^target. */
export function dkdPartsRef(zs: Rows, zt: Rows, labels: number[], T: number): { tckd: number[]; nckd: number[]; pt: number[] } {
  const out = { tckd: [] as number[], nckd: [] as number[], pt: [] as number[] };
  zs.forEach((r, b) => {
    const y = labels[b];
    const ps = softmax(r, T);
    const pt = softmax(zt[b], T);
    out.tckd.push(klProbs([pt[y], 1 - pt[y]], [ps[y], 1 - ps[y]]));
    // p_c / (1 − p_y) over c ≠ y is the softmax of the non-target logits alone (exact even when p_y rounds to 1).
    const rest = (z: number[]) => softmax(z.filter((_, c) => c !== y), T);
    out.nckd.push(klProbs(rest(zt[b]), rest(r)));
    out.pt.push(pt[y]);
  });
  return out;
}

export function dkdRef(zs: Rows, zt: Rows, labels: number[], o: { alpha: number; beta: number; temperature: number }): number {
  const { tckd, nckd } = dkdPartsRef(zs, zt, labels, o.temperature);
  return o.temperature ** 2 * mean(tckd.map((t, b) => o.alpha * t + o.beta * nckd[b]));
}

/** FitNets hint: mean over all elements of (s·W + bias − t)², rows given flattened to [N, D]. */
export const hintRef = (s: Rows, t: Rows, W: Rows, bias: number[]): number =>
  mean(s.flatMap((row, n) => t[n].map((tv, j) => (row.reduce((a, v, i) => a + v * W[i][j], bias[j]) - tv) ** 2)));

/** Attention transfer on NHWC maps given as [B][H·W][C]. */
export function attentionRef(s: number[][][], t: number[][][], p: number): number {
  const q = (m: number[][]) => {
    const a = m.map((pix) => pix.reduce((acc, v) => acc + Math.abs(v) ** p, 0));
    const n = Math.hypot(...a);
    return a.map((v) => v / n);
  };
  return mean(s.map((m, b) => {
    const qs = q(m);
    const qt = q(t[b]);
    return qs.reduce((acc, v, i) => acc + (v - qt[i]) ** 2, 0);
  }));
}

/** 1 − cos per row, averaged over the rows whose mask is 1 (all rows without a mask). */
export function cosineRef(s: Rows, t: Rows, mask?: number[]): number {
  let num = 0;
  let den = 0;
  s.forEach((row, n) => {
    const w = mask ? mask[n] : 1;
    const dot = row.reduce((a, v, i) => a + v * t[n][i], 0);
    num += w * (1 - dot / (Math.hypot(...row) * Math.hypot(...t[n])));
    den += w;
  });
  return num / den;
}
