import { GetQueueUrlCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueSender } from '../ports/messaging.ts';
import { queueName, type NameContext } from '../topology/names.ts';

/** SQS limits for one SendMessageBatch: 10 entries and 256 KiB of bodies together. */
export const SQS_BATCH_ENTRIES = 10;
export const SQS_BATCH_BYTES = 256 * 1024;

export class QueueSendError extends Error {
  override readonly name = 'QueueSendError';
}

/**
 * Sends JSON messages to a queue named logically (`notes-to-score`). The URL is resolved
 * with GetQueueUrl once per queue and kept for the life of the container. Bodies are
 * batched by 10 and by size; a `Failed` entry is an error naming how many and their codes,
 * never the bodies (they may carry note text).
 */
export function buildSqsQueueSender(client: SQSClient, names: NameContext): QueueSender {
  const urls = new Map<string, Promise<string>>();
  const urlOf = (queue: string) => {
    let url = urls.get(queue);
    if (!url) {
      url = client
        .send(new GetQueueUrlCommand({ QueueName: queueName(names, queue) }))
        .then((out) => {
          if (!out.QueueUrl)
            throw new QueueSendError(`queue ${queueName(names, queue)} has no URL`);
          return out.QueueUrl;
        });
      // A failed lookup is not cached: the next call tries again.
      url.catch(() => {
        if (urls.get(queue) === url) urls.delete(queue);
      });
      urls.set(queue, url);
    }
    return url;
  };

  return {
    async send(queue, messages) {
      if (messages.length === 0) return;
      const url = await urlOf(queue);
      for (const batch of batches(messages.map((m) => JSON.stringify(m)))) {
        const out = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: batch.map((body, i) => ({ Id: String(i), MessageBody: body })),
          }),
        );
        const failed = out.Failed ?? [];
        if (failed.length > 0) {
          const codes = [...new Set(failed.map((f) => f.Code ?? 'unknown'))].join(', ');
          throw new QueueSendError(
            `${failed.length} of ${batch.length} message(s) not accepted by ${queueName(names, queue)} (${codes})`,
          );
        }
      }
    },
  };
}

/** Groups bodies into SendMessageBatch calls within both limits; an oversized body goes alone. */
export function batches(bodies: readonly string[]): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body, 'utf8');
    if (
      current.length > 0 &&
      (current.length === SQS_BATCH_ENTRIES || bytes + size > SQS_BATCH_BYTES)
    ) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
