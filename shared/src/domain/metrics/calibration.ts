/**
 * Probability calibration. The forest's raw probabilities are vote shares, squeezed towards the
 * middle; a Platt sigmoid fitted on out-of-bag predictions maps them to probabilities that match
 * observed rates, without touching the ranking (a strictly increasing map keeps ROC AUC).
 */

export type Calibration =
  | { method: 'identity' }
  /** calibrated = 1 / (1 + exp(a * raw + b)); a < 0 so the map is increasing. */
  | { method: 'platt'; a: number; b: number };

export function applyCalibration(c: Calibration, raw: number): number {
  if (c.method === 'identity') return raw;
  const z = c.a * raw + c.b;
  return z >= 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z));
}

/** In-place calibration of many probabilities. */
export function applyCalibrationAll(c: Calibration, values: Float64Array): Float64Array {
  if (c.method === 'identity') return values;
  for (let i = 0; i < values.length; i++) values[i] = applyCalibration(c, values[i]);
  return values;
}

/**
 * Fits Platt's sigmoid by Newton's method with backtracking (Lin, Lin & Weng 2007), with Platt's
 * smoothed targets so a separable training set does not drive the slope to infinity. Rows with
 * NaN scores (no OOB vote) are skipped. Falls back to identity if the fit is not increasing.
 */
export function fitPlatt(y: ArrayLike<number>, p: ArrayLike<number>): Calibration {
  const f: number[] = [];
  const lab: number[] = [];
  for (let i = 0; i < y.length; i++) {
    if (Number.isNaN(p[i])) continue;
    f.push(p[i]);
    lab.push(y[i]);
  }
  let prior1 = 0;
  for (const v of lab) prior1 += v;
  const prior0 = lab.length - prior1;
  if (prior1 === 0 || prior0 === 0) return { method: 'identity' };
  const hi = (prior1 + 1) / (prior1 + 2);
  const lo = 1 / (prior0 + 2);
  const t = lab.map((v) => (v === 1 ? hi : lo));
  const objective = (A: number, B: number): number => {
    let s = 0;
    for (let i = 0; i < f.length; i++) {
      const z = f[i] * A + B;
      s += z >= 0 ? t[i] * z + Math.log1p(Math.exp(-z)) : (t[i] - 1) * z + Math.log1p(Math.exp(z));
    }
    return s;
  };
  let A = 0;
  let B = Math.log((prior0 + 1) / (prior1 + 1));
  let fval = objective(A, B);
  for (let iter = 0; iter < 100; iter++) {
    let h11 = 1e-12;
    let h22 = 1e-12;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < f.length; i++) {
      const z = f[i] * A + B;
      let pr: number;
      let q: number;
      if (z >= 0) {
        pr = Math.exp(-z) / (1 + Math.exp(-z));
        q = 1 / (1 + Math.exp(-z));
      } else {
        pr = 1 / (1 + Math.exp(z));
        q = Math.exp(z) / (1 + Math.exp(z));
      }
      const d2 = pr * q;
      h11 += f[i] * f[i] * d2;
      h22 += d2;
      h21 += f[i] * d2;
      const d1 = t[i] - pr;
      g1 += f[i] * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < 1e-5 && Math.abs(g2) < 1e-5) break;
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det;
    const dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    let step = 1;
    while (step >= 1e-10) {
      const nA = A + step * dA;
      const nB = B + step * dB;
      const nf = objective(nA, nB);
      if (nf < fval + 1e-4 * step * gd) {
        A = nA;
        B = nB;
        fval = nf;
        break;
      }
      step /= 2;
    }
    if (step < 1e-10) break;
  }
  if (!(A < 0) || !Number.isFinite(B)) return { method: 'identity' };
  return { method: 'platt', a: A, b: B };
}

export interface CalibrationBin {
  /** Bin bounds [lower, upper); the last bin includes 1. */
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted probability in the bin; null when empty. */
  meanPredicted: number | null;
  /** Share of malignant rows in the bin; null when empty. */
  observedRate: number | null;
}

/** Reliability table over `bins` equal-width probability bins. NaN scores are skipped. */
export function calibrationTable(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  bins = 10,
): CalibrationBin[] {
  if (y.length !== p.length) throw new RangeError('labels and scores differ in length');
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError('bins must be a positive integer');
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  for (let i = 0; i < y.length; i++) {
    const v = p[i];
    if (Number.isNaN(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(v * bins)));
    count[b]++;
    sumP[b] += v;
    sumY[b] += y[i];
  }
  return count.map((c, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: c,
    meanPredicted: c > 0 ? sumP[b] / c : null,
    observedRate: c > 0 ? sumY[b] / c : null,
  }));
}
