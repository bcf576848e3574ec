/**
 * Operating threshold for screening: missing a cancer costs more than a false alarm, so the
 * threshold is the highest one that still catches the target share of malignant cases on
 * out-of-bag (never-seen-by-that-tree) predictions.
 */
import type { ConfusionMatrix } from './classification.ts';
import { confusionMatrix, sensitivity, specificity } from './classification.ts';

export interface ThresholdChoice {
  /** Predict malignant when probability >= threshold. */
  threshold: number;
  targetSensitivity: number;
  /**
   * One-sided confidence that the true sensitivity reaches the target (Wilson lower bound on
   * the malignant rows the threshold was chosen on); 0 = the observed share alone must reach it.
   */
  confidence: number;
  /** Achieved on the rows the threshold was chosen on. */
  sensitivity: number;
  specificity: number;
  confusion: ConfusionMatrix;
}

/**
 * Wilson score lower bound of a binomial proportion: with k successes in n trials the true
 * share is >= the bound with one-sided confidence Phi(z).
 */
export function wilsonLowerBound(k: number, n: number, z: number): number {
  if (n <= 0) return 0;
  const p = k / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.max(0, (centre - spread) / (1 + z2 / n));
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(q: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`quantile needs q in (0, 1), got ${q}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (q < lo) {
    const r = Math.sqrt(-2 * Math.log(q));
    return (
      (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
      ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
    );
  }
  if (q > 1 - lo) return -normalQuantile(1 - q);
  const r = q - 0.5;
  const s = r * r;
  return (
    ((((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r) /
    (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1)
  );
}

/**
 * How many of n malignant rows the threshold must keep above it: ceil(target * n), or, with a
 * confidence, the fewest whose Wilson lower bound reaches the target. A threshold fitted to
 * exactly 95% of out-of-bag rows falls short of 95% on new rows about half the time, which is
 * what the approval policy then measures on validation; the confidence leaves the margin.
 * When even catching every row cannot give that confidence, every row is caught.
 */
export function requiredPositives(n: number, target: number, confidence: number): number {
  // The epsilon keeps 0.95 * 20 = 19.000000000000004 from asking for 20 positives.
  const plain = Math.max(1, Math.ceil(target * n - 1e-9));
  if (!(confidence > 0)) return plain;
  const z = normalQuantile(confidence);
  for (let k = plain; k <= n; k++) if (wilsonLowerBound(k, n, z) >= target) return k;
  return n;
}

/**
 * Let k = requiredPositives(positives, target, confidence) (ceil(target * positives) without a
 * confidence) and t = the k-th highest malignant score: every threshold <= t keeps at least k
 * malignant rows above it, and t is the highest such. The threshold returned is the midpoint
 * between t and the next lower score of any row, so rows tied at t stay malignant and new rows
 * near the boundary err towards malignant without changing the confusion matrix on these rows.
 * Rows with NaN scores are ignored.
 */
export function chooseThreshold(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  targetSensitivity = 0.95,
  confidence = 0,
): ThresholdChoice {
  if (!(targetSensitivity > 0 && targetSensitivity <= 1)) {
    throw new RangeError(`target sensitivity must be in (0, 1], got ${targetSensitivity}`);
  }
  if (!(confidence >= 0 && confidence < 1)) {
    throw new RangeError(`confidence must be in [0, 1), got ${confidence}`);
  }
  const yc: number[] = [];
  const pc: number[] = [];
  for (let i = 0; i < y.length; i++) {
    if (Number.isNaN(p[i])) continue;
    yc.push(y[i]);
    pc.push(p[i]);
  }
  const posScores = pc.filter((_, i) => yc[i] === 1).sort((a, b) => b - a);
  if (posScores.length === 0) throw new RangeError('choosing a threshold needs malignant rows');
  const k = requiredPositives(posScores.length, targetSensitivity, confidence);
  const t = posScores[k - 1];
  let below = -Infinity;
  for (const s of pc) if (s < t && s > below) below = s;
  let threshold = t;
  if (below > -Infinity) {
    const mid = (t + below) / 2;
    if (mid > below && mid <= t) threshold = mid;
  }
  const cm = confusionMatrix(yc, pc, threshold);
  return {
    threshold,
    targetSensitivity,
    confidence,
    sensitivity: sensitivity(cm),
    specificity: specificity(cm),
    confusion: cm,
  };
}
