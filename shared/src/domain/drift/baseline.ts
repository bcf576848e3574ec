import { buildKllSketch, KLL_DEFAULTS, sketchSample } from './kll.ts';
import { parseNumericCsv } from './csv.ts';
import { sampleOf, weightedMean, weightedStd, type Sample } from './sample.ts';
import {
  ConstraintsSchema,
  DEFAULT_COMPARISON_THRESHOLD,
  StatisticsSchema,
  type Constraints,
  type FeatureStatistics,
  type Statistics,
} from './sagemaker.ts';
import { mulberry32 } from '../random.ts';

/**
 * The training baseline: what the monitor compares live traffic with. Written once at model
 * registration (statistics.json + constraints.json in SageMaker Model Monitor's format, plus
 * baseline-sample.csv) next to the model in `artifacts/models/<version>/`.
 */

export interface BaselineOptions {
  /** Rows kept in baseline-sample.csv (a seeded sample without replacement when there are more). */
  sampleSize?: number;
  seed?: number;
  /** monitoring_config.distribution_constraints.comparison_threshold; SageMaker's 0.1 by default. */
  comparisonThreshold?: number;
  kll?: { k: number; c: number };
}

export interface BaselineFiles {
  statistics: Statistics;
  constraints: Constraints;
  /** Header of feature names, then up to sampleSize rows; features only, no ids or labels. */
  sampleCsv: string;
}

export type BaselineRow = Readonly<Record<string, unknown>> | readonly unknown[];

/** A value as the baseline sees it: finite numbers (numeric strings from a CSV included). */
function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function cell(row: BaselineRow, featureNames: readonly string[], f: number): unknown {
  return Array.isArray(row) ? row[f] : (row as Record<string, unknown>)[featureNames[f]];
}

/**
 * Statistics of one numeric column in SageMaker's layout: 10 equal-width buckets between
 * min and max and a KLL sketch (every value when there are at most k).
 */
export function numericFeatureStatistics(
  name: string,
  values: readonly number[],
  missing: number,
  kll: { k: number; c: number } = KLL_DEFAULTS,
): FeatureStatistics {
  const s = sampleOf(values);
  const present = s.values.length;
  const min = present ? s.values[0] : 0;
  const max = present ? s.values[present - 1] : 0;
  let sum = 0;
  for (const v of s.values) sum += v;
  const bucketCount = 10;
  const width = (max - min) / bucketCount;
  const buckets = Array.from({ length: present ? bucketCount : 0 }, (_, i) => ({
    lower_bound: min + i * width,
    upper_bound: i === bucketCount - 1 ? max : min + (i + 1) * width,
    count: 0,
  }));
  for (const v of s.values) {
    const b = width > 0 ? Math.min(bucketCount - 1, Math.floor((v - min) / width)) : 0;
    buckets[b].count++;
  }
  const integral = present > 0 && s.values.every((v) => Number.isInteger(v));
  return {
    name,
    inferred_type: integral ? 'Integral' : 'Fractional',
    numerical_statistics: {
      common: { num_present: present, num_missing: missing },
      mean: present ? weightedMean(s) : 0,
      sum,
      std_dev: present ? weightedStd(s) : 0,
      min,
      max,
      distribution: { kll: { buckets, sketch: buildKllSketch(values, kll.k, kll.c) } },
    },
  };
}

/** statistics.json for a table of rows (objects keyed by feature name, or arrays in featureNames order). */
export function buildStatistics(
  rows: readonly BaselineRow[],
  featureNames: readonly string[],
  kll: { k: number; c: number } = KLL_DEFAULTS,
): Statistics {
  const features = featureNames.map((name, f) => {
    const values: number[] = [];
    let missing = 0;
    for (const row of rows) {
      const v = numeric(cell(row, featureNames, f));
      if (v === undefined) missing++;
      else values.push(v);
    }
    return numericFeatureStatistics(name, values, missing, kll);
  });
  return { version: 0, dataset: { item_count: rows.length }, features };
}

/** constraints.json that goes with a statistics.json. */
export function buildConstraints(
  statistics: Statistics,
  comparisonThreshold = DEFAULT_COMPARISON_THRESHOLD,
): Constraints {
  return {
    version: 0,
    features: statistics.features.map((f) => {
      const common = f.numerical_statistics?.common;
      const total = common ? common.num_present + common.num_missing : 0;
      return {
        name: f.name,
        inferred_type: f.inferred_type,
        completeness: total > 0 ? (common?.num_present ?? 0) / total : 1,
        num_constraints: { is_non_negative: (f.numerical_statistics?.min ?? 0) >= 0 },
      };
    }),
    monitoring_config: {
      evaluate_constraints: 'Enabled',
      emit_metrics: 'Enabled',
      datatype_check_threshold: 1.0,
      domain_content_threshold: 1.0,
      distribution_constraints: {
        perform_comparison: 'Enabled',
        comparison_threshold: comparisonThreshold,
        comparison_method: 'Robust',
      },
    },
  };
}

function csvField(v: number | undefined): string {
  return v === undefined ? '' : String(v);
}

