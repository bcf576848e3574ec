import { quantile, type Sample } from './sample.ts';

/**
 * Population stability index, the credit-risk industry's drift score:
 * PSI = Σ (a_i - e_i) · ln(a_i / e_i) over bins cut at the baseline's quantiles. It has no
 * sampling distribution of its own (it grows on small windows by chance), so it is reported
 * with the usual bands and never decides on its own.
 */

const { max, log } = Math;

export type PsiBand = 'stable' | 'moderate' | 'significant';

/** < 0.1 no significant change, 0.1-0.25 moderate, >= 0.25 significant (the usual bands). */
export function psiBand(value: number): PsiBand {
  return value < 0.1 ? 'stable' : value < 0.25 ? 'moderate' : 'significant';
}

/** An empty bin would make ln(a/e) infinite; it counts as this share instead. */
export const PSI_EPSILON = 1e-4;

export function psiFromProportions(
  expected: readonly number[],
  actual: readonly number[],
  epsilon = PSI_EPSILON,
): number {
  if (expected.length !== actual.length)
    throw new Error('psi: expected and actual need the same number of bins');
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = max(expected[i], epsilon);
    const a = max(actual[i], epsilon);
    sum += (a - e) * log(a / e);
  }
  return sum;
}

/**
 * Interior bin edges at the baseline's 1/bins … (bins-1)/bins quantiles, de-duplicated: a
 * feature with many equal values (zeros, the integer risk score) gets fewer, wider bins
 * rather than empty ones.
 */
export function quantileEdges(baseline: Sample, bins = 10): number[] {
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantile(baseline, i / bins);
    if (Number.isFinite(e) && (edges.length === 0 || e > edges[edges.length - 1])) edges.push(e);
  }
  return edges;
}

/** Shares of the sample in (-∞, e1], (e1, e2], …, (ek, ∞). */
export function binProportions(s: Sample, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let b = 0;
  for (let i = 0; i < s.values.length; i++) {
    while (b < edges.length && s.values[i] > edges[b]) b++;
    counts[b] += s.weights ? s.weights[i] : 1;
  }
  return counts.map((c) => (s.total > 0 ? c / s.total : 0));
}

export interface PsiResult {
  value: number;
  band: PsiBand;
  edges: number[];
  expected: number[];
  actual: number[];
}

export function populationStabilityIndex(baseline: Sample, live: Sample, bins = 10): PsiResult {
  const edges = quantileEdges(baseline, bins);
  const expected = binProportions(baseline, edges);
  const actual = binProportions(live, edges);
  const value =
    live.total > 0 && baseline.total > 0 ? psiFromProportions(expected, actual) : Number.NaN;
  return { value, band: psiBand(value), edges, expected, actual };
}
