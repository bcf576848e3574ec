import { Rng } from '@cancer-mlops/shared/domain/forest/prng.ts';
import type { DatasetTable } from './datasetCsv.ts';

/**
 * The monitoring baseline of a model's training data in SageMaker Model Monitor's own formats
 * (statistics.json and constraints.json, as its data-quality baselining job writes them), so
 * the drift monitor, Model Monitor on AWS, and a person reading either, see the same numbers.
 * Pure: no I/O.
 */

export interface KllBucket {
  lower_bound: number;
  upper_bound: number;
  count: number;
}

export interface FeatureStatistics {
  name: string;
  inferred_type: 'Fractional' | 'Integral';
  numerical_statistics: {
    common: { num_present: number; num_missing: number };
    mean: number;
    sum: number;
    std_dev: number;
    min: number;
    max: number;
    distribution: {
      kll: {
        buckets: KllBucket[];
        sketch: { parameters: { c: number; k: number }; data: number[][] };
      };
    };
  };
}

export interface BaselineStatistics {
  version: 0.0;
  dataset: { item_count: number };
  features: FeatureStatistics[];
}

export interface FeatureConstraint {
  name: string;
  inferred_type: 'Fractional' | 'Integral';
  completeness: number;
  num_constraints: { is_non_negative: boolean };
}

export interface BaselineConstraints {
  version: 0.0;
  features: FeatureConstraint[];
  monitoring_config: {
    evaluate_constraints: 'Enabled';
    emit_metrics: 'Enabled';
    datatype_check_threshold: number;
    domain_content_threshold: number;
    distribution_constraints: {
      perform_comparison: 'Enabled';
      comparison_threshold: number;
      comparison_method: 'Robust';
      categorical_comparison_threshold: number;
      categorical_drift_method: 'LInfinity';
    };
  };
}

/** Model Monitor's sketch parameters and its fixed 10 materialised buckets. */
export const KLL_C = 0.64;
export const KLL_K = 2048;
const BUCKETS = 10;

export function baselineStatistics(table: DatasetTable, seed = 42): BaselineStatistics {
  const n = table.labels.length;
  const d = table.features.length;
  const features = table.features.map((name, j): FeatureStatistics => {
    const present: number[] = [];
    for (let r = 0; r < n; r++) {
      const v = table.values[r * d + j];
      if (!Number.isNaN(v)) present.push(v);
    }
    const sum = present.reduce((a, b) => a + b, 0);
    const mean = present.length ? sum / present.length : 0;
    // Population standard deviation, as Model Monitor (Deequ) reports it.
    const variance = present.length
      ? present.reduce((a, v) => a + (v - mean) ** 2, 0) / present.length
      : 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of present) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (!present.length) min = max = 0;
    return {
      name,
      inferred_type: inferType(present),
      numerical_statistics: {
        common: { num_present: present.length, num_missing: n - present.length },
        mean,
        sum,
        std_dev: Math.sqrt(variance),
        min,
        max,
        distribution: {
          kll: {
            buckets: buckets(present, min, max),
            sketch: { parameters: { c: KLL_C, k: KLL_K }, data: kllSketch(present, seed + j) },
          },
        },
      },
    };
  });
  return { version: 0.0, dataset: { item_count: n }, features };
}

export function baselineConstraints(stats: BaselineStatistics): BaselineConstraints {
  const n = stats.dataset.item_count;
  return {
    version: 0.0,
    features: stats.features.map((f) => ({
      name: f.name,
      inferred_type: f.inferred_type,
      completeness: n === 0 ? 1.0 : f.numerical_statistics.common.num_present / n,
      num_constraints: { is_non_negative: f.numerical_statistics.min >= 0 },
    })),
    monitoring_config: {
      evaluate_constraints: 'Enabled',
      emit_metrics: 'Enabled',
      datatype_check_threshold: 1.0,
      domain_content_threshold: 1.0,
      distribution_constraints: {
        perform_comparison: 'Enabled',
        comparison_threshold: 0.1,
        comparison_method: 'Robust',
        categorical_comparison_threshold: 0.1,
        categorical_drift_method: 'LInfinity',
      },
    },
  };
}

function inferType(values: number[]): 'Fractional' | 'Integral' {
  return values.length > 0 && values.every((v) => Number.isInteger(v)) ? 'Integral' : 'Fractional';
}

/** Ten equal-width buckets over [min, max]; the last one includes max. */
function buckets(values: number[], min: number, max: number): KllBucket[] {
  if (!values.length) return [];
  const width = (max - min) / BUCKETS;
  const out: KllBucket[] = Array.from({ length: BUCKETS }, (_, i) => ({
    lower_bound: min + i * width,
    upper_bound: i === BUCKETS - 1 ? max : min + (i + 1) * width,
    count: 0,
  }));
  for (const v of values) {
    const i = width === 0 ? 0 : Math.min(BUCKETS - 1, Math.floor((v - min) / width));
    out[i].count += 1;
  }
  return out;
}

/**
 * A KLL quantile sketch's levels (level 0 first), compacted the way KLL does: a level over
 * its capacity is sorted and every other item, from a random offset, moves up a level. With
 * at most k items (every dataset this system trains on) nothing is compacted and level 0
 * holds every value, which makes the sketch exact.
 */
export function kllSketch(values: readonly number[], seed = 42, k = KLL_K, c = KLL_C): number[][] {
  const rng = new Rng(seed);
  const levels: number[][] = [[]];
  const capacity = (h: number) => Math.max(2, Math.ceil(k * c ** (levels.length - 1 - h)));
  for (const v of values) {
    levels[0].push(v);
    for (let h = 0; h < levels.length; h++) {
      if (levels[h].length < capacity(h)) continue;
      if (h + 1 === levels.length) levels.push([]);
      const sorted = levels[h].sort((a, b) => a - b);
      const offset = rng.nextInt(2);
      for (let i = offset; i < sorted.length; i += 2) levels[h + 1].push(sorted[i]);
      levels[h] = [];
    }
  }
  return levels.map((l) => [...l].sort((a, b) => a - b));
}