function csvHeader(name: string): string {
  return /[",\n]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}

/**
 * Everything the monitor needs from a training set, for the training service to write at
 * registration: statistics.json, constraints.json and baseline-sample.csv. The sample keeps
 * joint rows (the KS test needs samples, not histograms; joint rows leave room for
 * multivariate tests later) and holds feature values only.
 */
export function buildBaseline(
  rows: readonly BaselineRow[],
  featureNames: readonly string[],
  options: BaselineOptions = {},
): BaselineFiles {
  const sampleSize = options.sampleSize ?? 2000;
  const statistics = buildStatistics(rows, featureNames, options.kll ?? KLL_DEFAULTS);
  const constraints = buildConstraints(
    statistics,
    options.comparisonThreshold ?? DEFAULT_COMPARISON_THRESHOLD,
  );

  let picked = rows.map((_, i) => i);
  if (rows.length > sampleSize) {
    const rand = mulberry32(options.seed ?? 1);
    for (let i = 0; i < sampleSize; i++) {
      const j = i + Math.floor(rand() * (picked.length - i));
      [picked[i], picked[j]] = [picked[j], picked[i]];
    }
    picked = picked.slice(0, sampleSize).sort((a, b) => a - b);
  }
  const lines = [featureNames.map(csvHeader).join(',')];
  for (const i of picked) {
    lines.push(
      featureNames.map((_, f) => csvField(numeric(cell(rows[i], featureNames, f)))).join(','),
    );
  }
  return { statistics, constraints, sampleCsv: `${lines.join('\n')}\n` };
}

// ---------------------------------------------------------------------------------------------
// Reading a baseline back
// ---------------------------------------------------------------------------------------------

/** Where a feature's baseline sample came from, best first. */
export type BaselineSource = 'sample-csv' | 'kll-sketch' | 'kll-buckets';

export interface FeatureBaseline {
  name: string;
  inferredType: string;
  sample: Sample;
  source: BaselineSource;
  /** Share of non-missing values expected (constraints completeness). */
  completeness: number;
  /** SageMaker's per-feature distance threshold (override or the global one). */
  comparisonThreshold: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface Baseline {
  features: FeatureBaseline[];
  itemCount: number | null;
  comparisonThreshold: number;
  comparisonMethod: string;
  /** Minimum share of values of the expected type (SageMaker's datatype_check_threshold). */
  datatypeCheckThreshold: number;
  /** Features the constraints name but the statistics have no distribution for. */
  unusable: string[];
}

/** A histogram stands in for samples by spreading each bucket's count evenly over its range. */
function bucketSample(
  buckets: readonly { lower_bound: number; upper_bound: number; count: number }[],
): Sample {
  const values: number[] = [];
  const weights: number[] = [];
  for (const b of buckets) {
    if (!(b.count > 0)) continue;
    const points = Math.min(200, Math.max(1, Math.round(b.count)));
    for (let i = 0; i < points; i++) {
      values.push(b.lower_bound + ((i + 0.5) / points) * (b.upper_bound - b.lower_bound));
      weights.push(b.count / points);
    }
  }
  return sampleOf(values, weights);
}

/**
 * Reads a baseline: constraints name the features and thresholds; each feature's sample is
 * taken from baseline-sample.csv when it has the column, else from the KLL sketch in
 * statistics.json, else (a baseline from elsewhere without a sketch) from its buckets.
 * Throws a zod error naming the field when a file is not in SageMaker's format.
 */
export function readBaseline(
  statisticsJson: unknown,
  constraintsJson: unknown | undefined,
  sampleCsv?: string,
): Baseline {
  const statistics = StatisticsSchema.parse(statisticsJson);
  const constraints =
    constraintsJson === undefined ? undefined : ConstraintsSchema.parse(constraintsJson);
  const dist = constraints?.monitoring_config?.distribution_constraints;
  const comparisonThreshold = dist?.comparison_threshold ?? DEFAULT_COMPARISON_THRESHOLD;
  const comparisonMethod = dist?.comparison_method ?? dist?.comparion_method ?? 'Robust';
  const table = sampleCsv ? parseNumericCsv(sampleCsv) : undefined;
  const statsByName = new Map(statistics.features.map((f) => [f.name, f]));
  const names = constraints
    ? constraints.features.map((f) => f.name)
    : statistics.features.map((f) => f.name);
  const constraintByName = new Map((constraints?.features ?? []).map((f) => [f.name, f]));

  const features: FeatureBaseline[] = [];
  const unusable: string[] = [];
  for (const name of names) {
    const stats = statsByName.get(name);
    const num = stats?.numerical_statistics;
    const column = table?.columns.get(name);
    let sample: Sample | undefined;
    let source: BaselineSource = 'sample-csv';
    if (column && column.some((v) => Number.isFinite(v))) sample = sampleOf(column);
    else if (
      num?.distribution?.kll?.sketch &&
      num.distribution.kll.sketch.data.some((l) => l.length > 0)
    ) {
      sample = sketchSample(num.distribution.kll.sketch);
      source = 'kll-sketch';
    } else if (num?.distribution?.kll?.buckets.length) {
      sample = bucketSample(num.distribution.kll.buckets);
      source = 'kll-buckets';
    }
    if (!sample || sample.total === 0) {
      unusable.push(name);
      continue;
    }
    const c = constraintByName.get(name);
    features.push({
      name,
      inferredType: c?.inferred_type ?? stats?.inferred_type ?? 'Fractional',
      sample,
      source,
      completeness: c?.completeness ?? 1,
      comparisonThreshold:
        c?.monitoringConfigOverrides?.comparison_threshold ?? comparisonThreshold,
      mean: num?.mean ?? weightedMean(sample),
      std: num?.std_dev ?? weightedStd(sample),
      min: num?.min ?? sample.values[0],
      max: num?.max ?? sample.values[sample.values.length - 1],
    });
  }
  return {
    features,
    itemCount: statistics.dataset?.item_count ?? null,
    comparisonThreshold,
    comparisonMethod,
    datatypeCheckThreshold: constraints?.monitoring_config?.datatype_check_threshold ?? 1,
    unusable,
  };
}
