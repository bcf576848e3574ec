import {
  lambdaContext,
  s3EventFactory,
  s3TestEvent,
} from '@cancer-mlops/shared/testing/factories.ts';
import type { S3Event } from 'aws-lambda';
import type { BatchDeps } from '../prepareBatch.ts';
import { createHandler } from './onBatchObject.ts';
import type { BatchManifest, BatchSummary } from '../batchKeys.ts';
import {
  deployed,
  fakeScorer,
  fakeTransform,
  HEADER,
  MemoryObjects,
  names,
  PACKAGE_ARN,
  ROW_1,
  ROW_2,
} from '../../test/batchFakes.ts';

const line = (id: string, values: number[], score: number | string) =>
  `${id},${values.join(',')},${score}`;
const GOOD_AND_BAD = [
  `${HEADER},pathology_note`,
  `${line('n-1', ROW_1, '')},"Invasive ductal carcinoma, grade 9"`,
  `${line('n-2', ROW_2, 2)},`,
  `${line(
    'n-3',
    ROW_2.map((v, i) => (i === 2 ? -5 : v)),
    2,
  )},`,
  `${line('n-4', ROW_2, '')},"also a note 4"`,
  `${line('n-5', ROW_1, 10)},`,
].join('\n');

function setup(current = deployed() as ReturnType<typeof deployed> | null) {
  const objects = new MemoryObjects();
  const transform = fakeTransform();
  const scorer = fakeScorer();
  const deps: BatchDeps = {
    names,
    objects,
    scorer,
    transform,
    endpoints: { current: async () => current },
    now: () => new Date('2026-02-03T04:05:06Z'),
  };
  const handler = createHandler(async () => deps);
  const drop = async (key: string, body: string) => {
    await objects.put('batch-in', key, body);
    await handler(
      s3EventFactory({ bucket: 'cancer-mlops-test-batch-in', key }) as S3Event,
      lambdaContext(),
    );
  };
  return { objects, transform, scorer, handler, drop };
}

