import { WDBC_FEATURE_GROUP } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { eventBridgeEventFactory } from '@cancer-mlops/shared/testing/factories.ts';
import { PermanentError } from '@cancer-mlops/shared/runtime/errors.ts';
import {
  FakeTrainingJobs,
  MemoryFeatureStore,
  MemoryObjectStore,
  MemoryStateStore,
  RecordingPublisher,
  clock,
  wdbcLikeRecord,
} from '../test/fakes.ts';
import { TrainingConfigSchema } from './config.ts';
import {
  requestTraining,
  type RequestTrainingDeps,
  type TrainingTrigger,
} from './requestTraining.ts';
import {
  JOBS_NS,
  LAST_TRAINING,
  LOCKS_NS,
  MARKS_NS,
  NEW_DATA_FOLLOW_UP,
  type TrainingJobRecord,
} from './trainingState.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };

function setup(opts: { benign?: number; malignant?: number; env?: Record<string, string> } = {}) {
  const now = clock('2026-01-05T03:00:00.000Z');
  const features = new MemoryFeatureStore(now);
  const written = new Date('2026-01-04T00:00:00Z');
  for (let i = 1; i <= (opts.benign ?? 30); i++)
    features.add(wdbcLikeRecord(`b${i}`, 'B', '2026-01-03T00:00:00Z'), written);
  for (let i = 1; i <= (opts.malignant ?? 20); i++)
    features.add(wdbcLikeRecord(`m${i}`, 'M', '2026-01-03T00:00:00Z'), written);
  const deps: RequestTrainingDeps = {
    features,
    objects: new MemoryObjectStore(),
    state: new MemoryStateStore(),
    training: new FakeTrainingJobs(),
    events: new RecordingPublisher(),
    names,
    group: WDBC_FEATURE_GROUP,
    config: TrainingConfigSchema.parse({
      TRAINING_HYPERPARAMETERS: '{"n_estimators":200}',
      CODE_VERSION: 'abc123',
      ...opts.env,
    }),
    now,
  };
  return {
    deps,
    now,
    features,
    state: deps.state as MemoryStateStore,
    training: deps.training as FakeTrainingJobs,
    events: deps.events as RecordingPublisher,
  };
}

const request = (key: string, extra: object = {}): TrainingTrigger => ({
  kind: 'training-request',
  reason: 'manual',
  idempotency_key: key,
  requested_at: '2026-01-05T02:59:00Z',
  ...extra,
});

/** A FeaturesWritten event, sent at `sentAt` (after the writes it reports). */
const featuresWritten = (labelled: number, sentAt?: Date) =>
  eventBridgeEventFactory({
    source: 'cancer-mlops.scoring',
    detailType: 'FeaturesWritten',
    detail: {
      written: labelled,
      duplicates: 0,
      labelled,
      feature_group: 'wdbc-patient-records',
      feature_group_version: 1,
    },
    ...(sentAt ? { time: sentAt.toISOString() } : {}),
  }) as unknown as TrainingTrigger;

