import {
  confusionMatrix,
  evaluateBinary,
  rocAuc,
  type BinaryMetrics,
  type ConfusionMatrix,
} from '@cancer-mlops/shared/domain/metrics/index.ts';
import { Rng } from '@cancer-mlops/shared/domain/forest/prng.ts';

/**
 * The model quality report in SageMaker Model Monitor's `binary_classification_metrics`
 * format (what its model-quality baselining job writes), computed on the validation set at
 * the model's operating threshold. Label 1 = malignant (positive). Standard deviations come,
 * as Model Monitor computes them, from five random 80% samples, and only from 200 rows up;
 * below that they are "NaN". Pure: no I/O.
 */

interface Metric {
  value: number;
  standard_deviation: number | 'NaN';
}

export interface ModelQualityReport {
  version: 0.0;
  dataset: { item_count: number; evaluation_time: string };
  binary_classification_metrics: {
    confusion_matrix: Record<'0' | '1', Record<'0' | '1', number>>;
    recall: Metric;
    precision: Metric;
    accuracy: Metric;
    recall_best_constant_classifier: Metric;
    precision_best_constant_classifier: Metric;
    accuracy_best_constant_classifier: Metric;
    true_positive_rate: Metric;
    true_negative_rate: Metric;
    false_positive_rate: Metric;
    false_negative_rate: Metric;
    receiver_operating_characteristic_curve: {
      false_positive_rates: number[];
      true_positive_rates: number[];
    };
    precision_recall_curve: { precisions: number[]; recalls: number[] };
    auc: Metric;
    f0_5: Metric;
    f1: Metric;
    f2: Metric;
    f0_5_best_constant_classifier: Metric;
    f1_best_constant_classifier: Metric;
    f2_best_constant_classifier: Metric;
  };
  /** Our additions, for people: the threshold and the plain counts. */
  threshold: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const fBeta = (p: number, r: number, beta: number) =>
  p + r === 0 ? 0 : ((1 + beta * beta) * p * r) / (beta * beta * p + r);

type Scalar = (y: ArrayLike<number>, p: ArrayLike<number>) => number;

function scalars(threshold: number): Record<string, Scalar> {
  const cmOf = (y: ArrayLike<number>, p: ArrayLike<number>): ConfusionMatrix =>
    confusionMatrix(y, p, threshold);
  const posRate = (y: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i];
    return s / y.length;
  };
  const rec = (cm: ConfusionMatrix) => ratio(cm.tp, cm.tp + cm.fn);
  const prec = (cm: ConfusionMatrix) => ratio(cm.tp, cm.tp + cm.fp);
  return {
    recall: (y, p) => rec(cmOf(y, p)),
    precision: (y, p) => prec(cmOf(y, p)),
    accuracy: (y, p) => {
      const cm = cmOf(y, p);
      return ratio(cm.tp + cm.tn, y.length);
    },
    // The best constant classifier always predicts the positive class for recall/precision/F,
    // and the majority class for accuracy.
    recall_best_constant_classifier: () => 1,
    precision_best_constant_classifier: (y) => posRate(y),
    accuracy_best_constant_classifier: (y) => Math.max(posRate(y), 1 - posRate(y)),
    true_positive_rate: (y, p) => rec(cmOf(y, p)),
    true_negative_rate: (y, p) => {
      const cm = cmOf(y, p);
      return ratio(cm.tn, cm.tn + cm.fp);
    },
    false_positive_rate: (y, p) => {
      const cm = cmOf(y, p);
      return ratio(cm.fp, cm.fp + cm.tn);
    },
    false_negative_rate: (y, p) => {
      const cm = cmOf(y, p);
      return ratio(cm.fn, cm.fn + cm.tp);
    },
    auc: (y, p) => {
      try {
        return rocAuc(y, p);
      } catch {
        return Number.NaN;
      }
    },
    f0_5: (y, p) => {
      const cm = cmOf(y, p);
      return fBeta(prec(cm), rec(cm), 0.5);
    },
    f1: (y, p) => {
      const cm = cmOf(y, p);
      return fBeta(prec(cm), rec(cm), 1);
    },
    f2: (y, p) => {
      const cm = cmOf(y, p);
      return fBeta(prec(cm), rec(cm), 2);
    },
    f0_5_best_constant_classifier: (y) => fBeta(posRate(y), 1, 0.5),
    f1_best_constant_classifier: (y) => fBeta(posRate(y), 1, 1),
    f2_best_constant_classifier: (y) => fBeta(posRate(y), 1, 2),
  };
}

