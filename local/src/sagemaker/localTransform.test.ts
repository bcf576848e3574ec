import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';
import { modelFeatureNames } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { trainModel } from '@cancer-mlops/shared/domain/model/index.ts';
import type { ModelPackage } from '@cancer-mlops/shared/ports/sagemaker.ts';
import type { TransformJobSpec } from '@cancer-mlops/shared/ports/transform.ts';
import { LocalObjectStore } from '../objectStore/localObjectStore.ts';
import { REPO_ROOT } from './container.ts';
import { LocalTransformJobs, parseOutputFilter } from './localTransform.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const ARN = 'arn:aws:sagemaker:us-east-1:000000000000:model-package/cancer-prediction/3';
const WDBC = new URL('../../../data/wdbc.data', import.meta.url);

/** A small real forest on WDBC (score: 8 for malignant, 2 for benign), and the data as model rows. */
async function smallModel(): Promise<{ bytes: Uint8Array; lines: string[] }> {
  const rows = (await readFile(WDBC, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const d = 31;
  const X = new Float64Array(rows.length * d);
  const y = new Uint8Array(rows.length);
  const lines: string[] = [];
  rows.forEach((r, i) => {
    y[i] = r[1] === 'M' ? 1 : 0;
    const values = [...r.slice(2).map(Number), y[i] ? 8 : 2];
    values.forEach((v, j) => (X[i * d + j] = v));
    lines.push(values.join(','));
  });
  const { bytes } = await trainModel(X, y, modelFeatureNames(), {
    datasetId: 'test',
    hyperparameters: { nEstimators: 5 },
    workers: 0,
    cvFolds: 0,
    permutationRepeats: 0,
  });
  return { bytes, lines };
}

const spec = (jobName: string, overrides: Partial<TransformJobSpec> = {}): TransformJobSpec => ({
  jobName,
  inputKey: `batch/${jobName}/input.csv`,
  outputPrefix: `batch/${jobName}/output/`,
  modelVersion: 3,
  packageArn: ARN,
  contentType: 'text/csv',
  splitType: 'Line',
  batchStrategy: 'MultiRecord',
  assembleWith: 'Line',
  maxPayloadMb: 1,
  inputFilter: '$[1:]',
  joinSource: 'Input',
  outputFilter: '$[0,-2,-1]',
  ...overrides,
});

describe('Class: LocalTransformJobs', () => {
  let dir: string;
  let objects: LocalObjectStore;
  let events: BusEvent[];
  let jobs: LocalTransformJobs;
  let lines: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transform-'));
    objects = new LocalObjectStore(join(dir, 'objects'), names);
    const model = await smallModel();
    lines = model.lines;
    await objects.put('artifacts', 'training-jobs/t1/output/model/model.bin', model.bytes);
    const pkg = {
      arn: ARN,
      version: 3,
      modelDataUrl: 's3://cancer-mlops-test-artifacts/training-jobs/t1/output/model/',
    } as ModelPackage;
    events = [];
    jobs = new LocalTransformJobs({
      objects,
      registry: { get: async (arn) => (arn === ARN ? pkg : undefined) },
      names,
      stateDir: dir,
      emit: (e) => void events.push(e),
      instances: 1,
    });
  }, 60_000);

  afterAll(async () => {
    await jobs.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the input through the container in mini-batches and joins each prediction to its record id, in order', async () => {
    // Prepare: 569 WDBC rows, ~100 KB, so a 1 MB payload... and a 20 KB one to force many batches.
    const input = `${lines.map((l, i) => `id-${i}\u00e9,${l}`).join('\n')}\n`;
    await objects.put('artifacts', 'batch/job-a/input.csv', input);
    await objects.put('artifacts', 'batch/job-b/input.csv', input);
    // Act
    await jobs.start(spec('job-a'));
    await jobs.start({ ...spec('job-b'), maxPayloadMb: 0.02 });
    await jobs.idle();
    // Assess
    const a = (
      (await objects.get('artifacts', 'batch/job-a/output/input.csv.out')) as Buffer
    ).toString('utf8');
    const b = (
      (await objects.get('artifacts', 'batch/job-b/output/input.csv.out')) as Buffer
    ).toString('utf8');
    const out = a.trimEnd().split('\n');
    expect(out).toHaveLength(lines.length);
    out.forEach((l, i) =>
      expect(l).toMatch(
        new RegExp(`^id-${i}\u00e9,(0(\\.\\d+)?|1|\\d\\.\\d+e-\\d+),(malignant|benign)$`),
      ),
    );
    expect(b).toBe(a);
    const malignant = out.filter(
      (l, i) => l.endsWith(',malignant') === lines[i].endsWith(',8'),
    ).length;
    expect(malignant / lines.length).toBeGreaterThan(0.9);
  }, 60_000);

  it('emits real-shaped Transform Job State Change events: InProgress, then Completed', () => {
    const forA = events.filter(
      (e) => (e.detail as { TransformJobName: string }).TransformJobName === 'job-a',
    );
    expect(
      forA.map((e) => (e.detail as { TransformJobStatus: string }).TransformJobStatus),
    ).toEqual(['InProgress', 'Completed']);
    expect(forA[1]).toMatchObject({
      source: 'aws.sagemaker',
      'detail-type': 'SageMaker Transform Job State Change',
      resources: ['arn:aws:sagemaker:us-east-1:000000000000:transform-job/job-a'],
      detail: {
        TransformJobArn: 'arn:aws:sagemaker:us-east-1:000000000000:transform-job/job-a',
        ModelName: 'cancer-mlops-test-model-v3',
        BatchStrategy: 'MultiRecord',
        MaxPayloadInMB: 1,
        TransformInput: {
          DataSource: {
            S3DataSource: {
              S3DataType: 'S3Prefix',
              S3Uri: 's3://cancer-mlops-test-artifacts/batch/job-a/input.csv',
            },
          },
          ContentType: 'text/csv',
          SplitType: 'Line',
        },
        TransformOutput: {
          S3OutputPath: 's3://cancer-mlops-test-artifacts/batch/job-a/output/',
          AssembleWith: 'Line',
        },
        TransformStartTime: expect.stringMatching(/Z$/),
        TransformEndTime: expect.stringMatching(/Z$/),
      },
    });
  });

  it('starts a job name once, as SageMaker does', async () => {
    const before = events.length;
    await jobs.start(spec('job-a'));
    await jobs.idle();
    expect(events.length).toBe(before);
  });

  it("fails the job with the model's reason when the container refuses a mini-batch", async () => {
    // Prepare: a row with too few columns.
    await objects.put('artifacts', 'batch/job-c/input.csv', `x-1,${lines[0]}\nx-2,1,2,3\n`);
    // Act
    await jobs.start(spec('job-c'));
    await jobs.idle();
    // Assess
    const last = events.at(-1) as BusEvent<{
      TransformJobStatus: string;
      FailureReason?: string;
      TransformJobName: string;
    }>;
    expect(last.detail).toMatchObject({
      TransformJobName: 'job-c',
      TransformJobStatus: 'Failed',
      FailureReason: expect.stringMatching(/^ClientError: the model answered 400/),
    });
    expect(await objects.head('artifacts', 'batch/job-c/output/input.csv.out')).toBeUndefined();
  }, 30_000);

  it('refuses what the local transform cannot honour', async () => {
    await expect(jobs.start(spec('job d'))).rejects.toThrow(/ValidationException/);
    await expect(jobs.start(spec('job-e', { inputFilter: '$.features' }))).rejects.toThrow(
      /InputFilter/,
    );
    expect(parseOutputFilter('$[0, -2,-1]')).toEqual([0, -2, -1]);
    expect(parseOutputFilter('$')).toBeUndefined();
  });
});

