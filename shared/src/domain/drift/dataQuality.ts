import type { Baseline } from './baseline.ts';
import type { ConstraintViolation } from './sagemaker.ts';
import type { FeatureDrift } from './verdict.ts';

/**
 * SageMaker's data-quality checks on a window of captured rows: missing and extra columns,
 * completeness and data types, each against the baseline's constraints. Only column NAMES
 * ever leave this module, never values of a column the baseline does not know (an extra
 * column could carry anything a client sent).
 */

export interface ColumnCheck {
  feature: string;
  expected_type: string;
  /** Rows with a value of the expected type. */
  present: number;
  /** Rows where the value is absent or null. */
  missing: number;
  /** Rows with a value of another type (a string, or a fraction for an Integral feature). */
  type_mismatch: number;
  /** Non-missing share, null on an empty window. */
  completeness: number | null;
  expected_completeness: number;
  /** Share of non-missing values of the expected type. */
  type_match: number | null;
}

export interface SchemaCheck {
  rows: number;
  columns: ColumnCheck[];
  /** Baseline features absent from every row. */
  missing_columns: string[];
  /** Columns not in the baseline, with the number of rows carrying them. */
  extra_columns: { column: string; rows: number }[];
  /** Per feature, the values usable for the distribution tests. */
  values: Map<string, number[]>;
}

const MAX_EXTRA_COLUMNS = 50;
const MAX_COLUMN_NAME = 64;

export function checkColumns(
  rows: readonly Readonly<Record<string, unknown>>[],
  baseline: Pick<Baseline, 'features'>,
): SchemaCheck {
  const known = new Set(baseline.features.map((f) => f.name));
  const extra = new Map<string, number>();
  const values = new Map<string, number[]>(baseline.features.map((f) => [f.name, []]));
  const seen = new Map<string, number>();
  const columns: ColumnCheck[] = baseline.features.map((f) => ({
    feature: f.name,
    expected_type: f.inferredType,
    present: 0,
    missing: 0,
    type_mismatch: 0,
    completeness: null,
    expected_completeness: f.completeness,
    type_match: null,
  }));
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (known.has(key)) seen.set(key, (seen.get(key) ?? 0) + 1);
      else extra.set(key, (extra.get(key) ?? 0) + 1);
    }
    columns.forEach((c) => {
      const v = row[c.feature];
      if (v === undefined || v === null) c.missing++;
      else if (
        typeof v === 'number' &&
        Number.isFinite(v) &&
        (c.expected_type !== 'Integral' || Number.isInteger(v))
      ) {
        c.present++;
        values.get(c.feature)?.push(v);
      } else c.type_mismatch++;
    });
  }
  for (const c of columns) {
    const nonMissing = c.present + c.type_mismatch;
    c.completeness = rows.length ? nonMissing / rows.length : null;
    c.type_match = nonMissing ? c.present / nonMissing : null;
  }
  return {
    rows: rows.length,
    columns,
    missing_columns: rows.length
      ? columns.filter((c) => !seen.has(c.feature)).map((c) => c.feature)
      : [],
    extra_columns: [...extra.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, MAX_EXTRA_COLUMNS)
      .map(([column, n]) => ({ column: column.slice(0, MAX_COLUMN_NAME), rows: n })),
    values,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number) => (Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(4));

/** constraint_violations.json entries for the schema checks and the drifted features. */
export function dataQualityViolations(
  check: SchemaCheck,
  baseline: Pick<Baseline, 'datatypeCheckThreshold'>,
  drift: readonly FeatureDrift[] = [],
  alpha = 0.05,
): ConstraintViolation[] {
  const out: ConstraintViolation[] = [];
  if (check.rows === 0) return out;
  const missing = new Set(check.missing_columns);
  for (const f of check.missing_columns) {
    out.push({
      feature_name: f,
      constraint_check_type: 'missing_column_check',
      description: `There are missing columns in current dataset: ${f} is in the baseline constraints but in none of the ${check.rows} captured rows.`,
    });
  }
  for (const e of check.extra_columns) {
    out.push({
      feature_name: e.column,
      constraint_check_type: 'extra_column_check',
      description: `There are extra columns in current dataset: ${e.column} is in ${e.rows} captured row(s) but not in the baseline constraints.`,
    });
  }
  for (const c of check.columns) {
    if (missing.has(c.feature)) continue;
    if (c.completeness !== null && c.completeness < c.expected_completeness - 1e-9) {
      out.push({
        feature_name: c.feature,
        constraint_check_type: 'completeness_check',
        description: `Data completeness requirement is not met. Expected completeness: ${pct(c.expected_completeness)}, observed: ${pct(c.completeness)} (${c.missing} of ${check.rows} rows missing).`,
      });
    }
    if (c.type_match !== null && c.type_match < baseline.datatypeCheckThreshold - 1e-9) {
      out.push({
        feature_name: c.feature,
        constraint_check_type: 'data_type_check',
        description: `Data type match requirement is not met. Expected data type: ${c.expected_type}, expected match: ${pct(baseline.datatypeCheckThreshold)}. Observed: only ${pct(c.type_match)} of the values are ${c.expected_type} (${c.type_mismatch} not).`,
      });
    }
  }
  for (const d of drift) {
    if (!d.drifted || d.distance === null) continue;
    out.push({
      feature_name: d.feature,
      constraint_check_type: 'baseline_drift_check',
      description:
        `Baseline drift distance: ${num(d.distance)} exceeds threshold: ${d.distance_threshold}` +
        ` and is significant: KS p=${num(d.ks_p_value ?? 1)}, Holm-adjusted p=${num(d.adjusted_p_value ?? 1)} < ${alpha} on ${d.n} rows.`,
    });
  }
  return out;
}
