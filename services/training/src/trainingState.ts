import { randomBytes } from 'node:crypto';
import type { StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import type { TrainingRequest } from '@cancer-mlops/shared/contracts/messages.ts';
import { resourceName, type NameContext } from '@cancer-mlops/shared/topology/names.ts';

/**
 * Where a person looks to see what happened to a training: one record per training job
 * (including trainings refused before a job started), with its reason, dataset, outcome and,
 * when it failed, why. `mlops status` reads these; registerModel completes them.
 */
export const JOBS_NS = 'training-jobs';
/** One lock per idempotency key while a training for it runs. */
export const LOCKS_NS = 'training-locks';
/** The last training's cutoff: the new-data threshold counts labelled records written since. */
export const MARKS_NS = 'training-marks';
export const LAST_TRAINING = 'last-training';
/**
 * Set when the new-data threshold was reached again while a new-data training ran (the
 * request could not start a second one): when that training ends, registerModel asks for
 * the follow-up, so records that arrived during a training are not left waiting for the
 * next batch.
 */
export const NEW_DATA_FOLLOW_UP = 'new-data-follow-up';
export const NEW_DATA_KEY = 'new-data';
/**
 * When the new-data threshold was last counted, once that request was decided: a
 * FeaturesWritten event from before it reports writes that count already saw, so it is not
 * counted again (a large file sends thousands of them; each count is a query over the offline
 * store, an Athena query on AWS).
 */
export const NEW_DATA_CHECKED = 'new-data-checked';
export interface NewDataChecked {
  checked_at: string;
}

export type TrainingJobState = 'InProgress' | 'Completed' | 'Failed' | 'Stopped' | 'Refused';

export interface TrainingJobRecord {
  job_name: string;
  status: TrainingJobState;
  reason: TrainingRequest['reason'];
  idempotency_key: string;
  dataset_id: string | null;
  cutoff: string;
  requested_at: string;
  started_at: string;
  ended_at?: string;
  /** Failed, Stopped or Refused: why, in words a person can act on. */
  failure_reason?: string;
  model_package_arn?: string;
  model_version?: number;
  detail?: string;
}

export interface TrainingLock {
  job_name: string;
  acquired_at: string;
  reason: string;
}

export interface LastTraining {
  cutoff: string;
  job_name: string;
  dataset_id: string;
}

/** `<prefix>-<stage>-train-<yyyymmddhhmmss>-<4 hex>`: at most 58 characters, under SageMaker's 63. */
export function trainingJobName(
  names: NameContext,
  now: Date,
  random = randomBytes(2).toString('hex'),
): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return resourceName(names, `train-${stamp}-${random}`);
}

export async function putJobRecord(state: StateStore, record: TrainingJobRecord): Promise<void> {
  await state.put(JOBS_NS, record.job_name, record);
}

export async function getJobRecord(
  state: StateStore,
  jobName: string,
): Promise<TrainingJobRecord | undefined> {
  return state.get<TrainingJobRecord>(JOBS_NS, jobName);
}

/** Releases the lock for `key` only if `jobName` holds it, so a late event cannot free a newer lock. */
export async function releaseLock(state: StateStore, key: string, jobName: string): Promise<void> {
  const lock = await state.get<TrainingLock>(LOCKS_NS, key);
  if (lock && lock.job_name === jobName) await state.delete(LOCKS_NS, key);
}

/** Every training record, newest first. */
export async function listJobRecords(state: StateStore): Promise<TrainingJobRecord[]> {
  const all = await state.list<TrainingJobRecord>(JOBS_NS);
  return all
    .map((e) => e.value)
    .sort((a, b) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : 0));
}