describe('Class: LocalTransformJobs, when a container dies', () => {
  it('retries the mini-batch on another container and completes the job', async () => {
    // Prepare: two fake containers; the first to get a mini-batch dies (once).
    const dir = await mkdtemp(join(tmpdir(), 'transform-crash-'));
    const objects = new LocalObjectStore(join(dir, 'objects'), names);
    await objects.put('artifacts', 'training-jobs/t1/output/model/model.bin', 'MODEL');
    const pkg = {
      arn: ARN,
      version: 3,
      modelDataUrl: 's3://cancer-mlops-test-artifacts/training-jobs/t1/output/model/',
    } as ModelPackage;
    const events: BusEvent[] = [];
    const crashFile = join(dir, 'crash-once');
    await writeFile(crashFile, '');
    process.env.FAKE_CRASH_ONCE_FILE = crashFile;
    const jobs = new LocalTransformJobs({
      objects,
      registry: { get: async (arn) => (arn === ARN ? pkg : undefined) },
      names,
      stateDir: dir,
      emit: (e) => void events.push(e),
      instances: 2,
      container: {
        command: process.execPath,
        args: ['--import', 'tsx', 'local/src/sagemaker/fixtures/fakeContainer.ts'],
        cwd: REPO_ROOT,
      },
    });
    const input = Array.from({ length: 50 }, (_, i) => `r${i},1,2,3`).join('\n');
    await objects.put('artifacts', 'batch/job-x/input.csv', `${input}\n`);

    try {
      // Act
      await jobs.start(spec('job-x'));
      await jobs.idle();

      // Assess: the crash happened, and every row still got its answer.
      const last = events.at(-1) as BusEvent<{ TransformJobStatus: string }>;
      expect(last.detail.TransformJobStatus).toBe('Completed');
      await expect(readFile(crashFile)).rejects.toThrow(/ENOENT/);
      const out = (await objects.get('artifacts', 'batch/job-x/output/input.csv.out'))!.toString();
      expect(out.trimEnd().split('\n')).toHaveLength(50);
      expect(out.split('\n')[0]).toBe('r0,0.5,benign');
    } finally {
      delete process.env.FAKE_CRASH_ONCE_FILE;
      await jobs.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
