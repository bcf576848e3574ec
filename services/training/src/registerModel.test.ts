import { gzipSync } from 'node:zlib';
import {
  WDBC_FEATURE_GROUP,
  modelFeatureNames,
} from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { EventBridgeEnvelope } from '@cancer-mlops/shared/contracts/events.ts';
import { trainingJobStateChange } from '@cancer-mlops/shared/testing/factories.ts';
import {
  FakeTrainingJobs,
  MemoryFeatureStore,
  MemoryObjectStore,
  MemoryRegistry,
  MemoryStateStore,
  RecordingPublisher,
  clock,
  wdbcLikeRecord,
} from '../test/fakes.ts';
import { TrainingConfigSchema } from './config.ts';
import { tar } from './modelArtifacts.ts';
import type { ModelLoader, ScoringModel } from './modelScoring.ts';
import {
  registerModel,
  type RegisterModelDeps,
  type TrainingJobStateChange,
} from './registerModel.ts';
import { requestTraining } from './requestTraining.ts';
import {
  JOBS_NS,
  LOCKS_NS,
  MARKS_NS,
  NEW_DATA_FOLLOW_UP,
  type TrainingJobRecord,
} from './trainingState.ts';
import type { Constraints, Statistics } from '@cancer-mlops/shared/domain/drift/sagemaker.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const FEATURES = modelFeatureNames();

/** Scores by radius_mean: malignant rows in the fakes are larger, so AUC is 1. */
const stubModel = (threshold = 0.5): ScoringModel => ({
  features: FEATURES,
  threshold,
  predict(rows) {
    const d = FEATURES.length;
    const j = FEATURES.indexOf('radius_mean');
    const out = new Float64Array(rows.length / d);
    for (let r = 0; r < out.length; r++) out[r] = 1 / (1 + Math.exp(-(rows[r * d + j] - 14.5)));
    return out;
  },
});

async function trained() {
  const now = clock('2026-01-05T03:00:00.000Z');
  const features = new MemoryFeatureStore(now);
  for (let i = 1; i <= 30; i++)
    features.add(
      wdbcLikeRecord(`b${i}`, 'B', '2026-01-03T00:00:00Z'),
      new Date('2026-01-04T00:00:00Z'),
    );
  for (let i = 1; i <= 20; i++)
    features.add(
      wdbcLikeRecord(`m${i}`, 'M', '2026-01-03T00:00:00Z'),
      new Date('2026-01-04T00:00:00Z'),
    );
  const objects = new MemoryObjectStore();
  const state = new MemoryStateStore();
  const events = new RecordingPublisher();
  const config = TrainingConfigSchema.parse({ CODE_VERSION: 'abc123' });
  const started = await requestTraining(
    {
      features,
      objects,
      state,
      training: new FakeTrainingJobs(),
      events,
      names,
      group: WDBC_FEATURE_GROUP,
      config,
      now,
    },
    {
      kind: 'training-request',
      reason: 'drift',
      idempotency_key: 'drift-1',
      requested_at: '2026-01-05T03:00:00Z',
    },
  );
  const jobName = (started as { jobName: string }).jobName;
  const registry = new MemoryRegistry();
  const loadModel: ModelLoader = (files) => {
    if (!files.has('model.bin')) throw new Error('no model.bin');
    return stubModel();
  };
  const deps: RegisterModelDeps = {
    objects,
    state,
    registry,
    events,
    names,
    group: WDBC_FEATURE_GROUP,
    config,
    loadModel,
    now,
  };
  return { deps, jobName, objects, state, registry, events };
}

const completed = (jobName: string, artifacts: string) =>
  trainingJobStateChange({
    jobName,
    status: 'Completed',
    modelArtifacts: artifacts,
    hyperParameters: { n_estimators: '100' },
  }) as unknown as EventBridgeEnvelope<TrainingJobStateChange>;

