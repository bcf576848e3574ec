import type { S3Event } from 'aws-lambda';
import { BatchCompletedSchema } from '@cancer-mlops/shared/contracts/events.ts';
import {
  lambdaContext,
  s3EventFactory,
  transformJobStateChange,
} from '@cancer-mlops/shared/testing/factories.ts';
import { createHandler as createPrepare } from './onBatchObject.ts';
import { createHandler } from './onTransformDone.ts';
import type { BatchSummary } from '../batchKeys.ts';
import {
  deployed,
  fakeEvents,
  fakeScorer,
  fakeTransform,
  HEADER,
  MemoryObjects,
  names,
  ROW_1,
  ROW_2,
} from '../../test/batchFakes.ts';

const line = (id: string, values: number[], score: number | string) =>
  `${id},${values.join(',')},${score}`;

/** A prepared batch (through onBatchObject) and what SageMaker's transform would write for it. */
async function prepared() {
  const objects = new MemoryObjects();
  const transform = fakeTransform();
  const prepare = createPrepare(async () => ({
    names,
    objects,
    scorer: fakeScorer(),
    transform,
    endpoints: { current: async () => deployed() },
    now: () => new Date(),
  }));
  const body = [HEADER, line('r-1', ROW_1, 9), line('r-2', ROW_2, 400), line('r-3', ROW_2, 1)].join(
    '\n',
  );
  await objects.put('batch-in', 'in/day 1.csv', body);
  await prepare(
    s3EventFactory({ bucket: 'cancer-mlops-test-batch-in', key: 'in/day 1.csv' }) as S3Event,
    lambdaContext(),
  );
  const spec = transform.specs[0];
  const events = fakeEvents();
  const handler = createHandler(async () => ({ objects, events, now: () => new Date() }));
  return { objects, spec, events, handler };
}

describe('Handler: batch.onTransformDone', () => {
  it('Completed: writes <name>.out in input order with header and model version, the summary, and BatchCompleted', async () => {
    // Prepare
    const { objects, spec, events, handler } = await prepared();
    await objects.put(
      'artifacts',
      `${spec.outputPrefix}input.csv.out`,
      'r-1,0.97,malignant\r\nr-3,0.02,benign\n',
    );
    // Act
    await handler(
      transformJobStateChange({ jobName: spec.jobName, status: 'Completed' }),
      lambdaContext(),
    );
    // Assess
    expect(objects.text('batch-out', 'in/day 1.out')).toBe(
      'record_id,probability_malignant,prediction,model_version\nr-1,0.97,malignant,7\nr-3,0.02,benign,7\n',
    );
    const summary = JSON.parse(
      objects.text('batch-out', 'in/day 1.summary.json') as string,
    ) as BatchSummary;
    expect(summary).toMatchObject({
      job_name: spec.jobName,
      status: 'Completed',
      input: { bucket: 'batch-in', key: 'in/day 1.csv' },
      output_key: 'in/day 1.out',
      errors_key: 'in/day 1.errors.jsonl',
      rows: 3,
      predicted: 2,
      errors: 1,
      model_version: 7,
    });
    expect(summary.timings.total_ms).toBeGreaterThanOrEqual(0);
    expect(events.published).toHaveLength(1);
    expect(events.published[0]).toMatchObject({
      source: 'cancer-mlops.batch',
      'detail-type': 'BatchCompleted',
    });
    expect(BatchCompletedSchema.parse(events.published[0].detail)).toEqual({
      job_name: spec.jobName,
      input_key: 'in/day 1.csv',
      output_key: 'in/day 1.out',
      errors_key: 'in/day 1.errors.jsonl',
      summary_key: 'in/day 1.summary.json',
      rows: 3,
      predicted: 2,
      errors: 1,
      model_version: '7',
      status: 'Completed',
    });
  });

  it("Failed: the summary carries SageMaker's reason and BatchCompleted says Failed", async () => {
    const { objects, spec, events, handler } = await prepared();
    await handler(
      transformJobStateChange({
        jobName: spec.jobName,
        status: 'Failed',
        failureReason: 'ClientError: the model answered 500',
      }),
      lambdaContext(),
    );
    const summary = JSON.parse(
      objects.text('batch-out', 'in/day 1.summary.json') as string,
    ) as BatchSummary;
    expect(summary).toMatchObject({
      status: 'Failed',
      failure_reason: 'ClientError: the model answered 500',
      predicted: 0,
      output_key: null,
    });
    expect(objects.text('batch-out', 'in/day 1.out')).toBeUndefined();
    expect((events.published[0].detail as { status: string }).status).toBe('Failed');
  });

  it('marks the batch Failed when the transform lost rows', async () => {
    const { objects, spec, handler } = await prepared();
    await objects.put('artifacts', `${spec.outputPrefix}input.csv.out`, 'r-1,0.97,malignant\n');
    await handler(
      transformJobStateChange({ jobName: spec.jobName, status: 'Completed' }),
      lambdaContext(),
    );
    const summary = JSON.parse(
      objects.text('batch-out', 'in/day 1.summary.json') as string,
    ) as BatchSummary;
    expect(summary).toMatchObject({
      status: 'Failed',
      failure_reason: 'the transform returned 1 predictions for 2 rows',
    });
  });

  it('ignores a job batch did not start, and refuses events that are not transform state changes', async () => {
    const { events, handler } = await prepared();
    await handler(
      transformJobStateChange({ jobName: 'cancer-mlops-test-batch-unknown', status: 'Completed' }),
      lambdaContext(),
    );
    expect(events.published).toEqual([]);
    const wrong = {
      ...transformJobStateChange({ jobName: 'x', status: 'Completed' }),
      'detail-type': 'SageMaker Training Job State Change',
    };
    await expect(handler(wrong, lambdaContext())).rejects.toThrow(/unexpected detail-type/);
  });
});
