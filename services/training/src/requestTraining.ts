import { z } from 'zod';
import {
  EventBridgeEnvelopeSchema,
  ourEvent,
  parseOurEvent,
} from '@cancer-mlops/shared/contracts/events.ts';
import type { FeatureGroup } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import {
  TrainingRequestSchema,
  type TrainingRequest,
} from '@cancer-mlops/shared/contracts/messages.ts';
import type { FeatureStore } from '@cancer-mlops/shared/ports/featureStore.ts';
import type { EventPublisher } from '@cancer-mlops/shared/ports/messaging.ts';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import type { TrainingJobs } from '@cancer-mlops/shared/ports/sagemaker.ts';
import type { MetricsSink, StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import { PermanentError, describeError } from '@cancer-mlops/shared/runtime/errors.ts';
import type { Log } from '@cancer-mlops/shared/runtime/logger.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import type { TrainingConfig } from './config.ts';
import { buildDataset } from './datasetBuilder.ts';
import {
  LAST_TRAINING,
  LOCKS_NS,
  MARKS_NS,
  NEW_DATA_CHECKED,
  NEW_DATA_FOLLOW_UP,
  NEW_DATA_KEY,
  getJobRecord,
  putJobRecord,
  releaseLock,
  trainingJobName,
  type LastTraining,
  type NewDataChecked,
  type TrainingJobRecord,
  type TrainingLock,
} from './trainingState.ts';

/**
 * What arrives on `training-requests`: a TrainingRequest message (operator, schedule's fixed
 * input), or an EventBridge envelope delivered by a rule: RetrainingRequested (drift, CLI) or
 * FeaturesWritten (the new-data threshold).
 */
export const TrainingTriggerSchema = z.union([TrainingRequestSchema, EventBridgeEnvelopeSchema]);
export type TrainingTrigger = z.infer<typeof TrainingTriggerSchema>;

export const TRAINING_OUTPUT_PREFIX = 'training-jobs/';

export interface RequestTrainingDeps {
  features: FeatureStore;
  objects: ObjectStore;
  state: StateStore;
  training: TrainingJobs;
  events: EventPublisher;
  names: NameContext;
  group: FeatureGroup;
  config: TrainingConfig;
  now: () => Date;
  log?: Log;
  /** Counts each request by outcome (`TrainingRequests`). */
  metrics?: MetricsSink;
}

export type RequestTrainingOutcome =
  | { outcome: 'started'; jobName: string; datasetId: string }
  | { outcome: 'below-threshold'; newLabelled: number; threshold: number }
  | { outcome: 'already-counted'; checkedAt: string }
  | { outcome: 'already-running'; jobName: string; idempotencyKey: string }
  | { outcome: 'refused'; jobName: string; datasetId: string; reason: string };

interface NormalisedRequest {
  reason: TrainingRequest['reason'];
  idempotencyKey: string;
  requestedAt: Date;
  cutoff: Date;
  detail?: string;
  /** Only a FeaturesWritten event is subject to the new-data threshold. */
  thresholdCheck: boolean;
}

const isTrainingRequest = (t: TrainingTrigger): t is TrainingRequest =>
  (t as { kind?: unknown }).kind === 'training-request';

/** Turns any trigger into one request; an event nobody should have routed here is permanent. */
export function normaliseTrigger(trigger: TrainingTrigger, now: Date): NormalisedRequest {
  if (isTrainingRequest(trigger)) {
    const requested = new Date(trigger.requested_at);
    // The weekly schedule's fixed input carries the epoch: "now" is when it fires.
    const requestedAt = requested.getTime() <= 0 ? now : requested;
    return {
      reason: trigger.reason,
      idempotencyKey: trigger.idempotency_key,
      requestedAt,
      // A snapshot of the future holds nothing more than now's, and as the last-training mark
      // it would keep every new-data trigger below its threshold until then.
      cutoff:
        trigger.cutoff && Date.parse(trigger.cutoff) < now.getTime()
          ? new Date(trigger.cutoff)
          : now,
      ...(trigger.detail ? { detail: trigger.detail } : {}),
      thresholdCheck: false,
    };
  }
  const type = (trigger as { 'detail-type': string })['detail-type'];
  if (type === 'RetrainingRequested') {
    const env = parseOurEvent('RetrainingRequested', trigger);
    return {
      reason: env.detail.reason,
      idempotencyKey: env.detail.idempotency_key,
      requestedAt: new Date(env.time),
      cutoff: now,
      detail: env.detail.detail,
      thresholdCheck: false,
    };
  }
  if (type === 'FeaturesWritten') {
    const env = parseOurEvent('FeaturesWritten', trigger);
    return {
      reason: 'new-data',
      idempotencyKey: NEW_DATA_KEY,
      requestedAt: new Date(env.time),
      cutoff: now,
      detail: `${env.detail.labelled} labelled record(s) written`,
      thresholdCheck: true,
    };
  }
  throw new PermanentError(`training-requests cannot handle a "${type}" event`);
}

/**
 * Builds the point-in-time dataset and starts a training job, at most one at a time per
 * idempotency key: the key is locked (StateStore.putIfAbsent) until registerModel sees the
 * job end. A refused dataset (too small, one class) starts nothing; the refusal is recorded
 * where failed trainings are recorded and announced as TrainingFailed.
 */
export async function requestTraining(
  deps: RequestTrainingDeps,
  trigger: TrainingTrigger,
): Promise<RequestTrainingOutcome> {
  const result = await decideTraining(deps, trigger);
  deps.metrics?.count('TrainingRequests', 1, { outcome: result.outcome });
  return result;
}

async function decideTraining(
  deps: RequestTrainingDeps,
  trigger: TrainingTrigger,
): Promise<RequestTrainingOutcome> {
  const now = deps.now();
  const request = normaliseTrigger(trigger, now);
  if (!request.thresholdCheck) return decide(deps, request, now);
  const checked = await deps.state.get<NewDataChecked>(MARKS_NS, NEW_DATA_CHECKED);
  // An event's time is whole seconds (EventBridge's): sent up to a second after it says.
  if (checked && request.requestedAt.getTime() + 1000 <= Date.parse(checked.checked_at)) {
    deps.log?.debug('new data already counted', { checkedAt: checked.checked_at });
    return { outcome: 'already-counted', checkedAt: checked.checked_at };
  }
  const result = await decide(deps, request, now);
  // Only once decided (a failure is retried, and counts again): writes announced up to `now`
  // were in this count.
  const mark: NewDataChecked = { checked_at: now.toISOString() };
  await deps.state.put(MARKS_NS, NEW_DATA_CHECKED, mark);
  return result;
}

async function decide(
  deps: RequestTrainingDeps,
  request: NormalisedRequest,
  now: Date,
): Promise<RequestTrainingOutcome> {
  const { config } = deps;

  if (request.thresholdCheck) {
    const last = await deps.state.get<LastTraining>(MARKS_NS, LAST_TRAINING);
    const since = last ? new Date(last.cutoff) : new Date(0);
    const newLabelled = await deps.features.countLabelledWrittenSince(since);
    if (newLabelled < config.NEW_DATA_THRESHOLD) {
      deps.log?.debug('below the new-data threshold', {
        newLabelled,
        threshold: config.NEW_DATA_THRESHOLD,
      });
      return { outcome: 'below-threshold', newLabelled, threshold: config.NEW_DATA_THRESHOLD };
    }
  }

  const jobName = trainingJobName(deps.names, now);
  const holder = await acquireLock(deps, request.idempotencyKey, {
    job_name: jobName,
    acquired_at: now.toISOString(),
    reason: request.reason,
  });
  if (holder) {
    // Threshold reached again while a new-data training runs: registerModel follows up.
    if (request.thresholdCheck) {
      await deps.state.put(MARKS_NS, NEW_DATA_FOLLOW_UP, {
        requested_at: now.toISOString(),
        running: holder.job_name,
      });
    }
    deps.log?.info('a training for this key is already running', {
      idempotencyKey: request.idempotencyKey,
      jobName: holder.job_name,
    });
    return {
      outcome: 'already-running',
      jobName: holder.job_name,
      idempotencyKey: request.idempotencyKey,
    };
  }

  const base: TrainingJobRecord = {
    job_name: jobName,
    status: 'InProgress',
    reason: request.reason,
    idempotency_key: request.idempotencyKey,
    dataset_id: null,
    cutoff: request.cutoff.toISOString(),
    requested_at: request.requestedAt.toISOString(),
    started_at: now.toISOString(),
    ...(request.detail ? { detail: request.detail } : {}),
  };

  try {
    const dataset = await buildDataset(
      { features: deps.features, objects: deps.objects, group: deps.group, now: deps.now },
      {
        cutoff: request.cutoff,
        seed: config.SPLIT_SEED,
        validationFraction: config.VALIDATION_FRACTION,
        minRows: config.MIN_DATASET_ROWS,
      },
    );
    if (dataset.refusal) {
      await putJobRecord(deps.state, {
        ...base,
        status: 'Refused',
        dataset_id: dataset.datasetId,
        ended_at: deps.now().toISOString(),
        failure_reason: dataset.refusal,
      });
      await deps.events.publish([
        ourEvent('TrainingFailed', {
          training_job: jobName,
          reason: dataset.refusal,
          dataset_id: dataset.datasetId,
        }),
      ]);
      await releaseLock(deps.state, request.idempotencyKey, jobName);
      deps.log?.warn('training refused', {
        jobName,
        datasetId: dataset.datasetId,
        reason: dataset.refusal,
      });
      return { outcome: 'refused', jobName, datasetId: dataset.datasetId, reason: dataset.refusal };
    }

    await putJobRecord(deps.state, { ...base, dataset_id: dataset.datasetId });
    await deps.training.start({
      jobName,
      datasetId: dataset.datasetId,
      trainPrefix: dataset.trainPrefix,
      validationPrefix: dataset.validationPrefix,
      outputPrefix: TRAINING_OUTPUT_PREFIX,
      // The container records dataset_id in the model file (lineage inside the artifact).
      hyperparameters: { ...config.TRAINING_HYPERPARAMETERS, dataset_id: dataset.datasetId },
      environment: { DATASET_ID: dataset.datasetId, CODE_VERSION: config.CODE_VERSION },
    });
    const mark: LastTraining = {
      cutoff: request.cutoff.toISOString(),
      job_name: jobName,
      dataset_id: dataset.datasetId,
    };
    await deps.state.put(MARKS_NS, LAST_TRAINING, mark);
    deps.log?.info('training job started', {
      jobName,
      datasetId: dataset.datasetId,
      reason: request.reason,
    });
    return { outcome: 'started', jobName, datasetId: dataset.datasetId };
  } catch (e) {
    // Nothing runs for this key now: free it so the retry (or the next request) can start one.
    const current = await getJobRecord(deps.state, jobName);
    await putJobRecord(deps.state, {
      ...(current ?? base),
      status: 'Failed',
      ended_at: deps.now().toISOString(),
      failure_reason: `could not start the training: ${describeError(e)}`,
    });
    await releaseLock(deps.state, request.idempotencyKey, jobName);
    throw e;
  }
}

/**
 * Takes the lock for `key`; returns the holder when another training holds it. A lock whose
 * job has ended (registerModel missed the event) or was never found for a long time is
 * abandoned and taken over.
 */
async function acquireLock(
  deps: RequestTrainingDeps,
  key: string,
  lock: TrainingLock,
): Promise<TrainingLock | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await deps.state.putIfAbsent(LOCKS_NS, key, lock)) return undefined;
    const holder = await deps.state.get<TrainingLock>(LOCKS_NS, key);
    if (!holder) continue;
    if (!(await isAbandoned(deps, holder))) return holder;
    deps.log?.warn('taking over an abandoned training lock', {
      idempotencyKey: key,
      jobName: holder.job_name,
    });
    await releaseLock(deps.state, key, holder.job_name);
  }
  return (await deps.state.get<TrainingLock>(LOCKS_NS, key)) ?? lock;
}

async function isAbandoned(deps: RequestTrainingDeps, holder: TrainingLock): Promise<boolean> {
  const record = await getJobRecord(deps.state, holder.job_name);
  if (record && record.status !== 'InProgress') return true;
  const job = await deps.training.describe(holder.job_name);
  if (job) return job.status === 'Completed' || job.status === 'Failed' || job.status === 'Stopped';
  const age = deps.now().getTime() - Date.parse(holder.acquired_at);
  return age > deps.config.TRAINING_LOCK_STALE_SECONDS * 1000;
}