describe('Function: requestTraining', () => {
  it('builds the dataset and starts a training job on its channels', async () => {
    // Prepare
    const { deps, training, state } = setup();

    // Act
    const out = await requestTraining(deps, request('manual'));

    // Assess
    expect(out).toEqual({
      outcome: 'started',
      jobName: expect.stringMatching(/^cancer-mlops-test-train-20260105030000-[0-9a-f]{4}$/),
      datasetId: 'ds-20260105T030000Z',
    });
    expect(training.started).toEqual([
      {
        jobName: (out as { jobName: string }).jobName,
        datasetId: 'ds-20260105T030000Z',
        trainPrefix: 'datasets/ds-20260105T030000Z/train/',
        validationPrefix: 'datasets/ds-20260105T030000Z/validation/',
        outputPrefix: 'training-jobs/',
        hyperparameters: { n_estimators: '200', dataset_id: 'ds-20260105T030000Z' },
        environment: { DATASET_ID: 'ds-20260105T030000Z', CODE_VERSION: 'abc123' },
      },
    ]);
    const jobName = (out as { jobName: string }).jobName;
    expect(await state.get<TrainingJobRecord>(JOBS_NS, jobName)).toMatchObject({
      status: 'InProgress',
      reason: 'manual',
      dataset_id: 'ds-20260105T030000Z',
    });
    expect(await state.get(LOCKS_NS, 'manual')).toMatchObject({ job_name: jobName });
    expect(await state.get(MARKS_NS, LAST_TRAINING)).toMatchObject({
      cutoff: '2026-01-05T03:00:00.000Z',
      job_name: jobName,
    });
  });

  it('never runs two trainings for the same key at once, but does for different keys', async () => {
    // Prepare
    const { deps, training } = setup();
    const first = await requestTraining(deps, request('drift-42'));

    // Act
    const duplicate = await requestTraining(deps, request('drift-42'));
    const other = await requestTraining(deps, request('manual'));

    // Assess
    expect(duplicate).toEqual({
      outcome: 'already-running',
      jobName: (first as { jobName: string }).jobName,
      idempotencyKey: 'drift-42',
    });
    expect(other.outcome).toBe('started');
    expect(training.started).toHaveLength(2);
  });

  it('takes over a lock whose job has already ended', async () => {
    // Prepare
    const { deps, training } = setup();
    const first = (await requestTraining(deps, request('schedule'))) as { jobName: string };
    training.jobs.get(first.jobName)!.status = 'Failed';

    // Act
    const again = await requestTraining(deps, request('schedule'));

    // Assess
    expect(again.outcome).toBe('started');
  });

  it('takes over a lock whose job was never created once no request could still be starting it', async () => {
    // Prepare: the function that took the lock died before CreateTrainingJob (a kill -9 locally,
    // a crash on AWS): the lock names a job SageMaker never heard of.
    const { deps, state, now } = setup();
    await state.put(LOCKS_NS, 'new-data', {
      job_name: 'cancer-mlops-test-20260105-030000-dead',
      acquired_at: now().toISOString(),
      reason: 'new-data',
    });

    // Act: within a Lambda's longest run it may still be starting; after it, it cannot be.
    const early = await requestTraining(deps, request('new-data'));
    now.advance(15 * 60_000 + 1);
    const later = await requestTraining(deps, request('new-data'));

    // Assess
    expect(early.outcome).toBe('already-running');
    expect(later.outcome).toBe('started');
  });

  it('uses an explicit cutoff to rebuild a past snapshot', async () => {
    // Prepare
    const { deps, training } = setup();

    // Act
    await requestTraining(deps, request('k', { cutoff: '2026-01-04T12:00:00Z' }));

    // Assess
    expect(training.started[0].datasetId).toBe('ds-20260104T120000Z');
  });

  it('never takes a cutoff after now: the last-training mark would silence new-data training', async () => {
    // Prepare
    const { deps, state } = setup();

    // Act
    const out = (await requestTraining(deps, request('k', { cutoff: '2099-01-01T00:00:00Z' }))) as {
      jobName: string;
    };

    // Assess
    expect(await state.get(JOBS_NS, out.jobName)).toMatchObject({
      cutoff: '2026-01-05T03:00:00.000Z',
    });
  });

  it('treats the weekly schedule fixed input (epoch time) as a request made now', async () => {
    // Prepare
    const { deps, state } = setup();

    // Act
    const out = (await requestTraining(
      deps,
      request('schedule', { reason: 'schedule', requested_at: '1970-01-01T00:00:00Z' }),
    )) as { jobName: string };

    // Assess
    expect(await state.get(JOBS_NS, out.jobName)).toMatchObject({
      reason: 'schedule',
      requested_at: '2026-01-05T03:00:00.000Z',
      cutoff: '2026-01-05T03:00:00.000Z',
    });
  });

  it('starts on RetrainingRequested with the event idempotency key and reason', async () => {
    // Prepare
    const { deps, state } = setup();
    const event = eventBridgeEventFactory({
      source: 'cancer-mlops.monitor',
      detailType: 'RetrainingRequested',
      detail: {
        reason: 'drift',
        idempotency_key: 'drift-run-7',
        detail: '5 of 31 features drifted',
      },
    }) as unknown as TrainingTrigger;

    // Act
    const out = (await requestTraining(deps, event)) as { jobName: string };

    // Assess
    expect(await state.get(JOBS_NS, out.jobName)).toMatchObject({
      reason: 'drift',
      idempotency_key: 'drift-run-7',
      detail: '5 of 31 features drifted',
    });
  });

  it('waits for the new-data threshold of labelled records written since the last training', async () => {
    // Prepare
    const { deps, training, features, now } = setup({ env: { NEW_DATA_THRESHOLD: '60' } });

    // Act
    const below = await requestTraining(deps, featuresWritten(50, now()));
    now.advance(1000);
    for (let i = 1; i <= 10; i++)
      features.add(wdbcLikeRecord(`n${i}`, 'B', '2026-01-04T00:00:00Z'), now());
    const reached = await requestTraining(deps, featuresWritten(10, now()));
    training.jobs.forEach((j) => (j.status = 'Completed'));
    now.advance(60_000);
    const afterTraining = await requestTraining(deps, featuresWritten(1, now()));

    // Assess
    expect(below).toEqual({ outcome: 'below-threshold', newLabelled: 50, threshold: 60 });
    expect(reached.outcome).toBe('started');
    expect(afterTraining).toEqual({ outcome: 'below-threshold', newLabelled: 0, threshold: 60 });
  });

  it('counts new data once for the events that count already saw, and again after a failure', async () => {
    // Prepare: a large file's writes announced by many events, most sent before the first count.
    const { deps, features, now } = setup({ env: { NEW_DATA_THRESHOLD: '500' } });
    let counts = 0;
    const count = features.countLabelledWrittenSince.bind(features);
    let failNext = false;
    features.countLabelledWrittenSince = async (since: Date) => {
      counts++;
      if (failNext) {
        failNext = false;
        throw new Error('offline store unavailable');
      }
      return count(since);
    };
    const sentBefore = new Date(now().getTime() - 1000);

    // Act
    const first = await requestTraining(deps, featuresWritten(10, sentBefore));
    const backlog = await Promise.all(
      Array.from({ length: 200 }, () => requestTraining(deps, featuresWritten(10, sentBefore))),
    );
    now.advance(1000);
    failNext = true;
    await expect(requestTraining(deps, featuresWritten(10, now()))).rejects.toThrow(/unavailable/);
    const retried = await requestTraining(deps, featuresWritten(10, now()));

    // Assess
    expect(first).toMatchObject({ outcome: 'below-threshold', newLabelled: 50 });
    expect(new Set(backlog.map((b) => b.outcome))).toEqual(new Set(['already-counted']));
    expect(retried).toMatchObject({ outcome: 'below-threshold' });
    expect(counts).toBe(3);
  });

  it('counts again for an event stamped in the second of the last count (times are whole seconds)', async () => {
    // Prepare
    const { deps, now } = setup({ env: { NEW_DATA_THRESHOLD: '500' } });
    now.set('2026-01-05T03:00:00.500Z');
    await requestTraining(deps, featuresWritten(10, new Date('2026-01-05T03:00:00.000Z')));
    // Act: sent at 03:00:00.900, after that count, but stamped 03:00:00.
    now.set('2026-01-05T03:00:01.000Z');
    const out = await requestTraining(deps, featuresWritten(10, new Date('2026-01-05T03:00:00Z')));
    // Assess
    expect(out.outcome).toBe('below-threshold');
  });

  it('marks a follow-up when the threshold is reached again while a new-data training runs', async () => {
    // Prepare
    const { deps, features, state, now } = setup();
    await requestTraining(deps, featuresWritten(50, now()));
    now.advance(60_000);
    for (let i = 1; i <= 50; i++) {
      features.add(
        wdbcLikeRecord(`late${i}`, 'M', '2026-01-05T03:00:30Z'),
        new Date('2026-01-05T03:00:30Z'),
      );
    }

    // Act
    const out = await requestTraining(deps, featuresWritten(50, now()));

    // Assess
    expect(out.outcome).toBe('already-running');
    expect(await state.get(MARKS_NS, NEW_DATA_FOLLOW_UP)).toMatchObject({
      running: (out as { jobName: string }).jobName,
    });
  });

  it('refuses a one-class dataset: no job, the reason recorded and announced, the key free again', async () => {
    // Prepare
    const { deps, training, state, events } = setup({ malignant: 0 });

    // Act
    const out = await requestTraining(deps, request('manual'));

    // Assess
    expect(out).toMatchObject({
      outcome: 'refused',
      reason: 'dataset refused: every labelled record is benign (B); both classes are needed',
    });
    expect(training.started).toHaveLength(0);
    const jobName = (out as { jobName: string }).jobName;
    expect(await state.get(JOBS_NS, jobName)).toMatchObject({
      status: 'Refused',
      failure_reason: expect.stringMatching(/both classes/),
    });
    expect(events.ofType('TrainingFailed')).toEqual([
      {
        source: 'cancer-mlops.training',
        'detail-type': 'TrainingFailed',
        detail: {
          training_job: jobName,
          reason: expect.stringMatching(/both classes/),
          dataset_id: 'ds-20260105T030000Z',
        },
      },
    ]);
    expect(await state.get(LOCKS_NS, 'manual')).toBeUndefined();
  });

  it('records a failed start, frees the key and rethrows so the message is retried', async () => {
    // Prepare
    const { deps, training, state } = setup();
    training.failNext = new Error('ThrottlingException: Rate exceeded');

    // Act
    const act = requestTraining(deps, request('manual'));

    // Assess
    await expect(act).rejects.toThrow('Rate exceeded');
    const records = await state.list<TrainingJobRecord>(JOBS_NS);
    expect(records[0].value).toMatchObject({
      status: 'Failed',
      failure_reason: 'could not start the training: Error: ThrottlingException: Rate exceeded',
    });
    expect(await state.get(LOCKS_NS, 'manual')).toBeUndefined();
  });

  it('refuses an event that should not be routed here, permanently', async () => {
    // Prepare
    const { deps } = setup();
    const event = eventBridgeEventFactory({
      source: 'cancer-mlops.monitor',
      detailType: 'DriftDetected',
      detail: {},
    }) as unknown as TrainingTrigger;

    // Act
    const act = requestTraining(deps, event);

    // Assess
    await expect(act).rejects.toThrow(PermanentError);
  });
});
