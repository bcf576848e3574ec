import type { Sample } from './sample.ts';

// Hoisted: a global lookup per iteration is slow where code runs in a vm context (Jest).
const { abs } = Math;

/**
 * Two-sample Kolmogorov–Smirnov test. The statistic D = sup |F_baseline - F_live| is also
 * SageMaker Model Monitor's "Robust" baseline drift distance (the L-infinity distance of the
 * two empirical CDFs); the p-value is what makes it usable on small windows, because D of
 * two samples from the same population shrinks only like 1/sqrt(n·m/(n+m)).
 */

/**
 * Survival function of the Kolmogorov distribution, Q(λ) = P(K > λ) =
 * 2 Σ_{k≥1} (-1)^{k-1} exp(-2k²λ²). For small λ that series converges slowly, so the
 * equivalent theta-function form 1 - √(2π)/λ Σ exp(-(2k-1)²π²/(8λ²)) is used there.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    const a = (Math.PI * Math.PI) / (8 * lambda * lambda);
    let sum = 0;
    for (let k = 1; k < 100; k++) {
      const odd = 2 * k - 1;
      const term = Math.exp(-odd * odd * a);
      sum += term;
      if (term <= 1e-17 * sum) break;
    }
    return clamp01(1 - (Math.sqrt(2 * Math.PI) / lambda) * sum);
  }
  let sum = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term <= 1e-17 * Math.abs(sum)) break;
  }
  return clamp01(2 * sum);
}

/** D = sup_x |F_a(x) - F_b(x)|, evaluated after all values tied at x on both sides. */
export function ksStatistic(a: Sample, b: Sample): number {
  if (a.total === 0 || b.total === 0) return Number.NaN;
  const av = a.values;
  const bv = b.values;
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  let d = 0;
  while (i < av.length || j < bv.length) {
    const x = j >= bv.length || (i < av.length && av[i] <= bv[j]) ? av[i] : bv[j];
    for (; i < av.length && av[i] === x; i++) ca += a.weights ? a.weights[i] : 1;
    for (; j < bv.length && bv[j] === x; j++) cb += b.weights ? b.weights[j] : 1;
    const diff = abs(ca / a.total - cb / b.total);
    if (diff > d) d = diff;
  }
  return d;
}

/**
 * Exact P(D >= d) for two samples of sizes n and m drawn from one continuous distribution:
 * the share of the C(n+m, n) equally likely merge orders whose path leaves the band
 * |i/n - j/m| < d (the lattice-path recursion of Kim & Jennrich, as R's ks.test computes
 * it, normalised at every step so large binomials never overflow).
 */
export function smirnovExactPValue(d: number, n: number, m: number): number {
  if (n <= 0 || m <= 0) return 1;
  if (d <= 0) return 1;
  const [small, large] = n <= m ? [n, m] : [m, n];
  // Paths with a point at distance >= d are excluded; the 0.5/(nm) step makes the
  // comparison exact on the grid of attainable values k/(nm).
  const q = (0.5 + Math.floor(d * small * large - 1e-7)) / (small * large);
  const u = new Float64Array(large + 1);
  for (let j = 0; j <= large; j++) u[j] = j / large > q ? 0 : 1;
  for (let i = 1; i <= small; i++) {
    const w = i / (i + large);
    u[0] = i / small > q ? 0 : w * u[0];
    for (let j = 1; j <= large; j++) {
      u[j] = abs(i / small - j / large) > q ? 0 : w * u[j] + u[j - 1];
    }
  }
  return clamp01(1 - u[large]);
}

export interface KsResult {
  statistic: number;
  pValue: number;
  /** Sizes (total weights) of the two samples. */
  n: number;
  m: number;
  /** n·m/(n+m), the size that governs the null distribution of D. */
  effectiveN: number;
  method: 'exact' | 'asymptotic';
}

/** Above this n·m the asymptotic distribution is used (it is then accurate to ~1e-3). */
export const EXACT_KS_MAX_PRODUCT = 10_000;

/**
 * The two-sided two-sample test. Exact for small unweighted samples; otherwise the
 * Kolmogorov limit with Stephens' finite-sample correction λ = (√en + 0.12 + 0.11/√en)·D.
 * Ties (discrete features such as the 1-10 risk score) make both conservative.
 */
export function ksTwoSample(
  a: Sample,
  b: Sample,
  method: 'auto' | 'exact' | 'asymptotic' = 'auto',
): KsResult {
  const n = a.total;
  const m = b.total;
  const statistic = ksStatistic(a, b);
  const effectiveN = n > 0 && m > 0 ? (n * m) / (n + m) : 0;
  if (!(effectiveN > 0) || Number.isNaN(statistic)) {
    return { statistic, pValue: 1, n, m, effectiveN, method: 'asymptotic' };
  }
  const exact = method === 'exact' || (method === 'auto' && n * m <= EXACT_KS_MAX_PRODUCT);
  if (exact && !a.weights && !b.weights) {
    return {
      statistic,
      pValue: smirnovExactPValue(statistic, n, m),
      n,
      m,
      effectiveN,
      method: 'exact',
    };
  }
  const sq = Math.sqrt(effectiveN);
  const pValue = kolmogorovSurvival((sq + 0.12 + 0.11 / sq) * statistic);
  return { statistic, pValue, n, m, effectiveN, method: 'asymptotic' };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
