import { ksTwoSample } from './ks.ts';
import { holmAdjust } from './multipleTesting.ts';
import { populationStabilityIndex, type PsiBand } from './psi.ts';
import { sampleOf, weightedMean } from './sample.ts';
import type { Baseline } from './baseline.ts';

/**
 * The data-drift verdict. Per feature: SageMaker's baseline drift distance, the two-sample KS
 * p-value and the PSI. The decision is statistical: a feature drifts when its KS p-value,
 * Holm-adjusted over the tested features, is below alpha, so that on windows with no drift
 * the chance of flagging even one feature stays at or below alpha whatever the window size
 * and however correlated the features are. SageMaker's fixed 0.1 distance does not shrink
 * with the window and flags most features of a 20-100 row window drawn from the training
 * set; it is reported, and kept only as a floor on the effect size: with thousands of rows
 * the test alone would call a shift of no practical consequence significant, and a feature
 * must also exceed its comparison_threshold to count as drifted. On small windows the test
 * is always the stricter of the two.
 */

export interface DriftOptions {
  /** Family-wise significance level. */
  alpha: number;
  /** Dataset drift needs at least this share of the tested features to drift. */
  featureShare: number;
  /** Fewer live rows than this: no verdict. */
  minSamples: number;
  /** Quantile bins of the PSI. */
  psiBins: number;
}

export const DEFAULT_DRIFT_OPTIONS: DriftOptions = {
  alpha: 0.05,
  featureShare: 0.1,
  minSamples: 50,
  psiBins: 10,
};

export interface FeatureDrift {
  feature: string;
  /** Live values present (non-missing, numeric). */
  n: number;
  baseline_n: number;
  baseline_source: string;
  baseline_mean: number;
  live_mean: number | null;
  /** SageMaker's baseline drift distance: max |CDF_baseline - CDF_live|. */
  distance: number | null;
  distance_threshold: number;
  /** What SageMaker's rule alone would say; not used for the verdict. */
  distance_exceeds_threshold: boolean;
  ks_statistic: number | null;
  ks_p_value: number | null;
  ks_method: 'exact' | 'asymptotic' | null;
  /** Holm-adjusted p-value over the tested features. */
  adjusted_p_value: number | null;
  /** adjusted_p_value < alpha. */
  significant: boolean;
  psi: number | null;
  psi_band: PsiBand | null;
  drifted: boolean;
}

export type DataDriftStatus = 'drift' | 'no-drift' | 'insufficient-samples' | 'no-baseline';

export interface DataDriftVerdict {
  status: DataDriftStatus;
  /** One sentence for a human: why drift, why not, or why no verdict. */
  reason: string;
  samples: number;
  min_samples: number;
  tested_features: number;
  drifted_features: string[];
  drifted_share: number;
  /** Drifted features needed for dataset drift: ceil(featureShare · tested), at least 1. */
  required_drifted: number;
  alpha: number;
  correction: 'holm';
}

export interface DataDriftAssessment {
  features: FeatureDrift[];
  verdict: DataDriftVerdict;
}

/**
 * Compares live values (per feature, already stripped of missing and mistyped values) with
 * the baseline. `samples` is the number of live rows; a window below minSamples gets every
 * statistic computed and reported, but no verdict.
 */
export function assessDataDrift(
  baseline: Baseline,
  live: ReadonlyMap<string, readonly number[]>,
  samples: number,
  options: DriftOptions = DEFAULT_DRIFT_OPTIONS,
): DataDriftAssessment {
  const rows: FeatureDrift[] = baseline.features.map((fb) => {
    const liveSample = sampleOf(live.get(fb.name) ?? []);
    const base: FeatureDrift = {
      feature: fb.name,
      n: liveSample.total,
      baseline_n: fb.sample.total,
      baseline_source: fb.source,
      baseline_mean: fb.mean,
      live_mean: null,
      distance: null,
      distance_threshold: fb.comparisonThreshold,
      distance_exceeds_threshold: false,
      ks_statistic: null,
      ks_p_value: null,
      ks_method: null,
      adjusted_p_value: null,
      significant: false,
      psi: null,
      psi_band: null,
      drifted: false,
    };
    if (liveSample.total === 0) return base;
    const ks = ksTwoSample(fb.sample, liveSample);
    const psi = populationStabilityIndex(fb.sample, liveSample, options.psiBins);
    return {
      ...base,
      live_mean: weightedMean(liveSample),
      distance: ks.statistic,
      distance_exceeds_threshold: ks.statistic > fb.comparisonThreshold,
      ks_statistic: ks.statistic,
      ks_p_value: ks.pValue,
      ks_method: ks.method,
      psi: psi.value,
      psi_band: psi.band,
    };
  });

  const adjusted = holmAdjust(rows.map((r) => r.ks_p_value ?? Number.NaN));
  rows.forEach((r, i) => {
    r.adjusted_p_value = Number.isFinite(adjusted[i]) ? adjusted[i] : null;
    r.significant = r.adjusted_p_value !== null && r.adjusted_p_value < options.alpha;
    r.drifted = r.significant && r.distance_exceeds_threshold;
  });

  const tested = rows.filter((r) => r.ks_p_value !== null).length;
  const required = Math.max(1, Math.ceil(options.featureShare * tested - 1e-9));
  const common = {
    samples,
    min_samples: options.minSamples,
    tested_features: tested,
    alpha: options.alpha,
    correction: 'holm' as const,
    required_drifted: required,
  };

  if (baseline.features.length === 0) {
    return {
      features: rows,
      verdict: {
        ...common,
        status: 'no-baseline',
        reason: 'the baseline has no usable feature',
        drifted_features: [],
        drifted_share: 0,
      },
    };
  }
  if (samples < options.minSamples || tested === 0) {
    return {
      features: rows,
      verdict: {
        ...common,
        status: 'insufficient-samples',
        reason: `no verdict: ${samples} captured row(s) in the window, at least ${options.minSamples} needed`,
        drifted_features: [],
        drifted_share: 0,
      },
    };
  }
  const drifted = rows.filter((r) => r.drifted).map((r) => r.feature);
  const share = drifted.length / tested;
  const significant = rows.filter((r) => r.significant).length;
  const status: DataDriftStatus = drifted.length >= required ? 'drift' : 'no-drift';
  const listed = drifted.slice(0, 8).join(', ') + (drifted.length > 8 ? ', …' : '');
  const reason =
    status === 'drift'
      ? `dataset drift: ${drifted.length} of ${tested} features differ from the baseline (KS, Holm-adjusted p < ${options.alpha}; ${required} needed): ${listed}`
      : drifted.length > 0
        ? `no dataset drift: ${drifted.length} of ${tested} features differ (${listed}), ${required} needed`
        : significant > 0
          ? `no dataset drift: ${significant} feature(s) differ significantly on ${samples} rows, but by less than the comparison threshold`
          : `no dataset drift: no feature differs from the baseline at family-wise alpha ${options.alpha} on ${samples} rows`;
  return {
    features: rows,
    verdict: { ...common, status, reason, drifted_features: drifted, drifted_share: share },
  };
}