describe('Handler: batch.onBatchObject', () => {
  it('prepares the transform input, streams bad rows to the errors file and starts the job', async () => {
    // Prepare
    const { objects, transform, scorer, drop } = setup();
    // Act
    await drop('nightly/Jan 2026.csv', GOOD_AND_BAD);
    // Assess
    expect(transform.specs).toHaveLength(1);
    const spec = transform.specs[0];
    expect(spec).toMatchObject({
      jobName: expect.stringMatching(/^cancer-mlops-test-batch-[0-9a-f]{16}$/),
      contentType: 'text/csv',
      splitType: 'Line',
      batchStrategy: 'MultiRecord',
      assembleWith: 'Line',
      inputFilter: '$[1:]',
      joinSource: 'Input',
      outputFilter: '$[0,-2,-1]',
      modelVersion: 7,
      packageArn: PACKAGE_ARN,
    });
    expect(spec.jobName.length).toBeLessThanOrEqual(63);
    expect(objects.text('artifacts', spec.inputKey)).toBe(
      [
        line('n-1', ROW_1, 9),
        line('n-2', ROW_2, 2),
        line('n-4', ROW_2, 4),
        line('n-5', ROW_1, 10),
        '',
      ].join('\n'),
    );
    expect(scorer.notes).toEqual(['Invasive ductal carcinoma, grade 9', 'also a note 4']);
    const errors = (objects.text('batch-out', 'nightly/Jan 2026.errors.jsonl') ?? '')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(errors).toEqual([
      {
        row: 3,
        record_id: 'n-3',
        errors: [
          { field: 'perimeter_mean', reason: 'out of the physically possible range 0 to 1500' },
        ],
      },
    ]);
    const manifest = JSON.parse(
      objects.text('artifacts', `batch/${spec.jobName}/manifest.json`) as string,
    ) as BatchManifest;
    expect(manifest).toMatchObject({
      input: { bucket: 'batch-in', key: 'nightly/Jan 2026.csv' },
      rows: 5,
      valid: 4,
      errors: 1,
      notes_scored: 2,
      output_key: 'nightly/Jan 2026.out',
      errors_key: 'nightly/Jan 2026.errors.jsonl',
      summary_key: 'nightly/Jan 2026.summary.json',
      transform_output_key: `batch/${spec.jobName}/output/input.csv.out`,
    });
    expect(JSON.stringify(manifest)).not.toContain('carcinoma');
  });

  it('starts nothing twice when S3 delivers the same notification again', async () => {
    // Prepare
    const { objects, transform, scorer, handler, drop } = setup();
    await drop('a.csv', GOOD_AND_BAD);
    // Act
    await handler(
      s3EventFactory({ bucket: 'cancer-mlops-test-batch-in', key: 'a.csv' }) as S3Event,
      lambdaContext(),
    );
    // Assess
    expect(transform.specs.map((s) => s.jobName)).toEqual([
      transform.specs[0].jobName,
      transform.specs[0].jobName,
    ]);
    expect(scorer.notes).toHaveLength(2);
    expect(objects.keys('artifacts').filter((k) => k.endsWith('input.csv'))).toHaveLength(1);
  });

  it('writes a Failed summary, and starts nothing, when no model is deployed', async () => {
    const { objects, transform, drop } = setup(null);
    await drop('b.jsonl', '{"record_id":"x"}\n');
    const summary = JSON.parse(
      objects.text('batch-out', 'b.summary.json') as string,
    ) as BatchSummary;
    expect(summary).toMatchObject({
      status: 'Failed',
      failure_reason: expect.stringMatching(/^no model is deployed/),
      job_name: null,
      rows: 0,
    });
    expect(transform.specs).toEqual([]);
  });

  it('writes a Failed summary with one reason for a file it cannot read', async () => {
    const { objects, transform, drop } = setup();
    await drop('c.csv', 'name,ward\nJane Roe,3\n');
    const summary = JSON.parse(
      objects.text('batch-out', 'c.summary.json') as string,
    ) as BatchSummary;
    expect(summary.status).toBe('Failed');
    expect(summary.failure_reason).toMatch(/^no recognised header/);
    expect(JSON.stringify(summary)).not.toContain('Jane');
    expect(transform.specs).toEqual([]);
  });

  it('leaves no errors file beside the summary of a file refused whole', async () => {
    // Prepare: a first "row" over 4 MB with no line break, so no header is ever read.
    const { objects, drop } = setup();
    // Act
    await drop('oneline.csv', 'a'.repeat(4_100_000));
    // Assess
    const summary = JSON.parse(
      objects.text('batch-out', 'oneline.summary.json') as string,
    ) as BatchSummary;
    expect(summary).toMatchObject({ status: 'Failed', errors: 0, errors_key: null });
    expect(summary.failure_reason).toMatch(/header/);
    expect(objects.text('batch-out', 'oneline.errors.jsonl')).toBeUndefined();
  });

  it('removes what an earlier file of the same name left that this one does not write', async () => {
    // Prepare: last night's x.csv had a bad row and predictions.
    const { objects, drop } = setup();
    await drop('x.csv', GOOD_AND_BAD);
    await objects.put('batch-out', 'x.out', 'record_id,probability_malignant\nn-1,0.9\n');
    expect(objects.text('batch-out', 'x.errors.jsonl')).toBeDefined();
    // Act: tonight's is clean, then tomorrow's is empty.
    await drop('x.csv', `${HEADER}\n${line('c-1', ROW_1, 9)}\n`);
    const errorsAfterClean = objects.text('batch-out', 'x.errors.jsonl');
    const summaryAfterClean = objects.text('batch-out', 'x.summary.json');
    await drop('x.csv', '');
    // Assess
    expect(errorsAfterClean).toBeUndefined();
    expect(summaryAfterClean).toBeUndefined(); // written by onTransformDone, when the job ends
    expect(objects.text('batch-out', 'x.out')).toBeUndefined();
    expect(JSON.parse(objects.text('batch-out', 'x.summary.json') as string)).toMatchObject({
      status: 'Failed',
      output_key: null,
    });
  });

  it('finishes at once, with an empty output, when every row is bad', async () => {
    const { objects, transform, drop } = setup();
    await drop('d.csv', `${HEADER}\n${line('z', ROW_1, 99)}\n`);
    expect(transform.specs).toEqual([]);
    expect(objects.text('batch-out', 'd.out')).toBe(
      'record_id,probability_malignant,prediction,model_version\n',
    );
    expect(JSON.parse(objects.text('batch-out', 'd.summary.json') as string)).toMatchObject({
      status: 'Completed',
      rows: 1,
      predicted: 0,
      errors: 1,
      errors_key: 'd.errors.jsonl',
    });
  });

  it('ignores S3 test events and folder markers, and refuses buckets of another deployment', async () => {
    const { handler, transform } = setup();
    await handler(s3TestEvent() as unknown as S3Event, lambdaContext());
    await handler(
      s3EventFactory({ bucket: 'cancer-mlops-test-batch-in', key: 'folder/' }) as S3Event,
      lambdaContext(),
    );
    await expect(
      handler(
        s3EventFactory({ bucket: 'other-prod-batch-in', key: 'x.csv' }) as S3Event,
        lambdaContext(),
      ),
    ).rejects.toThrow(/is not this deployment's batch-in bucket/);
    expect(transform.specs).toEqual([]);
  });
});
