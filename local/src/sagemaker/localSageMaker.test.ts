import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';
import { awsFixture } from '@cancer-mlops/shared/testing/factories.ts';
import {
  DeploymentFailedError,
  ModelInvocationError,
  NoEndpointError,
  type ModelPackage,
  type NewModelPackage,
  type TrainingJobSpec,
} from '@cancer-mlops/shared/ports/sagemaker.ts';
import { openRuntimeDb, type RuntimeDb } from '../db.ts';
import { LocalObjectStore } from '../objectStore/localObjectStore.ts';
import { REPO_ROOT, type ContainerCommand } from './container.ts';
import { LocalEndpoints, type LocalEndpointsOptions } from './localEndpoints.ts';
import { LocalModelRegistry } from './localModelRegistry.ts';
import { LocalTrainingJobs } from './localTrainingJobs.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const FAKE: ContainerCommand = {
  command: process.execPath,
  args: ['--import', 'tsx', 'local/src/sagemaker/fixtures/fakeContainer.ts'],
  cwd: REPO_ROOT,
};

let dir: string;
let db: RuntimeDb;
let objects: LocalObjectStore;
let events: BusEvent[];
const emit = (e: BusEvent) => {
  events.push(e);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-sagemaker-'));
  db = openRuntimeDb(join(dir, 'state'));
  objects = new LocalObjectStore(join(dir, 'objects'), names);
  events = [];
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const spec = (jobName: string, hyperparameters: Record<string, string> = {}): TrainingJobSpec => ({
  jobName,
  datasetId: 'ds-1',
  trainPrefix: 'datasets/ds-1/train/',
  validationPrefix: 'datasets/ds-1/validation/',
  outputPrefix: 'training-jobs/',
  hyperparameters,
  environment: { CODE_VERSION: 'abc123' },
});

async function putDataset() {
  await objects.put(
    'artifacts',
    'datasets/ds-1/train/train.csv',
    'record_id,diagnosis,radius_mean\nr1,M,17.9\nr2,B,12.1\nr3,B,11.0\n',
  );
  await objects.put(
    'artifacts',
    'datasets/ds-1/validation/validation.csv',
    'record_id,diagnosis,radius_mean\nr4,M,18.2\n',
  );
}

/** The key paths of a JSON value, for comparing event shapes with AWS's samples. */
function keysOf(v: unknown, prefix = ''): string[] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  // Maps whose keys are data (hyperparameters, environment, tags) are not part of the shape.
  if (/^(HyperParameters|Environment|Tags|CustomerMetadataProperties)\.$/.test(prefix)) return [];
  return Object.entries(v).flatMap(([k, x]) => [`${prefix}${k}`, ...keysOf(x, `${prefix}${k}.`)]);
}

