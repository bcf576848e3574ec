import { createHash } from 'node:crypto';
import { jobPrefix } from '@cancer-mlops/shared/topology/common.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';

/**
 * Where one batch file's pieces live. Buckets are logical: `batch-in` (the hospital's drop),
 * `artifacts` (the transform's prepared input, its raw output and the job manifest) and
 * `batch-out` (what the hospital reads back: predictions, errors, summary).
 */
export const BATCH_IN = 'batch-in';
export const BATCH_OUT = 'batch-out';
export const ARTIFACTS = 'artifacts';

export interface BatchKeys {
  /** The file's name without its extension: `nightly/2026-01-01.csv` -> `nightly/2026-01-01`. */
  name: string;
  jobName: string;
  /** In `artifacts`. */
  jobPrefix: string;
  inputKey: string;
  transformOutputPrefix: string;
  manifestKey: string;
  /** In `batch-out`. */
  outputKey: string;
  errorsKey: string;
  summaryKey: string;
}

const EXTENSION = /\.(csv|tsv|txt|jsonl|ndjson|json|data)$/i;

/**
 * The job name is derived from the object (key and version), never from the clock, so a
 * redelivered notification finds the job it already started instead of starting another;
 * the same file dropped again (a new ETag) is a new job.
 */
export function batchKeys(names: NameContext, key: string, version: string): BatchKeys {
  const name = key.replace(EXTENSION, '');
  const hash = createHash('sha256').update(`${key}\u0000${version}`).digest('hex').slice(0, 16);
  const jobName = `${jobPrefix(names)}batch-${hash}`;
  const prefix = `batch/${jobName}/`;
  return {
    name,
    jobName,
    jobPrefix: prefix,
    inputKey: `${prefix}input.csv`,
    transformOutputPrefix: `${prefix}output/`,
    manifestKey: `${prefix}manifest.json`,
    outputKey: `${name}.out`,
    errorsKey: `${name}.errors.jsonl`,
    summaryKey: `${name}.summary.json`,
  };
}

/** The manifest key of a job, from its name alone (what the completion event carries). */
export const manifestKeyOf = (jobName: string) => `batch/${jobName}/manifest.json`;

/** What onBatchObject leaves for onTransformDone, next to the prepared input. */
export interface BatchManifest {
  job_name: string;
  input: { bucket: string; key: string };
  name: string;
  format: 'csv' | 'jsonl';
  rows: number;
  /** Rows handed to the model. */
  valid: number;
  errors: number;
  notes_scored: number;
  ignored_columns: string[];
  model_version: number;
  model_package_arn: string;
  /** Artifacts keys. */
  transform_input_key: string;
  transform_output_key: string;
  /** Batch-out keys. */
  output_key: string;
  errors_key: string | null;
  summary_key: string;
  received_at: string;
  prepared_at: string;
  prepare_ms: number;
}

export type BatchStatus = 'Completed' | 'Failed' | 'Stopped';

/** `<name>.summary.json`: what happened to a file, for people and for the mesh test. */
export interface BatchSummary {
  job_name: string | null;
  status: BatchStatus;
  failure_reason?: string;
  input: { bucket: string; key: string };
  output_key: string | null;
  errors_key: string | null;
  rows: number;
  predicted: number;
  errors: number;
  notes_scored: number;
  ignored_columns: string[];
  model_version: number | null;
  model_package_arn: string | null;
  timings: {
    received_at: string;
    prepared_at?: string;
    completed_at: string;
    prepare_ms?: number;
    /** From the transform job's state-change event, whose times are whole seconds. */
    transform_s?: number;
    finalize_ms?: number;
    total_ms: number;
  };
}

/** The transform output header of `<name>.out`. */
export const OUTPUT_HEADER = 'record_id,probability_malignant,prediction,model_version\n';
