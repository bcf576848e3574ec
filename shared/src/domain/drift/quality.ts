/**
 * Model quality on labelled live predictions, and its comparison with the validation-set
 * quality recorded at registration (concept drift: the inputs may look the same while the
 * relation between inputs and diagnosis has moved).
 */

export interface LabelledPrediction {
  /** Probability of malignancy the model returned. */
  probability: number;
  /** The class the model returned (1 = malignant), at its own operating threshold. */
  predicted: 0 | 1;
  /** Confirmed diagnosis (1 = malignant). */
  actual: 0 | 1;
}

export interface QualityMetrics {
  n: number;
  positives: number;
  negatives: number;
  /** Null when one class is absent (AUC is undefined). */
  roc_auc: number | null;
  accuracy: number | null;
  /** Recall of malignant cases; null without malignant cases. */
  sensitivity: number | null;
  specificity: number | null;
  precision: number | null;
  true_positives: number;
  false_positives: number;
  true_negatives: number;
  false_negatives: number;
}

/**
 * ROC AUC as the Mann–Whitney probability that a random malignant case scores above a random
 * benign one, ties counting one half (average ranks), which is what scikit-learn returns.
 */
export function rocAuc(scores: readonly number[], labels: readonly (0 | 1)[]): number | null {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  for (let start = 0; start < idx.length;) {
    let end = start;
    while (end + 1 < idx.length && scores[idx[end + 1]] === scores[idx[start]]) end++;
    const avgRank = (start + end) / 2 + 1;
    for (let t = start; t <= end; t++) {
      if (labels[idx[t]] === 1) {
        nPos++;
        rankSumPos += avgRank;
      }
    }
    start = end + 1;
  }
  const nNeg = idx.length - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export function qualityMetrics(items: readonly LabelledPrediction[]): QualityMetrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const it of items) {
    if (it.actual === 1) {
      if (it.predicted === 1) tp++;
      else fn++;
    } else if (it.predicted === 1) fp++;
    else tn++;
  }
  const n = items.length;
  const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
  return {
    n,
    positives: tp + fn,
    negatives: tn + fp,
    roc_auc: rocAuc(
      items.map((i) => i.probability),
      items.map((i) => i.actual),
    ),
    accuracy: ratio(tp + tn, n),
    sensitivity: ratio(tp, tp + fn),
    specificity: ratio(tn, tn + fp),
    precision: ratio(tp, tp + fp),
    true_positives: tp,
    false_positives: fp,
    true_negatives: tn,
    false_negatives: fn,
  };
}

/**
 * Standard error of an AUC estimate (Hanley & McNeil, Radiology 1982):
 * Q1 = A/(2-A), Q2 = 2A²/(1+A),
 * SE² = [A(1-A) + (nP-1)(Q1-A²) + (nN-1)(Q2-A²)] / (nP·nN).
 */
export function aucStandardError(auc: number, positives: number, negatives: number): number {
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const v =
    (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) /
    (positives * negatives);
  return Math.sqrt(Math.max(v, 0));
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Complementary error function, fractional error < 1.2e-7 (Numerical Recipes, erfcc). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0];
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(X <= k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  let sum = 0;
  const lnN = logGamma(n + 1);
  for (let i = 0; i <= k; i++) {
    sum += Math.exp(
      lnN - logGamma(i + 1) - logGamma(n - i + 1) + i * Math.log(p) + (n - i) * Math.log(1 - p),
    );
  }
  return Math.min(1, sum);
}

export interface BaselineQuality {
  roc_auc?: number;
  accuracy?: number;
  sensitivity?: number;
  specificity?: number;
}

export interface QualityOptions {
  /** Concept drift needs the live AUC at least this far below the baseline's. */
  aucDrop: number;
  /** ... and sensitivity this far below, for the sensitivity rule. */
  sensitivityDrop: number;
  /** One-sided significance level of both rules. */
  alpha: number;
  /** Fewer labelled predictions than this: no verdict. */
  minLabels: number;
}

export type QualityStatus = 'drift' | 'no-drift' | 'insufficient-labels' | 'no-baseline';

export interface QualityComparison {
  status: QualityStatus;
  reason: string;
  live: QualityMetrics;
  baseline: BaselineQuality;
  auc_drop: number | null;
  /** One-sided p-value of "live AUC is below the baseline AUC" (Hanley–McNeil z-test). */
  auc_p_value: number | null;
  sensitivity_drop: number | null;
  /** One-sided exact binomial p-value of "live sensitivity is below the baseline's". */
  sensitivity_p_value: number | null;
}

/**
 * Concept drift is declared when the live quality is worse than the baseline by a margin
 * that matters (a configured drop) AND by more than chance on this many labels (a one-sided
 * test at alpha). Either rule alone would fail: a fixed margin fires on 20 labels by luck,
 * a bare test fires on a negligible drop once labels are plentiful.
 */
export function compareQuality(
  baseline: BaselineQuality,
  items: readonly LabelledPrediction[],
  options: QualityOptions,
): QualityComparison {
  const live = qualityMetrics(items);
  const base: Omit<QualityComparison, 'status' | 'reason'> = {
    live,
    baseline,
    auc_drop: null,
    auc_p_value: null,
    sensitivity_drop: null,
    sensitivity_p_value: null,
  };
  if (baseline.roc_auc === undefined && baseline.sensitivity === undefined) {
    return {
      ...base,
      status: 'no-baseline',
      reason: 'the model has no validation metrics (evaluation.json) to compare with',
    };
  }
  if (live.n < options.minLabels) {
    return {
      ...base,
      status: 'insufficient-labels',
      reason: `no verdict: ${live.n} labelled prediction(s), at least ${options.minLabels} needed`,
    };
  }
  const findings: string[] = [];
  if (baseline.roc_auc !== undefined && live.roc_auc !== null) {
    base.auc_drop = baseline.roc_auc - live.roc_auc;
    const se = aucStandardError(live.roc_auc, live.positives, live.negatives);
    base.auc_p_value = se > 0 ? 1 - normalCdf(base.auc_drop / se) : base.auc_drop > 0 ? 0 : 1;
    if (base.auc_drop >= options.aucDrop && base.auc_p_value < options.alpha) {
      findings.push(
        `ROC AUC ${fmt(live.roc_auc)} is ${fmt(base.auc_drop)} below the validation ${fmt(baseline.roc_auc)} (p=${fmtP(base.auc_p_value)})`,
      );
    }
  }
  if (baseline.sensitivity !== undefined && live.sensitivity !== null) {
    base.sensitivity_drop = baseline.sensitivity - live.sensitivity;
    base.sensitivity_p_value = binomialCdf(
      live.true_positives,
      live.positives,
      baseline.sensitivity,
    );
    if (
      base.sensitivity_drop >= options.sensitivityDrop &&
      base.sensitivity_p_value < options.alpha
    ) {
      findings.push(
        `sensitivity ${fmt(live.sensitivity)} is ${fmt(base.sensitivity_drop)} below the validation ${fmt(baseline.sensitivity)} (p=${fmtP(base.sensitivity_p_value)})`,
      );
    }
  }
  if (base.auc_drop === null && base.sensitivity_drop === null) {
    return {
      ...base,
      status: 'insufficient-labels',
      reason: 'no verdict: the labelled predictions hold a single class',
    };
  }
  return findings.length
    ? { ...base, status: 'drift', reason: `concept drift: ${findings.join('; ')}` }
    : {
        ...base,
        status: 'no-drift',
        reason: `quality on ${live.n} labelled predictions is consistent with validation`,
      };
}

const fmt = (x: number) => x.toFixed(3);
const fmtP = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
