/**
 * The local SageMaker with the real container on a WDBC subset: dataset -> training job
 * (child process running `train`) -> the emitted event -> registration (evaluation, baseline,
 * package) -> deployment (child process running `serve`) -> an invocation. Skipped until the
 * container's entrypoint exists.
 */
import { modelPackageGroup } from '@cancer-mlops/shared/topology/common.ts';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusEvent, EventBridgeEnvelope } from '@cancer-mlops/shared/contracts/events.ts';
import { WDBC_FEATURES, WDBC_FEATURE_GROUP } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { TrainingConfigSchema } from '@cancer-mlops/training/src/config.ts';
import { buildDataset } from '@cancer-mlops/training/src/datasetBuilder.ts';
import { loadForestModel } from '@cancer-mlops/training/src/forestModel.ts';
import {
  registerModel,
  type TrainingJobStateChange,
} from '@cancer-mlops/training/src/registerModel.ts';
import {
  MemoryFeatureStore,
  MemoryStateStore,
  RecordingPublisher,
} from '@cancer-mlops/training/test/fakes.ts';
import { openRuntimeDb, type RuntimeDb } from '../db.ts';
import { LocalObjectStore } from '../objectStore/localObjectStore.ts';
import { REPO_ROOT } from './container.ts';
import { LocalEndpoints } from './localEndpoints.ts';
import { LocalModelRegistry } from './localModelRegistry.ts';
import { LocalTrainingJobs } from './localTrainingJobs.ts';

const hasContainer = existsSync(join(REPO_ROOT, 'shared/container/src/main.ts'));
const names = { prefix: 'cancer-mlops', stage: 'test' };

