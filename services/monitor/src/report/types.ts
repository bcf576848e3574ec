import type { DataDriftVerdict, FeatureDrift } from '@cancer-mlops/shared/domain/drift/verdict.ts';
import type { ColumnCheck } from '@cancer-mlops/shared/domain/drift/dataQuality.ts';
import type {
  QualityComparison,
  QualityStatus,
} from '@cancer-mlops/shared/domain/drift/quality.ts';
import type { FileProblem } from '../capture.ts';

/**
 * report.json of one monitoring run (artifacts/monitoring/<run>/report.json); the HTML report
 * is drawn from it alone. It holds statistics, column names and object keys, never a
 * captured value of a single request.
 */

export interface HistoryEntry {
  run_id: string;
  at: string;
  model_version: string | null;
  samples: number;
  data_status: DataDriftVerdict['status'] | 'skipped';
  drifted: number;
  tested: number;
  quality: {
    status: QualityStatus;
    n: number;
    roc_auc: number | null;
    accuracy: number | null;
    sensitivity: number | null;
  } | null;
}

export interface FeatureHistogram {
  feature: string;
  lo: number;
  hi: number;
  /** Shares per equal-width bin over [lo, hi] (values outside clamped into the edge bins). */
  baseline: number[];
  live: number[];
}

export interface GroundTruthFileReport {
  key: string;
  rows: number;
  labels: number;
  skipped: number;
  reasons: Record<string, number>;
  error?: string;
}

export interface DriftReport {
  schema_version: 1;
  run_id: string;
  generated_at: string;
  trigger: 'schedule' | 'manual';
  model_version: string | null;
  baseline: {
    status: 'loaded' | 'missing';
    reason: string | null;
    keys: string[];
    warnings: string[];
    item_count: number | null;
    comparison_threshold: number | null;
    comparison_method: string | null;
    /** Features by where their baseline sample came from. */
    sources: Record<string, number>;
  };
  window: {
    start: string | null;
    end: string;
    opened_at: string;
    /** Closed: its captures are consumed; open: they are read again with the next run's. */
    closed: boolean;
    reason: string;
  };
  input: {
    files_listed: number;
    files_read: number;
    files_with_problems: FileProblem[];
    records_read: number;
    records_skipped: number;
    skipped_reasons: Record<string, number>;
    rows: number;
  };
  schema: {
    missing_columns: string[];
    extra_columns: { column: string; rows: number }[];
    columns: ColumnCheck[];
  };
  data_drift: (DataDriftVerdict & { features: FeatureDrift[] }) | null;
  histograms: FeatureHistogram[];
  quality: {
    ground_truth_files: GroundTruthFileReport[];
    new_labels: number;
    matched: number;
    unknown_ids: { count: number; examples: string[] };
    /** Null when no new ground truth was matched in this run. */
    comparison: QualityComparison | null;
  };
  history: HistoryEntry[];
  violations: number;
  events: { kind: 'data' | 'concept'; detail_type: 'DriftDetected' }[];
  config: Record<string, number | string | null>;
}
