import { z } from 'zod';
import {
  eventSource,
  ourEvent,
  type EventBridgeEnvelope,
} from '@cancer-mlops/shared/contracts/events.ts';
import type { FeatureGroup } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { evaluateBinary } from '@cancer-mlops/shared/domain/metrics/index.ts';
import type { EventPublisher } from '@cancer-mlops/shared/ports/messaging.ts';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import type { ModelRegistry } from '@cancer-mlops/shared/ports/sagemaker.ts';
import type { MetricsSink, StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import { PermanentError, describeError } from '@cancer-mlops/shared/runtime/errors.ts';
import type { Log } from '@cancer-mlops/shared/runtime/logger.ts';
import { modelPackageGroup } from '@cancer-mlops/shared/topology/common.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { buildBaseline } from '@cancer-mlops/shared/domain/drift/baseline.ts';
import type { TrainingConfig } from './config.ts';
import { ARTIFACTS, readManifest, trainKey, validationKey } from './datasetBuilder.ts';
import { readDatasetCsv, type DatasetTable } from './datasetCsv.ts';
import { readModelArtifacts, s3Uri } from './modelArtifacts.ts';
import { modelQualityReport, packageMetrics } from './modelQuality.ts';
import { scoreTable, type ModelLoader } from './modelScoring.ts';
import {
  MARKS_NS,
  NEW_DATA_FOLLOW_UP,
  NEW_DATA_KEY,
  getJobRecord,
  putJobRecord,
  releaseLock,
  type TrainingJobRecord,
} from './trainingState.ts';

/** The part of the `SageMaker Training Job State Change` detail we use (it mirrors DescribeTrainingJob). */
export const TrainingJobStateChangeSchema = z
  .object({
    TrainingJobName: z.string().min(1),
    TrainingJobArn: z.string().optional(),
    TrainingJobStatus: z.enum(['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped']),
    FailureReason: z.string().optional(),
    ModelArtifacts: z.object({ S3ModelArtifacts: z.string() }).passthrough().optional(),
    HyperParameters: z.record(z.string(), z.string()).optional(),
    Environment: z.record(z.string(), z.string()).optional(),
  })
  .passthrough();
export type TrainingJobStateChange = z.infer<typeof TrainingJobStateChangeSchema>;

export const MODELS_PREFIX = 'models/';

export interface RegisterModelDeps {
  objects: ObjectStore;
  state: StateStore;
  registry: ModelRegistry;
  events: EventPublisher;
  names: NameContext;
  group: FeatureGroup;
  config: TrainingConfig;
  loadModel: ModelLoader;
  now: () => Date;
  log?: Log;
  /** Counts finished training jobs by outcome (`TrainingJobsFinished`). */
  metrics?: MetricsSink;
}

export type RegisterOutcome =
  | { outcome: 'registered'; arn: string; version: number }
  | { outcome: 'already-registered'; arn: string; version: number }
  | { outcome: 'failed'; reason: string }
  | { outcome: 'ignored'; status: string };

/**
 * On a finished training job. Completed: evaluate the model on its validation set, write the
 * model, its quality report and its training-data baseline to `models/<job>/`, and register a
 * package (PendingManualApproval) with metrics and lineage. Failed or Stopped: record why,
 * release the training's lock and announce TrainingFailed; nothing is registered, so the
 * serving model is untouched.
 */
export async function registerModel(
  deps: RegisterModelDeps,
  event: EventBridgeEnvelope<TrainingJobStateChange>,
): Promise<RegisterOutcome> {
  const result = await handleJobEnd(deps, event);
  deps.metrics?.count('TrainingJobsFinished', 1, { outcome: result.outcome });
  return result;
}

async function handleJobEnd(
  deps: RegisterModelDeps,
  event: EventBridgeEnvelope<TrainingJobStateChange>,
): Promise<RegisterOutcome> {
  const detail = event.detail;
  const jobName = detail.TrainingJobName;
  const record = await getJobRecord(deps.state, jobName);

  if (detail.TrainingJobStatus === 'Failed' || detail.TrainingJobStatus === 'Stopped') {
    const reason =
      detail.TrainingJobStatus === 'Stopped'
        ? `the training job was stopped${detail.FailureReason ? `: ${detail.FailureReason}` : ''}`
        : (detail.FailureReason ?? 'the training job failed without a reason');
    await finish(deps, record, jobName, {
      status: detail.TrainingJobStatus,
      failure_reason: reason,
    });
    const datasetId = record?.dataset_id ?? detail.Environment?.DATASET_ID ?? null;
    await deps.events.publish([
      ourEvent('TrainingFailed', {
        training_job: jobName,
        reason: reason.slice(0, 2000),
        dataset_id: datasetId,
      }),
    ]);
    deps.log?.warn('training failed; nothing registered', { jobName, reason });
    return { outcome: 'failed', reason };
  }
  if (detail.TrainingJobStatus !== 'Completed')
    return { outcome: 'ignored', status: detail.TrainingJobStatus };

  // SageMaker may send an event more than once: a package for this job means we are done.
  const existing = (await deps.registry.list(modelPackageGroup(deps.names))).find(
    (p) => p.lineage.trainingJob === jobName,
  );
  if (existing) {
    await finish(deps, record, jobName, {
      status: 'Completed',
      model_package_arn: existing.arn,
      model_version: existing.version,
    });
    return { outcome: 'already-registered', arn: existing.arn, version: existing.version };
  }

  try {
    return await registerCompleted(deps, event, record);
  } catch (e) {
    // Where a person looks: the training's record says the model could not be registered.
    if (record) {
      await putJobRecord(deps.state, {
        ...record,
        status: 'Failed',
        failure_reason: `registration failed: ${describeError(e)}`,
      });
    }
    throw e;
  }
}

async function registerCompleted(
  deps: RegisterModelDeps,
  event: EventBridgeEnvelope<TrainingJobStateChange>,
  record: TrainingJobRecord | undefined,
): Promise<RegisterOutcome> {
  const detail = event.detail;
  const jobName = detail.TrainingJobName;
  const datasetId = record?.dataset_id ?? detail.Environment?.DATASET_ID;
  if (!datasetId)
    throw new PermanentError(
      `training job ${jobName} has no dataset id: it was not started by requestTraining`,
    );
  const artifactsUri = detail.ModelArtifacts?.S3ModelArtifacts;
  if (!artifactsUri)
    throw new PermanentError(`training job ${jobName} completed without ModelArtifacts`);

  const files = await readModelArtifacts(deps.objects, deps.names, artifactsUri);
  const model = deps.loadModel(files);
  const validation = await readTable(deps.objects, validationKey(datasetId));
  const train = await readTable(deps.objects, trainKey(datasetId));
  const manifest = await readManifest(deps.objects, datasetId);

  // Our own evaluation, on the validation set the container never trained on.
  const probabilities = scoreTable(model, validation);
  const labels = Float64Array.from(validation.labels);
  const evaluated = evaluateBinary(labels, probabilities, model.threshold);
  const quality = modelQualityReport(
    labels,
    probabilities,
    model.threshold,
    deps.now(),
    deps.config.SPLIT_SEED,
  );
  // The monitoring baseline over the model's features: Model Monitor's statistics.json and
  // constraints.json, and the sample the monitor's KS test compares live traffic with.
  const trainModelColumns = selectColumns(train, model.features);
  const baseline = buildBaseline(rowsOf(trainModelColumns), trainModelColumns.features, {
    seed: deps.config.SPLIT_SEED,
  });

  const folder = `${MODELS_PREFIX}${jobName}/`;
  for (const [name, body] of files) {
    await deps.objects.put(ARTIFACTS, `${folder}${name}`, body, {
      contentType: name.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    });
  }
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  await deps.objects.put(ARTIFACTS, `${folder}model_quality.json`, json(quality), {
    contentType: 'application/json',
  });
  await deps.objects.put(ARTIFACTS, `${folder}baseline-sample.csv`, baseline.sampleCsv, {
    contentType: 'text/csv',
  });
  await deps.objects.put(ARTIFACTS, `${folder}statistics.json`, json(baseline.statistics), {
    contentType: 'application/json',
  });
  await deps.objects.put(ARTIFACTS, `${folder}constraints.json`, json(baseline.constraints), {
    contentType: 'application/json',
  });

  const hyperparameters = detail.HyperParameters ?? {};
  const reason = record?.reason ?? 'unknown';
  const { arn, version } = await deps.registry.createPackage({
    group: modelPackageGroup(deps.names),
    description: `Random forest trained by ${jobName} on ${datasetId} (${reason})`.slice(0, 1024),
    modelDataUrl: artifactsUri,
    metrics: packageMetrics(evaluated, train.labels.length),
    reports: {
      modelQuality: s3Uri(deps.names, ARTIFACTS, `${folder}model_quality.json`),
      dataStatistics: s3Uri(deps.names, ARTIFACTS, `${folder}statistics.json`),
      dataConstraints: s3Uri(deps.names, ARTIFACTS, `${folder}constraints.json`),
    },
    lineage: {
      datasetId,
      datasetUri: s3Uri(deps.names, ARTIFACTS, `datasets/${datasetId}/`),
      codeVersion: detail.Environment?.CODE_VERSION ?? deps.config.CODE_VERSION,
      trainingJob: jobName,
      hyperparameters,
      featureGroupVersion: manifest?.feature_group.version ?? deps.group.version,
    },
    customerMetadata: {
      training_reason: reason,
      ...(record ? { idempotency_key: record.idempotency_key } : {}),
      model_folder: s3Uri(deps.names, ARTIFACTS, folder),
    },
  });
  await finish(deps, record, jobName, {
    status: 'Completed',
    model_package_arn: arn,
    model_version: version,
    failure_reason: undefined,
  });
  deps.log?.info('model registered', {
    jobName,
    version,
    rocAuc: evaluated.rocAuc,
    sensitivity: evaluated.sensitivity,
  });
  return { outcome: 'registered', arn, version };
}

async function readTable(objects: ObjectStore, key: string): Promise<DatasetTable> {
  const raw = await objects.get(ARTIFACTS, key);
  if (!raw) throw new PermanentError(`dataset file not found: ${ARTIFACTS}/${key}`);
  return readDatasetCsv(raw.toString('utf8'));
}

/** The table restricted to (and ordered by) the model's features: the baseline describes model input. */
/** Row arrays of a table (NaN, an empty cell, counts as missing in the baseline). */
function rowsOf(table: DatasetTable): number[][] {
  const d = table.features.length;
  return Array.from(table.recordIds, (_, r) =>
    Array.from(table.values.subarray(r * d, (r + 1) * d)),
  );
}

function selectColumns(table: DatasetTable, features: readonly string[]): DatasetTable {
  const d = table.features.length;
  const idx = features.map((f) => table.features.indexOf(f)).filter((j) => j >= 0);
  const m = idx.length;
  const n = table.labels.length;
  const values = new Float64Array(n * m);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < m; c++) values[r * m + c] = table.values[r * d + idx[c]];
  return {
    features: idx.map((j) => table.features[j]),
    recordIds: table.recordIds,
    labels: table.labels,
    values,
  };
}

async function finish(
  deps: RegisterModelDeps,
  record: TrainingJobRecord | undefined,
  jobName: string,
  update: Partial<TrainingJobRecord> & { status: TrainingJobRecord['status'] },
): Promise<void> {
  if (!record) return;
  await putJobRecord(deps.state, {
    ...record,
    ...update,
    ended_at: record.ended_at ?? deps.now().toISOString(),
  });
  await releaseLock(deps.state, record.idempotency_key, jobName);
  if (record.idempotency_key !== NEW_DATA_KEY) return;
  const followUp = await deps.state.get(MARKS_NS, NEW_DATA_FOLLOW_UP);
  if (!followUp) return;
  // Enough labelled records arrived while this training ran: train on them now.
  await deps.state.delete(MARKS_NS, NEW_DATA_FOLLOW_UP);
  await deps.events.publish([
    ourEvent(
      'RetrainingRequested',
      {
        reason: 'new-data',
        idempotency_key: NEW_DATA_KEY,
        detail: `the new-data threshold was reached again while ${jobName} was training`,
      },
      { source: eventSource('training') },
    ),
  ]);
}