describe('Function: registerModel', () => {
  it('evaluates, writes the model, reports and baseline, and registers a pending package with metrics and lineage', async () => {
    // Prepare
    const { deps, jobName, objects, registry, state } = await trained();
    const archive = gzipSync(
      tar({
        'model.bin': Buffer.from('MODEL'),
        'evaluation.json': Buffer.from('{"container":true}'),
      }),
    );
    await objects.put('artifacts', `training-jobs/${jobName}/output/model.tar.gz`, archive);

    // Act
    const out = await registerModel(
      deps,
      completed(
        jobName,
        `s3://cancer-mlops-test-artifacts/training-jobs/${jobName}/output/model.tar.gz`,
      ),
    );

    // Assess
    expect(out).toEqual({ outcome: 'registered', arn: registry.packages[0].arn, version: 1 });
    const folder = `models/${jobName}/`;
    expect(objects.keys('artifacts', folder)).toEqual(
      [
        'baseline-sample.csv',
        'constraints.json',
        'evaluation.json',
        'model.bin',
        'model_quality.json',
        'statistics.json',
      ].map((f) => folder + f),
    );
    const pkg = registry.packages[0];
    expect(pkg).toMatchObject({
      group: 'cancer-mlops-test-cancer-prediction',
      status: 'PendingManualApproval',
      modelDataUrl: `s3://cancer-mlops-test-artifacts/training-jobs/${jobName}/output/model.tar.gz`,
      reports: {
        modelQuality: `s3://cancer-mlops-test-artifacts/${folder}model_quality.json`,
        dataStatistics: `s3://cancer-mlops-test-artifacts/${folder}statistics.json`,
        dataConstraints: `s3://cancer-mlops-test-artifacts/${folder}constraints.json`,
      },
      lineage: {
        datasetId: 'ds-20260105T030000Z',
        datasetUri: 's3://cancer-mlops-test-artifacts/datasets/ds-20260105T030000Z/',
        codeVersion: 'abc123',
        trainingJob: jobName,
        hyperparameters: { n_estimators: '100' },
        featureGroupVersion: 1,
      },
      customerMetadata: { training_reason: 'drift', idempotency_key: 'drift-1' },
    });
    expect(pkg.metrics).toMatchObject({
      roc_auc: 1,
      sensitivity: 1,
      threshold: 0.5,
      validation_rows: 10,
      validation_positives: 4,
      train_rows: 40,
    });
    expect(await state.get<TrainingJobRecord>(JOBS_NS, jobName)).toMatchObject({
      status: 'Completed',
      model_package_arn: pkg.arn,
      model_version: 1,
    });
    expect(await state.get(LOCKS_NS, 'drift-1')).toBeUndefined();
  });

  it('writes the baseline in Model Monitor format over the model features of the training set', async () => {
    // Prepare
    const { deps, jobName, objects } = await trained();
    await objects.put('artifacts', `training-jobs/${jobName}/output/model/model.bin`, 'MODEL');

    // Act
    await registerModel(
      deps,
      completed(jobName, `s3://cancer-mlops-test-artifacts/training-jobs/${jobName}/output/model`),
    );

    // Assess
    const stats = objects.json<Statistics>('artifacts', `models/${jobName}/statistics.json`);
    const constraints = objects.json<Constraints>(
      'artifacts',
      `models/${jobName}/constraints.json`,
    );
    expect(stats.dataset?.item_count).toBe(40);
    // The monitor's KS test compares live traffic with these rows: features only.
    const sample = objects.text('artifacts', `models/${jobName}/baseline-sample.csv`)!;
    const [header, ...sampleRows] = sample.trim().split('\n');
    expect(header).toBe(FEATURES.join(','));
    expect(sampleRows).toHaveLength(40);
    expect(stats.features.map((f) => f.name)).toEqual(FEATURES);
    const score = stats.features.find((f) => f.name === 'malignancy_risk_score')!;
    expect(score.inferred_type).toBe('Integral');
    expect(score.numerical_statistics?.common).toEqual({ num_present: 40, num_missing: 0 });
    expect(constraints.features[0]).toEqual({
      name: 'radius_mean',
      inferred_type: 'Fractional',
      completeness: 1,
      num_constraints: { is_non_negative: true },
    });
    expect(constraints.monitoring_config?.distribution_constraints?.comparison_method).toBe(
      'Robust',
    );
    const quality = objects.json<{
      binary_classification_metrics: { confusion_matrix: unknown; auc: { value: number } };
    }>('artifacts', `models/${jobName}/model_quality.json`);
    expect(quality.binary_classification_metrics.confusion_matrix).toEqual({
      '0': { '0': 6, '1': 0 },
      '1': { '0': 0, '1': 4 },
    });
    expect(quality.binary_classification_metrics.auc.value).toBe(1);
  });

  it('does not register the same training job twice', async () => {
    // Prepare
    const { deps, jobName, objects, registry } = await trained();
    await objects.put('artifacts', `training-jobs/${jobName}/output/model/model.bin`, 'MODEL');
    const event = completed(
      jobName,
      `s3://cancer-mlops-test-artifacts/training-jobs/${jobName}/output/model`,
    );
    await registerModel(deps, event);

    // Act
    const again = await registerModel(deps, event);

    // Assess
    expect(again).toMatchObject({ outcome: 'already-registered', version: 1 });
    expect(registry.packages).toHaveLength(1);
  });

  it('on a failed job records the reason, frees the key, announces it and registers nothing', async () => {
    // Prepare
    const { deps, jobName, registry, state, events } = await trained();
    const event = trainingJobStateChange({
      jobName,
      status: 'Failed',
      failureReason: 'AlgorithmError: training data holds one class only (B)',
    }) as unknown as EventBridgeEnvelope<TrainingJobStateChange>;

    // Act
    const out = await registerModel(deps, event);

    // Assess
    expect(out).toEqual({
      outcome: 'failed',
      reason: 'AlgorithmError: training data holds one class only (B)',
    });
    expect(registry.packages).toHaveLength(0);
    expect(await state.get(JOBS_NS, jobName)).toMatchObject({
      status: 'Failed',
      failure_reason: 'AlgorithmError: training data holds one class only (B)',
    });
    expect(await state.get(LOCKS_NS, 'drift-1')).toBeUndefined();
    expect(events.ofType('TrainingFailed').map((e) => e.detail)).toEqual([
      {
        training_job: jobName,
        reason: 'AlgorithmError: training data holds one class only (B)',
        dataset_id: 'ds-20260105T030000Z',
      },
    ]);
  });

  it('asks for a follow-up training when the new-data threshold was reached while this one ran', async () => {
    // Prepare
    const { deps, jobName, state, events } = await trained();
    const record = (await state.get<TrainingJobRecord>(JOBS_NS, jobName))!;
    await state.put(JOBS_NS, jobName, {
      ...record,
      idempotency_key: 'new-data',
      reason: 'new-data',
    });
    await state.put(MARKS_NS, NEW_DATA_FOLLOW_UP, {
      requested_at: '2026-01-05T03:01:00Z',
      running: jobName,
    });
    const event = trainingJobStateChange({
      jobName,
      status: 'Failed',
      failureReason: 'AlgorithmError: x',
    });

    // Act
    await registerModel(deps, event as unknown as EventBridgeEnvelope<TrainingJobStateChange>);

    // Assess
    expect(events.ofType('RetrainingRequested')).toEqual([
      {
        source: 'cancer-mlops.training',
        'detail-type': 'RetrainingRequested',
        detail: {
          reason: 'new-data',
          idempotency_key: 'new-data',
          detail: `the new-data threshold was reached again while ${jobName} was training`,
        },
      },
    ]);
    expect(await state.get(MARKS_NS, NEW_DATA_FOLLOW_UP)).toBeUndefined();
  });

  it('records why a completed job could not be registered, and rethrows', async () => {
    // Prepare
    const { deps, jobName, objects, state, registry } = await trained();
    await objects.put('artifacts', `training-jobs/${jobName}/output/model/other.txt`, 'x');

    // Act
    const act = registerModel(
      deps,
      completed(jobName, `s3://cancer-mlops-test-artifacts/training-jobs/${jobName}/output/model`),
    );

    // Assess
    await expect(act).rejects.toThrow('no model.bin');
    expect(registry.packages).toHaveLength(0);
    expect(await state.get(JOBS_NS, jobName)).toMatchObject({
      status: 'Failed',
      failure_reason: 'registration failed: Error: no model.bin',
    });
  });
});