describe('Class: LocalTrainingJobs', () => {
  it('runs the container train over a SageMaker-shaped folder and emits Completed with the model folder', async () => {
    // Prepare
    await putDataset();
    const jobs = new LocalTrainingJobs({
      stateDir: join(dir, 'state'),
      objects,
      names,
      emit,
      container: FAKE,
    });

    // Act
    await jobs.start(spec('cancer-mlops-test-train-1', { n_estimators: '10' }));
    const during = jobs.runningJobs();
    await jobs.idle();

    // Assess
    expect(during).toBe(1);
    expect(jobs.runningJobs()).toBe(0);
    const jobDir = jobs.jobDir('cancer-mlops-test-train-1');
    expect(
      JSON.parse(readFileSync(join(jobDir, 'input', 'config', 'hyperparameters.json'), 'utf8')),
    ).toEqual({ n_estimators: '10' });
    expect(
      readFileSync(join(jobDir, 'input', 'data', 'validation', 'validation.csv'), 'utf8'),
    ).toMatch(/^record_id,diagnosis/);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      source: 'aws.sagemaker',
      'detail-type': 'SageMaker Training Job State Change',
      resources: [
        'arn:aws:sagemaker:us-east-1:000000000000:training-job/cancer-mlops-test-train-1',
      ],
      detail: {
        TrainingJobName: 'cancer-mlops-test-train-1',
        TrainingJobStatus: 'Completed',
        ModelArtifacts: {
          S3ModelArtifacts:
            's3://cancer-mlops-test-artifacts/training-jobs/cancer-mlops-test-train-1/output/model/',
        },
        HyperParameters: { n_estimators: '10' },
        Environment: { CODE_VERSION: 'abc123', DATASET_ID: 'ds-1' },
      },
    });
    const sample = awsFixture<{ detail: unknown }>('sagemaker-training-job-state-change.json');
    expect(keysOf(event.detail)).toEqual(
      expect.arrayContaining(keysOf(sample.detail).filter((k) => !k.includes('KmsKeyId'))),
    );
    expect(
      (await objects.get(
        'artifacts',
        'training-jobs/cancer-mlops-test-train-1/output/model/model.bin',
      ))!.toString(),
    ).toBe('MODEL rows=3 dataset=ds-1');
    expect(await jobs.describe('cancer-mlops-test-train-1')).toMatchObject({ status: 'Completed' });
  });

  it("emits Failed with the container's output/failure as the reason", async () => {
    // Prepare
    await putDataset();
    const jobs = new LocalTrainingJobs({
      stateDir: join(dir, 'state'),
      objects,
      names,
      emit,
      container: FAKE,
    });

    // Act
    await jobs.start(
      spec('cancer-mlops-test-train-2', {
        fake_fail: 'ClientError: train channel holds one class only (benign); both are needed',
      }),
    );
    await jobs.idle();

    // Assess
    expect(events[0].detail).toMatchObject({
      TrainingJobStatus: 'Failed',
      FailureReason: 'ClientError: train channel holds one class only (benign); both are needed',
    });
    expect(events[0].detail).not.toHaveProperty('ModelArtifacts');
    const sample = awsFixture<{ detail: unknown }>('sagemaker-training-job-failed.json');
    expect(keysOf(events[0].detail)).toEqual(
      expect.arrayContaining(keysOf(sample.detail).filter((k) => !k.includes('KmsKeyId'))),
    );
    expect(await jobs.describe('cancer-mlops-test-train-2')).toMatchObject({
      status: 'Failed',
      failureReason: expect.stringMatching(/one class only/),
    });
  });

  it('refuses a second job with the same name', async () => {
    // Prepare
    await putDataset();
    const jobs = new LocalTrainingJobs({
      stateDir: join(dir, 'state'),
      objects,
      names,
      emit,
      container: FAKE,
    });
    await jobs.start(spec('cancer-mlops-test-train-3'));

    // Act / Assess
    await expect(jobs.start(spec('cancer-mlops-test-train-3'))).rejects.toThrow(/already exists/);
    await jobs.idle();
  });

  it('fails jobs a previous runtime left running, once, with the reason', async () => {
    // Prepare: a job whose runtime died while it ran (its job.json still says InProgress).
    await putDataset();
    const first = new LocalTrainingJobs({
      stateDir: join(dir, 'state'),
      objects,
      names,
      emit,
      container: FAKE,
    });
    await first.start(spec('cancer-mlops-test-train-4', { fake_sleep_ms: '60000' }));
    await first.stopAll();
    const file = join(first.jobDir('cancer-mlops-test-train-4'), 'job.json');
    writeFileSync(
      file,
      JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), status: 'InProgress' }),
    );
    events = [];
    const second = new LocalTrainingJobs({
      stateDir: join(dir, 'state'),
      objects,
      names,
      emit,
      container: FAKE,
    });

    // Act
    const recovered = await second.recover();
    const again = await second.recover();

    // Assess
    expect([recovered, again]).toEqual([1, 0]);
    expect(events).toHaveLength(1);
    expect(events[0].detail).toMatchObject({
      TrainingJobStatus: 'Failed',
      FailureReason: expect.stringMatching(/local runtime stopped/),
    });
  });

  it('ends a stopped job as Stopped', async () => {
    // Prepare
    await putDataset();
    const jobs = new LocalTrainingJobs({
      stateDir: join(dir, 'state'),
      objects,
      names,
      emit,
      container: FAKE,
    });
    await jobs.start(spec('cancer-mlops-test-train-5', { fake_sleep_ms: '60000' }));

    // Act
    await jobs.stopAll();

    // Assess
    expect(events[0].detail).toMatchObject({ TrainingJobStatus: 'Stopped' });
  });
});

