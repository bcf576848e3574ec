/**
 * Binary classification metrics. Labels: 1 = malignant (positive), 0 = benign. Scores are
 * probabilities of malignant; a row is predicted malignant when score >= threshold.
 */

export interface ConfusionMatrix {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

function checkPair(y: ArrayLike<number>, p: ArrayLike<number>): void {
  if (y.length !== p.length) {
    throw new RangeError(`labels (${y.length}) and scores (${p.length}) differ in length`);
  }
  if (y.length === 0) throw new RangeError('no rows to score');
}

function classCounts(y: ArrayLike<number>): { pos: number; neg: number } {
  let pos = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1)
      throw new RangeError(`label ${y[i]} at row ${i}; expected 0 or 1`);
    pos += y[i];
  }
  return { pos, neg: y.length - pos };
}

/** Row indices ordered by decreasing score. */
function byScoreDesc(p: ArrayLike<number>): Int32Array {
  const idx = new Int32Array(p.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => p[b] - p[a]);
}

/**
 * Area under the ROC curve (Mann-Whitney U with average ranks, so tied scores count half).
 * Throws when y holds one class only: AUC is undefined there.
 */
export function rocAuc(y: ArrayLike<number>, p: ArrayLike<number>): number {
  checkPair(y, p);
  const { pos, neg } = classCounts(y);
  if (pos === 0 || neg === 0) throw new RangeError('ROC AUC needs both classes');
  const idx = byScoreDesc(p);
  // Walk from the lowest score up, assigning 1-based average ranks to tie groups.
  let rankSumPos = 0;
  let k = idx.length - 1;
  let rank = 1;
  while (k >= 0) {
    let j = k;
    while (j > 0 && p[idx[j - 1]] === p[idx[k]]) j--;
    const size = k - j + 1;
    const avg = rank + (size - 1) / 2;
    for (let q = j; q <= k; q++) if (y[idx[q]] === 1) rankSumPos += avg;
    rank += size;
    k = j - 1;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Area under the precision-recall curve as average precision (scikit-learn's definition):
 * sum over distinct thresholds of (recall_k - recall_{k-1}) * precision_k. No interpolation.
 */
export function prAuc(y: ArrayLike<number>, p: ArrayLike<number>): number {
  checkPair(y, p);
  const { pos } = classCounts(y);
  if (pos === 0) throw new RangeError('PR AUC needs at least one positive');
  const idx = byScoreDesc(p);
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let k = 0; k < idx.length;) {
    const s = p[idx[k]];
    while (k < idx.length && p[idx[k]] === s) {
      if (y[idx[k]] === 1) tp++;
      else fp++;
      k++;
    }
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

export function confusionMatrix(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  threshold = 0.5,
): ConfusionMatrix {
  checkPair(y, p);
  classCounts(y);
  const cm = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < y.length; i++) {
    const predicted = p[i] >= threshold;
    if (y[i] === 1) {
      if (predicted) cm.tp++;
      else cm.fn++;
    } else if (predicted) cm.fp++;
    else cm.tn++;
  }
  return cm;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** (tp + tn) / n. */
export const accuracy = (cm: ConfusionMatrix): number =>
  ratio(cm.tp + cm.tn, cm.tp + cm.tn + cm.fp + cm.fn);
/** Recall of malignant: tp / (tp + fn); 0 when there are no positives. */
export const sensitivity = (cm: ConfusionMatrix): number => ratio(cm.tp, cm.tp + cm.fn);
/** Recall of benign: tn / (tn + fp); 0 when there are no negatives. */
export const specificity = (cm: ConfusionMatrix): number => ratio(cm.tn, cm.tn + cm.fp);
/** tp / (tp + fp); 0 when nothing is predicted malignant (scikit-learn's zero_division=0). */
export const precision = (cm: ConfusionMatrix): number => ratio(cm.tp, cm.tp + cm.fp);
/** Harmonic mean of precision and sensitivity; 0 when both are 0. */
export function f1(cm: ConfusionMatrix): number {
  const pr = precision(cm);
  const re = sensitivity(cm);
  return pr + re === 0 ? 0 : (2 * pr * re) / (pr + re);
}

/** Mean squared error of the probabilities against the 0/1 labels. */
export function brierScore(y: ArrayLike<number>, p: ArrayLike<number>): number {
  checkPair(y, p);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return s / y.length;
}

export interface BinaryMetrics {
  n: number;
  positives: number;
  threshold: number;
  /** null when the rows hold one class only. */
  rocAuc: number | null;
  prAuc: number | null;
  accuracy: number;
  sensitivity: number;
  specificity: number;
  precision: number;
  f1: number;
  brier: number;
  confusion: ConfusionMatrix;
}

/** Every metric at once, at `threshold`; JSON-safe (no NaN). */
export function evaluateBinary(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  threshold = 0.5,
): BinaryMetrics {
  const cm = confusionMatrix(y, p, threshold);
  const positives = cm.tp + cm.fn;
  const both = positives > 0 && positives < y.length;
  return {
    n: y.length,
    positives,
    threshold,
    rocAuc: both ? rocAuc(y, p) : null,
    prAuc: positives > 0 ? prAuc(y, p) : null,
    accuracy: accuracy(cm),
    sensitivity: sensitivity(cm),
    specificity: specificity(cm),
    precision: precision(cm),
    f1: f1(cm),
    brier: brierScore(y, p),
    confusion: cm,
  };
}
