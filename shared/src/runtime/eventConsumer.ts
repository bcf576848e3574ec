import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { EventBridgeEnvelopeSchema, type EventBridgeEnvelope } from '../contracts/events.ts';
import { createLogger } from './logger.ts';
import { describeError, describeZodError } from './errors.ts';

export interface EventConsumerOptions<D> {
  service: string;
  detailTypes: readonly string[];
  detail: z.ZodType<D>;
}

/**
 * An EventBridge consumer: checks the envelope and the detail, then runs the handler. A
 * failure is rethrown so Lambda retries the asynchronous invocation and finally sends it to
 * the function's on-failure destination; the reason is logged without any payload.
 */
export function eventConsumer<D, R>(
  options: EventConsumerOptions<D>,
  handle: (event: EventBridgeEnvelope<D>, context: Context) => Promise<R>,
) {
  const log = createLogger(options.service);
  return middy<unknown, R>().handler(async (raw, context) => {
    const envelope = EventBridgeEnvelopeSchema.safeParse(raw);
    if (!envelope.success) {
      throw new Error(`not an EventBridge event: ${describeZodError(envelope.error)}`);
    }
    const type = envelope.data['detail-type'];
    if (!options.detailTypes.includes(type)) {
      throw new Error(
        `unexpected detail-type "${type}"; expected ${options.detailTypes.join(' or ')}`,
      );
    }
    const detail = options.detail.safeParse(envelope.data.detail);
    if (!detail.success) {
      throw new Error(`invalid ${type} detail: ${describeZodError(detail.error)}`);
    }
    try {
      return await handle({ ...envelope.data, detail: detail.data }, context);
    } catch (e) {
      log.error('event handling failed', {
        eventId: envelope.data.id,
        detailType: type,
        reason: describeError(e),
      });
      throw e;
    }
  });
}