/** The first `n` WDBC rows as feature-store records, with a note score that carries no label. */
function wdbcRecords(n: number) {
  const lines = readFileSync(join(REPO_ROOT, 'data/wdbc.data'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, n);
  return lines.map((line) => {
    const [id, diagnosis, ...values] = line.split(',');
    return {
      record_id: `wdbc-${id}`,
      event_time: '2026-01-01T00:00:00.000Z',
      diagnosis: diagnosis as 'M' | 'B',
      malignancy_risk_score: (Number(id) % 10) + 1,
      score_source: 'provided' as const,
      ...Object.fromEntries(WDBC_FEATURES.map((f, i) => [f, Number(values[i])])),
    };
  });
}

const envelope = (e: BusEvent) =>
  ({
    version: '0',
    id: randomUUID(),
    account: '000000000000',
    region: 'us-east-1',
    ...e,
  }) as unknown as EventBridgeEnvelope<TrainingJobStateChange>;

(hasContainer ? describe : describe.skip)('Local SageMaker with the real container', () => {
  let dir: string;
  let db: RuntimeDb;
  let endpoints: LocalEndpoints | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'real-container-'));
    db = openRuntimeDb(join(dir, 'state'));
  });
  afterEach(async () => {
    await endpoints?.stopAll();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains on a WDBC subset, emits Completed, registers the evaluated model and serves it', async () => {
    // Prepare
    const objects = new LocalObjectStore(join(dir, 'objects'), names);
    const features = new MemoryFeatureStore();
    for (const r of wdbcRecords(150)) features.add(r, new Date('2026-01-01T00:00:00Z'));
    const dataset = await buildDataset(
      { features, objects, group: WDBC_FEATURE_GROUP, now: () => new Date('2026-01-02T00:00:00Z') },
      { cutoff: new Date('2026-01-02T00:00:00Z') },
    );
    const events: BusEvent[] = [];
    const jobs = new LocalTrainingJobs({
      stateDir: join(dir, 'state'),
      objects,
      names,
      emit: (e) => void events.push(e),
    });

    // Act: train
    await jobs.start({
      jobName: 'cancer-mlops-test-train-20260102000000-0001',
      datasetId: dataset.datasetId,
      trainPrefix: dataset.trainPrefix,
      validationPrefix: dataset.validationPrefix,
      outputPrefix: 'training-jobs/',
      hyperparameters: {
        n_estimators: '40',
        cv_folds: '0',
        permutation_repeats: '0',
        workers: '0',
        dataset_id: dataset.datasetId,
      },
    });
    await jobs.idle();

    // Assess: the job ran the container bundled as the image has it, then the event
    expect(existsSync(join(dir, 'state', 'sagemaker', 'container', 'main.js'))).toBe(true);
    expect(events).toHaveLength(1);
    const detail = events[0].detail as TrainingJobStateChange;
    expect(detail).toMatchObject({
      TrainingJobStatus: 'Completed',
      ModelArtifacts: {
        S3ModelArtifacts:
          's3://cancer-mlops-test-artifacts/training-jobs/cancer-mlops-test-train-20260102000000-0001/output/model/',
      },
    });

    // Act: register and deploy
    const registryEvents: BusEvent[] = [];
    const registry = new LocalModelRegistry({
      db,
      emit: (e) => void registryEvents.push(e),
      group: modelPackageGroup(names),
    });
    const out = await registerModel(
      {
        objects,
        state: new MemoryStateStore(),
        registry,
        events: new RecordingPublisher(),
        names,
        group: WDBC_FEATURE_GROUP,
        config: TrainingConfigSchema.parse({}),
        loadModel: loadForestModel,
        now: () => new Date('2026-01-02T00:10:00Z'),
      },
      envelope(events[0]),
    );
    const pkg = (await registry.get(1))!;
    endpoints = new LocalEndpoints({ stateDir: join(dir, 'state'), db, objects, names });
    await endpoints.deploy(pkg);
    const row = readFileSync(join(REPO_ROOT, 'data/wdbc.data'), 'utf8')
      .split('\n')[0]
      .split(',')
      .slice(2)
      .join(',');
    const answer = await endpoints.invoke(`${row},8`, 'text/csv', 'application/json');

    // Assess: registration and serving
    expect(out).toMatchObject({ outcome: 'registered', version: 1 });
    expect(pkg.metrics.roc_auc).toBeGreaterThan(0.9);
    expect(pkg.metrics.validation_rows).toBe(dataset.manifest.rows.validation);
    expect(registryEvents[0].detail).toMatchObject({
      ModelApprovalStatus: 'PendingManualApproval',
      ModelPackageVersion: 1,
    });
    expect(answer.contentType).toMatch(/application\/json/);
    expect(answer.body.toString()).toMatch(/malignant|probabilit/i);
  }, 180_000);

  it('reports a one-class training set as the job’s FailureReason', async () => {
    // Prepare
    const objects = new LocalObjectStore(join(dir, 'objects'), names);
    const header = `record_id,diagnosis,${WDBC_FEATURES.join(',')},malignancy_risk_score\n`;
    const rows = wdbcRecords(60)
      .filter((r) => r.diagnosis === 'B')
      .map((r) =>
        [
          r.record_id,
          'B',
          ...WDBC_FEATURES.map((f) => String((r as Record<string, unknown>)[f])),
          '2',
        ].join(','),
      )
      .join('\n');
    await objects.put('artifacts', 'datasets/one/train/train.csv', `${header}${rows}\n`);
    await objects.put('artifacts', 'datasets/one/validation/validation.csv', `${header}${rows}\n`);
    const events: BusEvent[] = [];
    const jobs = new LocalTrainingJobs({
      stateDir: join(dir, 'state'),
      objects,
      names,
      emit: (e) => void events.push(e),
    });

    // Act
    await jobs.start({
      jobName: 'cancer-mlops-test-train-one',
      datasetId: 'one',
      trainPrefix: 'datasets/one/train/',
      validationPrefix: 'datasets/one/validation/',
      outputPrefix: 'training-jobs/',
      hyperparameters: {},
    });
    await jobs.idle();

    // Assess
    expect(events[0].detail).toMatchObject({
      TrainingJobStatus: 'Failed',
      FailureReason: expect.stringMatching(/one class only/),
    });
  }, 120_000);
});
