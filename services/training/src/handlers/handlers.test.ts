import { WDBC_FEATURE_GROUP } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { FAILURE_REASONS, type SqsBatchResult } from '@cancer-mlops/shared/runtime/sqsConsumer.ts';
import { setLogSink } from '@cancer-mlops/shared/runtime/logger.ts';
import {
  eventBridgeEventFactory,
  lambdaContext,
  modelPackageStateChange,
  sqsEventFactory,
  trainingJobStateChange,
} from '@cancer-mlops/shared/testing/factories.ts';
import {
  FakeTrainingJobs,
  MemoryFeatureStore,
  MemoryObjectStore,
  MemoryRegistry,
  MemoryStateStore,
  RecordingPublisher,
  clock,
  wdbcLikeRecord,
} from '../../test/fakes.ts';
import { TrainingConfigSchema } from '../config.ts';
import { createLedger } from '@cancer-mlops/shared/ledger/ledger.ts';
import { JOBS_NS } from '../trainingState.ts';
import { createHandler as approveHandler } from './approveModel.ts';
import { createHandler as registerHandler } from './registerModel.ts';
import { createHandler as requestHandler } from './requestTraining.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const config = TrainingConfigSchema.parse({});

beforeAll(() => setLogSink(() => undefined));
afterAll(() => setLogSink(undefined));

describe('Handler: training.requestTraining', () => {
  function deps() {
    const now = clock();
    const features = new MemoryFeatureStore(now);
    for (let i = 1; i <= 30; i++)
      features.add(
        wdbcLikeRecord(`b${i}`, 'B', '2026-01-03T00:00:00Z'),
        new Date('2026-01-04T00:00:00Z'),
      );
    for (let i = 1; i <= 30; i++)
      features.add(
        wdbcLikeRecord(`m${i}`, 'M', '2026-01-03T00:00:00Z'),
        new Date('2026-01-04T00:00:00Z'),
      );
    return {
      features,
      objects: new MemoryObjectStore(),
      state: new MemoryStateStore(),
      training: new FakeTrainingJobs(),
      events: new RecordingPublisher(),
      names,
      group: WDBC_FEATURE_GROUP,
      config,
      now,
    };
  }

  it('starts one training from a FeaturesWritten envelope delivered by the new-data rule, and one from the schedule input', async () => {
    // Prepare
    const d = deps();
    const handler = requestHandler(async () => d);
    const featuresWritten = eventBridgeEventFactory({
      source: 'cancer-mlops.scoring',
      detailType: 'FeaturesWritten',
      detail: {
        written: 60,
        duplicates: 0,
        labelled: 60,
        feature_group: 'wdbc-patient-records',
        feature_group_version: 1,
      },
    });
    const schedule = {
      kind: 'training-request',
      reason: 'schedule',
      idempotency_key: 'schedule',
      requested_at: '1970-01-01T00:00:00Z',
    };

    // Act
    const result = (await handler(
      sqsEventFactory([featuresWritten, schedule]),
      lambdaContext(),
    )) as SqsBatchResult;

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(d.training.started).toHaveLength(2);
  });

  it('fails a message that is neither a training request nor a routed event, with the reason', async () => {
    // Prepare
    const handler = requestHandler(async () => deps());
    const event = sqsEventFactory([{ kind: 'something-else' }]);

    // Act
    const result = (await handler(event, lambdaContext())) as SqsBatchResult;

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0].messageId }]);
    expect(result[FAILURE_REASONS]!.get(event.Records[0].messageId)).toMatch(/^invalid message: /);
  });
});

describe('Handler: training.registerModel', () => {
  it('records a failed training job from the real-shaped SageMaker event', async () => {
    // Prepare
    const state = new MemoryStateStore();
    await state.put(JOBS_NS, 'cancer-mlops-test-train-1', {
      job_name: 'cancer-mlops-test-train-1',
      status: 'InProgress',
      reason: 'drift',
      idempotency_key: 'drift-1',
      dataset_id: 'ds-1',
      cutoff: '2026-01-05T00:00:00.000Z',
      requested_at: '2026-01-05T00:00:00.000Z',
      started_at: '2026-01-05T00:00:00.000Z',
    });
    const events = new RecordingPublisher();
    const handler = registerHandler(async () => ({
      objects: new MemoryObjectStore(),
      state,
      registry: new MemoryRegistry(),
      events,
      names,
      group: WDBC_FEATURE_GROUP,
      config,
      loadModel: () => {
        throw new Error('not called');
      },
      now: clock(),
    }));
    const event = trainingJobStateChange({
      jobName: 'cancer-mlops-test-train-1',
      status: 'Failed',
      failureReason: 'ClientError: train channel holds one class only (benign); both are needed',
    });

    // Act
    const out = await handler(event, lambdaContext());

    // Assess
    expect(out).toEqual({
      outcome: 'failed',
      reason: 'ClientError: train channel holds one class only (benign); both are needed',
    });
    expect(await state.get(JOBS_NS, 'cancer-mlops-test-train-1')).toMatchObject({
      status: 'Failed',
    });
    expect(events.ofType('TrainingFailed')).toHaveLength(1);
  });

  it('refuses an event of another detail-type', async () => {
    // Prepare
    const handler = registerHandler(async () => {
      throw new Error('not called');
    });
    const event = modelPackageStateChange({
      group: 'cancer-prediction',
      version: 1,
      status: 'Approved',
    });

    // Act / Assess
    await expect(handler(event, lambdaContext())).rejects.toThrow(/unexpected detail-type/);
  });
});

describe('Handler: training.approveModel', () => {
  const approveDeps = (registry: MemoryRegistry) => ({
    registry,
    objects: new MemoryObjectStore(),
    ledger: createLedger(new MemoryObjectStore(), clock()),
    config,
    loadModel: () => {
      throw new Error('not called');
    },
  });

  it('decides on the package of the envelope the package-pending rule delivered', async () => {
    // Prepare
    const registry = new MemoryRegistry();
    const pkg = await registry.seed({
      metrics: { roc_auc: 0.99, sensitivity: 0.97, threshold: 0.3 },
    });
    const handler = approveHandler(async () => approveDeps(registry));
    const body = modelPackageStateChange({
      group: 'cancer-prediction',
      version: 1,
      arn: pkg.arn,
      status: 'PendingManualApproval',
    });

    // Act
    const result = (await handler(sqsEventFactory([body]), lambdaContext())) as SqsBatchResult;

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(registry.updates[0]).toMatchObject({ status: 'Approved' });
  });

  it('fails an approval event for an unknown package with the reason, so it is dead-lettered with it', async () => {
    // Prepare
    const handler = approveHandler(async () => approveDeps(new MemoryRegistry()));
    const body = modelPackageStateChange({
      group: 'cancer-prediction',
      version: 42,
      status: 'PendingManualApproval',
    });
    const event = sqsEventFactory([body], { attributes: { ApproximateReceiveCount: '3' } });

    // Act
    const result = (await handler(event, lambdaContext())) as SqsBatchResult;

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0].messageId }]);
    expect(result[FAILURE_REASONS]!.get(event.Records[0].messageId)).toBe(
      `UnknownModelPackageError: unknown model package ${body.detail.ModelPackageArn}: the registry has no such package`,
    );
  });
});
