import { z } from 'zod';

/**
 * SageMaker Model Monitor's file formats (statistics.json, constraints.json,
 * constraint_violations.json), as documented in the developer guide's "Schema for
 * Statistics / Constraints / Violations" pages. Parsing is lenient (unknown fields pass
 * through, NaN written as null is accepted) so files produced by SageMaker's own baseline
 * job are read as well as ours.
 */

const maybeNumber = z.number().nullable().optional();

export const KllBucketSchema = z.looseObject({
  lower_bound: z.number(),
  upper_bound: z.number(),
  count: z.number(),
});

export const KllDistributionSchema = z.looseObject({
  buckets: z.array(KllBucketSchema).default([]),
  sketch: z
    .looseObject({
      parameters: z.looseObject({ c: z.number(), k: z.number() }),
      data: z.array(z.array(z.number())),
    })
    .optional(),
});

export const NumericalStatisticsSchema = z.looseObject({
  common: z.looseObject({ num_present: z.number(), num_missing: z.number() }),
  mean: maybeNumber,
  sum: maybeNumber,
  std_dev: maybeNumber,
  min: maybeNumber,
  max: maybeNumber,
  distribution: z.looseObject({ kll: KllDistributionSchema.optional() }).optional(),
});

export const FeatureStatisticsSchema = z.looseObject({
  name: z.string(),
  inferred_type: z.string(),
  numerical_statistics: NumericalStatisticsSchema.optional(),
  string_statistics: z.unknown().optional(),
});

export const StatisticsSchema = z.looseObject({
  version: z.number().default(0),
  dataset: z.looseObject({ item_count: z.number() }).optional(),
  features: z.array(FeatureStatisticsSchema),
});
export type Statistics = z.infer<typeof StatisticsSchema>;
export type FeatureStatistics = z.infer<typeof FeatureStatisticsSchema>;

export const DistributionConstraintsSchema = z.looseObject({
  perform_comparison: z.string().optional(),
  comparison_threshold: z.number().optional(),
  comparison_method: z.string().optional(),
  /** The developer guide's own example spells it this way. */
  comparion_method: z.string().optional(),
});

export const MonitoringConfigSchema = z.looseObject({
  evaluate_constraints: z.string().optional(),
  emit_metrics: z.string().optional(),
  datatype_check_threshold: z.number().optional(),
  domain_content_threshold: z.number().optional(),
  distribution_constraints: DistributionConstraintsSchema.optional(),
});

export const FeatureConstraintSchema = z.looseObject({
  name: z.string(),
  inferred_type: z.string(),
  completeness: z.number().optional(),
  num_constraints: z.looseObject({ is_non_negative: z.boolean().optional() }).optional(),
  monitoringConfigOverrides: z
    .looseObject({ comparison_threshold: z.number().optional() })
    .optional(),
});

export const ConstraintsSchema = z.looseObject({
  version: z.number().default(0),
  features: z.array(FeatureConstraintSchema),
  monitoring_config: MonitoringConfigSchema.optional(),
});
export type Constraints = z.infer<typeof ConstraintsSchema>;

/** The checks SageMaker's prebuilt container writes, plus the model-quality comparison. */
export type ConstraintCheckType =
  | 'data_type_check'
  | 'completeness_check'
  | 'baseline_drift_check'
  | 'missing_column_check'
  | 'extra_column_check'
  | 'categorical_values_check'
  | 'LessThanThreshold';

export interface ConstraintViolation {
  /** Data-quality violations name a feature ... */
  feature_name?: string;
  /** ... model-quality violations name a metric. */
  metric_name?: string;
  constraint_check_type: ConstraintCheckType;
  description: string;
}

export interface ConstraintViolations {
  violations: ConstraintViolation[];
}

export const DEFAULT_COMPARISON_THRESHOLD = 0.1;