function standardDeviation(
  fn: Scalar,
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  seed: number,
): number | 'NaN' {
  const n = y.length;
  if (n < 200) return 'NaN';
  const rng = new Rng(seed);
  const m = Math.floor(n * 0.8);
  const values: number[] = [];
  for (let s = 0; s < 5; s++) {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const pick = idx.slice(0, m);
    values.push(
      fn(
        pick.map((i) => y[i]),
        pick.map((i) => p[i]),
      ),
    );
  }
  if (values.some((v) => Number.isNaN(v))) return 'NaN';
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
}

function rocCurve(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
): { false_positive_rates: number[]; true_positive_rates: number[] } {
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[b] - p[a]);
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i];
  const neg = y.length - pos;
  const fpr = [0];
  const tpr = [0];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length;) {
    const s = p[order[k]];
    while (k < order.length && p[order[k]] === s) {
      if (y[order[k]] === 1) tp++;
      else fp++;
      k++;
    }
    fpr.push(ratio(fp, neg));
    tpr.push(ratio(tp, pos));
  }
  return { false_positive_rates: fpr, true_positive_rates: tpr };
}

function prCurve(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
): { precisions: number[]; recalls: number[] } {
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[b] - p[a]);
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i];
  const precisions: number[] = [];
  const recalls: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length;) {
    const s = p[order[k]];
    while (k < order.length && p[order[k]] === s) {
      if (y[order[k]] === 1) tp++;
      else fp++;
      k++;
    }
    precisions.push(ratio(tp, tp + fp));
    recalls.push(ratio(tp, pos));
  }
  return { precisions, recalls };
}

export function modelQualityReport(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  threshold: number,
  evaluationTime: Date,
  seed = 42,
): ModelQualityReport {
  const fns = scalars(threshold);
  const metric = (name: string, i: number): Metric => {
    const value = fns[name](y, p);
    return { value, standard_deviation: standardDeviation(fns[name], y, p, seed + i) };
  };
  const cm = confusionMatrix(y, p, threshold);
  const names = Object.keys(fns);
  const m = Object.fromEntries(names.map((n, i) => [n, metric(n, i)])) as Record<string, Metric>;
  return {
    version: 0.0,
    dataset: { item_count: y.length, evaluation_time: evaluationTime.toISOString() },
    binary_classification_metrics: {
      confusion_matrix: { '0': { '0': cm.tn, '1': cm.fp }, '1': { '0': cm.fn, '1': cm.tp } },
      recall: m.recall,
      precision: m.precision,
      accuracy: m.accuracy,
      recall_best_constant_classifier: m.recall_best_constant_classifier,
      precision_best_constant_classifier: m.precision_best_constant_classifier,
      accuracy_best_constant_classifier: m.accuracy_best_constant_classifier,
      true_positive_rate: m.true_positive_rate,
      true_negative_rate: m.true_negative_rate,
      false_positive_rate: m.false_positive_rate,
      false_negative_rate: m.false_negative_rate,
      receiver_operating_characteristic_curve: rocCurve(y, p),
      precision_recall_curve: prCurve(y, p),
      auc: m.auc,
      f0_5: m.f0_5,
      f1: m.f1,
      f2: m.f2,
      f0_5_best_constant_classifier: m.f0_5_best_constant_classifier,
      f1_best_constant_classifier: m.f1_best_constant_classifier,
      f2_best_constant_classifier: m.f2_best_constant_classifier,
    },
    threshold,
  };
}

/** The package's metrics: finite numbers by name, as the registry stores them. */
export function packageMetrics(b: BinaryMetrics, trainRows: number): Record<string, number> {
  const out: Record<string, number> = {
    sensitivity: b.sensitivity,
    specificity: b.specificity,
    precision: b.precision,
    accuracy: b.accuracy,
    f1: b.f1,
    brier: b.brier,
    threshold: b.threshold,
    validation_rows: b.n,
    validation_positives: b.positives,
    train_rows: trainRows,
  };
  if (b.rocAuc !== null) out.roc_auc = b.rocAuc;
  if (b.prAuc !== null) out.pr_auc = b.prAuc;
  return out;
}

export { evaluateBinary };
