import { z } from 'zod';
import { lambdaContext, sqsEventFactory } from '../testing/factories.ts';
import { FAILURE_REASONS, sqsConsumer, type SqsBatchResult } from './sqsConsumer.ts';

const Schema = z.object({ n: z.number() }).strict();

describe('Function: sqsConsumer', () => {
  it('reports only the failed records, with a reason for each', async () => {
    // Prepare
    const seen: number[] = [];
    const handler = sqsConsumer({ service: 'test', schema: Schema }, async ({ n }) => {
      if (n === 2) throw new Error('two is unlucky');
      seen.push(n);
    });
    const event = sqsEventFactory([{ n: 1 }, { n: 2 }, { wrong: true }, { n: 4 }]);
    const ids = event.Records.map((r) => r.messageId);

    // Act
    const result = (await handler(event, lambdaContext())) as SqsBatchResult;

    // Assess
    expect(seen).toEqual([1, 4]);
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: ids[1] },
      { itemIdentifier: ids[2] },
    ]);
    const reasons = result[FAILURE_REASONS]!;
    expect(reasons.get(ids[1])).toBe('Error: two is unlucky');
    expect(reasons.get(ids[2])).toMatch(/^invalid message: /);
    expect(reasons.get(ids[2])).toMatch(/n: expected number/);
    // The reasons never serialise into what Lambda sees.
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      batchItemFailures: result.batchItemFailures,
    });
  });

  it('fails a body that is not JSON without touching the others', async () => {
    // Prepare
    const handler = sqsConsumer({ service: 'test', schema: Schema }, async () => undefined);
    const event = sqsEventFactory([{ n: 1 }, 'not json {']);

    // Act
    const result = (await handler(event, lambdaContext())) as SqsBatchResult;

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1].messageId }]);
    expect(result[FAILURE_REASONS]!.get(event.Records[1].messageId)).toBe(
      'Error: message body is not JSON',
    );
  });

  it('processes records concurrently when asked, and still reports each failure', async () => {
    // Prepare
    let running = 0;
    let peak = 0;
    const handler = sqsConsumer(
      { service: 'test', schema: Schema, concurrency: 3 },
      async ({ n }) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setImmediate(r));
        running--;
        if (n % 2) throw new Error('odd');
      },
    );

    // Act
    const result = (await handler(
      sqsEventFactory([1, 2, 3, 4, 5, 6].map((n) => ({ n }))),
      lambdaContext(),
    )) as SqsBatchResult;

    // Assess
    expect(peak).toBe(3);
    expect(result.batchItemFailures).toHaveLength(3);
  });

  it('rejects an event that is not an SQS batch', async () => {
    // Prepare
    const handler = sqsConsumer({ service: 'test', schema: Schema }, async () => undefined);

    // Act + Assess
    await expect(handler({} as never, lambdaContext())).rejects.toThrow('not an SQS event');
  });
});
