import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { createLogger } from './logger.ts';
import { describeError } from './errors.ts';

/**
 * Reasons for failed records, keyed by message id, attached to the batch response under a
 * symbol: Lambda ignores it (it never serialises), the local mesh reads it so a dead letter
 * says why. On AWS the same reason is in the function's log next to the message id.
 */
export const FAILURE_REASONS = Symbol.for('cancer-mlops.failureReasons');
export type SqsBatchResult = SQSBatchResponse & { [FAILURE_REASONS]?: Map<string, string> };

export interface SqsConsumerOptions<T> {
  service: string;
  /** Parses each body; a body that fails is a failed record with the schema's reason. */
  schema: z.ZodType<T>;
  /** Records processed at once; 1 keeps order, more speeds up I/O-bound work. */
  concurrency?: number;
}

export type RecordProcessor<T> = (message: T, record: SQSRecord, context: Context) => Promise<void>;

/**
 * An SQS consumer that reports partial batch failures: only the records that failed are
 * retried (ReportBatchItemFailures), the others are deleted by Lambda.
 */
export function sqsConsumer<T>(options: SqsConsumerOptions<T>, process: RecordProcessor<T>) {
  const log = createLogger(options.service);
  const concurrency = Math.max(1, options.concurrency ?? 1);
  return middy<SQSEvent, SqsBatchResult>().handler(async (event, context) => {
    if (!event || !Array.isArray(event.Records)) {
      throw new Error('not an SQS event: Records is missing');
    }
    const reasons = new Map<string, string>();
    const work = async (record: SQSRecord) => {
      try {
        let body: unknown;
        try {
          body = JSON.parse(record.body);
        } catch {
          throw new Error('message body is not JSON');
        }
        const parsed = options.schema.safeParse(body);
        if (!parsed.success) throw parsed.error;
        await process(parsed.data, record, context);
      } catch (e) {
        const reason = describeError(e);
        reasons.set(record.messageId, reason);
        log.warn('record failed; it will be retried or dead-lettered', {
          messageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          reason,
        });
      }
    };
    const queue = [...event.Records];
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let r = queue.shift(); r; r = queue.shift()) await work(r);
      }),
    );
    const result: SqsBatchResult = {
      batchItemFailures: event.Records.filter((r) => reasons.has(r.messageId)).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
    Object.defineProperty(result, FAILURE_REASONS, { value: reasons, enumerable: false });
    return result;
  });
}
