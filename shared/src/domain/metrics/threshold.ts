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
  /** Achieved on the rows the threshold was chosen on. */
  sensitivity: number;
  specificity: number;
  confusion: ConfusionMatrix;
}

/**
 * Let k = ceil(target * positives) and t = the k-th highest malignant score: every threshold
 * <= t reaches the target, and t is the highest such. The threshold returned is the midpoint
 * between t and the next lower score of any row, so rows tied at t stay malignant and new rows
 * near the boundary err towards malignant without changing the confusion matrix on these rows.
 * Rows with NaN scores are ignored.
 */
export function chooseThreshold(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  targetSensitivity = 0.95,
): ThresholdChoice {
  if (!(targetSensitivity > 0 && targetSensitivity <= 1)) {
    throw new RangeError(`target sensitivity must be in (0, 1], got ${targetSensitivity}`);
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
  // The epsilon keeps 0.95 * 20 = 19.000000000000004 from asking for 20 positives.
  const k = Math.max(1, Math.ceil(targetSensitivity * posScores.length - 1e-9));
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
    sensitivity: sensitivity(cm),
    specificity: specificity(cm),
    confusion: cm,
  };
}