const newPackage = (trainingJob: string): NewModelPackage => ({
  group: 'cancer-prediction',
  description: `trained by ${trainingJob}`,
  modelDataUrl: `s3://cancer-mlops-test-artifacts/training-jobs/${trainingJob}/output/model/`,
  metrics: { roc_auc: 0.99, sensitivity: 0.97, threshold: 0.3 },
  reports: {
    modelQuality: 's3://b/q.json',
    dataStatistics: 's3://b/s.json',
    dataConstraints: 's3://b/c.json',
  },
  lineage: {
    datasetId: 'ds-1',
    datasetUri: 's3://b/datasets/ds-1/',
    codeVersion: 'abc123',
    trainingJob,
    hyperparameters: { n_estimators: '10' },
    featureGroupVersion: 1,
  },
  customerMetadata: { training_reason: 'manual' },
});

describe('Class: LocalModelRegistry', () => {
  it('numbers versions per group, stores metrics and lineage, and emits the package state change', async () => {
    // Prepare
    const registry = new LocalModelRegistry({ db, emit, group: 'cancer-prediction' });

    // Act
    const first = await registry.createPackage(newPackage('job-1'));
    const second = await registry.createPackage(newPackage('job-2'));
    const again = await registry.createPackage(newPackage('job-1'));

    // Assess
    expect([first.version, second.version, again]).toEqual([1, 2, first]);
    expect(first.arn).toBe(
      'arn:aws:sagemaker:us-east-1:000000000000:model-package/cancer-prediction/1',
    );
    expect(await registry.get(2)).toMatchObject({
      version: 2,
      status: 'PendingManualApproval',
      metrics: { roc_auc: 0.99 },
      lineage: { trainingJob: 'job-2' },
    });
    expect((await registry.list('cancer-prediction')).map((p) => p.version)).toEqual([2, 1]);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      source: 'aws.sagemaker',
      'detail-type': 'SageMaker Model Package State Change',
      resources: [first.arn],
      detail: {
        ModelPackageGroupName: 'cancer-prediction',
        ModelPackageVersion: 1,
        ModelPackageArn: first.arn,
        ModelApprovalStatus: 'PendingManualApproval',
      },
    });
    const sample = awsFixture<{ detail: unknown }>('sagemaker-model-package-state-change.json');
    expect(keysOf(events[0].detail)).toEqual(
      expect.arrayContaining(keysOf(sample.detail).filter((k) => !k.includes('ImageDigest'))),
    );
  });

  it('emits on a change of approval, with the description, and not when nothing changes', async () => {
    // Prepare
    const registry = new LocalModelRegistry({ db, emit, group: 'cancer-prediction' });
    const { arn } = await registry.createPackage(newPackage('job-1'));

    // Act
    await registry.updateApproval(arn, 'Approved', 'policy approved v1');
    await registry.updateApproval(arn, 'Approved', 'policy approved v1');

    // Assess
    expect(
      events.map((e) => (e.detail as { ModelApprovalStatus: string }).ModelApprovalStatus),
    ).toEqual(['PendingManualApproval', 'Approved']);
    expect(events[1].detail).toMatchObject({ ApprovalDescription: 'policy approved v1' });
    expect(await registry.get(arn)).toMatchObject({
      status: 'Approved',
      approvalDescription: 'policy approved v1',
    });
  });

  it('refuses to update a package it does not know', async () => {
    const registry = new LocalModelRegistry({ db, emit, group: 'cancer-prediction' });
    await expect(
      registry.updateApproval(
        'arn:aws:sagemaker:us-east-1:000000000000:model-package/cancer-prediction/9',
        'Approved',
        'x',
      ),
    ).rejects.toThrow(/does not exist/);
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function packageWithModel(version: number, content: string): Promise<ModelPackage> {
  const job = `job-v${version}`;
  await objects.put('artifacts', `training-jobs/${job}/output/model/model.bin`, content);
  return {
    ...newPackage(job),
    arn: `arn:aws:sagemaker:us-east-1:000000000000:model-package/cancer-prediction/${version}`,
    version,
    status: 'Approved',
    createdAt: new Date(),
    updatedAt: new Date(),
  };
}

describe('Class: LocalEndpoints', () => {
  let endpoints: LocalEndpoints | undefined;
  afterEach(async () => {
    await endpoints?.stopAll();
    endpoints = undefined;
  });
  const make = (options: Partial<LocalEndpointsOptions> = {}) =>
    new LocalEndpoints({
      stateDir: join(dir, 'state'),
      db,
      objects,
      names,
      container: FAKE,
      healthTimeoutMs: 15_000,
      drainMs: 50,
      ...options,
    });

  it('serves a deployed model, then switches to the next one and stops the old server', async () => {
    // Prepare
    endpoints = make();
    const v1 = await packageWithModel(1, 'MODEL-ONE');
    const v2 = await packageWithModel(2, 'MODEL-TWO');

    // Act
    const first = await endpoints.deploy(v1);
    const answer1 = JSON.parse(
      (await endpoints.invoke('1,2,3', 'text/csv', 'application/json')).body.toString(),
    );
    const second = await endpoints.deploy(v2);
    const answer2 = JSON.parse(
      (await endpoints.invoke('1,2,3', 'text/csv', 'application/json')).body.toString(),
    );

    // Assess
    expect(first).toMatchObject({
      status: 'InService',
      current: { version: 1, endpoint: 'cancer-mlops-test-endpoint' },
      previous: null,
    });
    expect(second).toMatchObject({ current: { version: 2 }, previous: { version: 1 } });
    expect(answer1).toEqual({ model: 'MODEL-ONE', bytes: 5 });
    expect(answer2).toEqual({ model: 'MODEL-TWO', bytes: 5 });
    expect(await endpoints.current()).toMatchObject({
      version: 2,
      packageArn: v2.arn,
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    });
  }, 60_000);

  it('keeps the old model serving when the new one never becomes healthy', async () => {
    // Prepare
    endpoints = make();
    await endpoints.deploy(await packageWithModel(1, 'MODEL-ONE'));

    // Act
    const crashing = endpoints.deploy(await packageWithModel(2, 'BROKEN'));
    await expect(crashing).rejects.toThrow(DeploymentFailedError);
    await crashing.catch((e: DeploymentFailedError) => {
      expect(e.message).toMatch(
        /^v2 did not become healthy: serve exited \(code 3\) before it was healthy \(stderr: model.bin is corrupted\)/,
      );
      expect(e.previous).toMatchObject({ version: 1 });
    });

    // Assess
    expect(await endpoints.current()).toMatchObject({ version: 1 });
    expect(
      JSON.parse((await endpoints.invoke('1', 'text/csv', 'application/json')).body.toString())
        .model,
    ).toBe('MODEL-ONE');
  }, 60_000);

  it('fails a deployment whose /ping never answers 200 within the health timeout', async () => {
    // Prepare
    endpoints = make({ healthTimeoutMs: 1500 });

    // Act
    const act = endpoints.deploy(await packageWithModel(1, 'UNHEALTHY'));

    // Assess
    await expect(act).rejects.toThrow(
      /no healthy answer within 1500 ms \(GET \/ping answered 500\)/,
    );
    expect(await endpoints.current()).toBeNull();
  }, 30_000);

  it('passes the container’s error status on, and says when nothing is deployed', async () => {
    // Prepare
    endpoints = make();

    // Act / Assess
    await expect(endpoints.invoke('1', 'text/csv', 'application/json')).rejects.toThrow(
      NoEndpointError,
    );
    await endpoints.deploy(await packageWithModel(1, 'MODEL-ONE'));
    const bad = endpoints.invoke('1', 'text/plain', 'application/json');
    await expect(bad).rejects.toThrow(ModelInvocationError);
    await bad.catch((e: ModelInvocationError) => expect(e.statusCode).toBe(415));
  }, 30_000);

  it('serves the deployed model again after a restart of the runtime', async () => {
    // Prepare
    endpoints = make();
    await endpoints.deploy(await packageWithModel(3, 'MODEL-THREE'));
    await endpoints.stopAll();
    endpoints = make();

    // Act
    const before = await endpoints.current();
    const restored = await endpoints.restore();

    // Assess
    expect(before).toMatchObject({ version: 3 });
    expect(before).not.toHaveProperty('url');
    expect(restored).toMatchObject({ version: 3, url: expect.any(String) });
    expect(
      JSON.parse((await endpoints.invoke('1', 'text/csv', 'application/json')).body.toString())
        .model,
    ).toBe('MODEL-THREE');
  }, 60_000);

  it('kills a server that stops answering /ping and serves again from a fresh process', async () => {
    // Prepare: the fake server hangs (answers nothing) while the stall file exists.
    const stall = join(dir, 'stall');
    endpoints = make({ healthCheckMs: 100, env: { FAKE_STALL_FILE: stall } });
    await endpoints.deploy(await packageWithModel(1, 'MODEL-ONE'));
    const before = (await endpoints.current())?.url;

    // Act: hang it; once the health check has killed it, let the next process answer.
    writeFileSync(stall, '');
    const hung = endpoints.invoke('1', 'text/csv', 'application/json');
    hung.catch(() => undefined);
    await waitFor(async () => (await endpoints!.current())?.url === undefined);
    rmSync(stall);
    await waitFor(async () => (await endpoints!.current())?.url !== undefined);
    const answer = await endpoints.invoke('1', 'text/csv', 'application/json');

    // Assess: the request caught in the hang fails as "not answering", not as a crash.
    await expect(hung).rejects.toThrow(NoEndpointError);
    expect((await endpoints.current())?.url).not.toBe(before);
    expect(JSON.parse(answer.body.toString())).toEqual({ model: 'MODEL-ONE', bytes: 1 });
  });

  it('records each invocation for data capture, and forwards explain as a SageMaker custom attribute', async () => {
    // Prepare
    const captured: unknown[] = [];
    endpoints = new LocalEndpoints({
      stateDir: join(dir, 'state'),
      db,
      objects,
      names,
      container: FAKE,
      capture: { record: (e) => captured.push(e) },
    });
    await endpoints.deploy(await packageWithModel(1, 'MODEL-ONE'));

    // Act
    await endpoints.invoke('17.99,10.38', 'text/csv', 'application/json');
    const explained = await endpoints.invoke('1', 'text/csv', 'application/json', {
      inferenceId: 'inf-1',
      explain: true,
    });

    // Assess
    expect(JSON.parse(explained.body.toString())).toMatchObject({ attributes: 'explain=values' });
    expect(captured).toEqual([
      {
        input: Buffer.from('17.99,10.38'),
        output: Buffer.from('{"model":"MODEL-ONE","bytes":11}'),
        inputContentType: 'text/csv',
        outputContentType: 'application/json',
      },
      expect.objectContaining({ inferenceId: 'inf-1', input: Buffer.from('1') }),
    ]);
  }, 30_000);
});
