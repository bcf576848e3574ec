/**
 * A sorted, optionally weighted sample: the common currency of the drift statistics. A
 * baseline read from a KLL sketch has weighted items (an item compacted h times stands for
 * 2^h values); a live window and a baseline-sample.csv are unweighted.
 */
export interface Sample {
  /** Ascending, finite. */
  readonly values: Float64Array;
  /** Same length as values; absent when every weight is 1. */
  readonly weights?: Float64Array;
  /** Sum of the weights (the number of values the sample stands for). */
  readonly total: number;
}

// Hoisted: a global lookup per iteration is slow where code runs in a vm context (Jest).
const { isFinite } = Number;
const { floor, min, max } = Math;

/** Sorts finite values (with their weights) into a Sample; NaN and infinities are dropped. */
export function sampleOf(values: ArrayLike<number>, weights?: ArrayLike<number>): Sample {
  if (!weights) {
    let finite = 0;
    for (let i = 0; i < values.length; i++) if (isFinite(values[i])) finite++;
    const v = new Float64Array(finite);
    for (let i = 0, j = 0; i < values.length; i++) if (isFinite(values[i])) v[j++] = values[i];
    // A typed array sorts numerically, natively: the hot path of every test statistic.
    return { values: v.sort(), total: finite };
  }
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (isFinite(values[i]) && weights[i] > 0) idx.push(i);
  }
  idx.sort((a, b) => values[a] - values[b]);
  const v = Float64Array.from(idx, (i) => values[i]);
  const w = Float64Array.from(idx, (i) => weights[i]);
  let total = 0;
  let uniform = true;
  for (const x of w) {
    total += x;
    if (x !== 1) uniform = false;
  }
  return uniform ? { values: v, total: v.length } : { values: v, weights: w, total };
}

const weightAt = (s: Sample, i: number) => (s.weights ? s.weights[i] : 1);

/**
 * The q-quantile. Unweighted: linear interpolation between order statistics (R type 7, the
 * numpy default), so results match what an analyst gets in a notebook. Weighted: the
 * smallest value whose cumulative weight reaches q of the total.
 */
export function quantile(s: Sample, q: number): number {
  const n = s.values.length;
  if (n === 0) return Number.NaN;
  const p = min(1, max(0, q));
  if (!s.weights) {
    const h = (n - 1) * p;
    const lo = floor(h);
    const hi = min(n - 1, lo + 1);
    return s.values[lo] + (h - lo) * (s.values[hi] - s.values[lo]);
  }
  const target = p * s.total;
  let cum = 0;
  for (let i = 0; i < n; i++) {
    cum += s.weights[i];
    if (cum >= target - 1e-12) return s.values[i];
  }
  return s.values[n - 1];
}

/** Share of the sample's weight at or below x (the empirical CDF). */
export function cdfAt(s: Sample, x: number): number {
  if (s.total === 0) return Number.NaN;
  // Binary search for the last index with value <= x.
  let lo = 0;
  let hi = s.values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.values[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  if (!s.weights) return lo / s.total;
  let cum = 0;
  for (let i = 0; i < lo; i++) cum += s.weights[i];
  return cum / s.total;
}

export function weightedMean(s: Sample): number {
  if (s.total === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < s.values.length; i++) sum += s.values[i] * weightAt(s, i);
  return sum / s.total;
}

/** Population standard deviation (Spark's stddev_pop, as Deequ reports it). */
export function weightedStd(s: Sample): number {
  if (s.total === 0) return Number.NaN;
  const m = weightedMean(s);
  let ss = 0;
  for (let i = 0; i < s.values.length; i++) ss += weightAt(s, i) * (s.values[i] - m) ** 2;
  return Math.sqrt(ss / s.total);
}

/**
 * Weighted counts in `bins` equal-width bins over [lo, hi]; values outside are clamped into
 * the first or last bin so nothing silently disappears from a plot.
 */
export function equalWidthCounts(s: Sample, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const width = hi - lo;
  for (let i = 0; i < s.values.length; i++) {
    let b = width > 0 ? floor(((s.values[i] - lo) / width) * bins) : 0;
    if (b < 0) b = 0;
    if (b >= bins) b = bins - 1;
    counts[b] += weightAt(s, i);
  }
  return counts;
}
