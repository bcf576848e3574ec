import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../ports/messaging.ts';
import { busName, type NameContext } from '../topology/names.ts';
import { chunk } from './awsErrors.ts';

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_ENTRIES = 10;

export class EventPublishError extends Error {
  override readonly name = 'EventPublishError';
}

/**
 * Puts our events on the custom bus `<prefix>-<stage>-bus`, 10 per call, detail as JSON.
 * PutEvents answers 200 even when entries fail, so FailedEntryCount is checked explicitly.
 */
export function buildEventBridgePublisher(
  client: EventBridgeClient,
  names: NameContext,
): EventPublisher {
  const bus = busName(names);
  return {
    async publish(events) {
      for (const batch of chunk(events, PUT_EVENTS_ENTRIES)) {
        const out = await client.send(
          new PutEventsCommand({
            Entries: batch.map((e) => ({
              EventBusName: bus,
              Source: e.source,
              DetailType: e['detail-type'],
              Detail: JSON.stringify(e.detail),
              ...(e.resources ? { Resources: e.resources } : {}),
              ...(e.time ? { Time: new Date(e.time) } : {}),
            })),
          }),
        );
        const failed = out.FailedEntryCount ?? 0;
        if (failed > 0) {
          const codes = [
            ...new Set((out.Entries ?? []).filter((x) => x.ErrorCode).map((x) => x.ErrorCode)),
          ].join(', ');
          throw new EventPublishError(
            `${failed} of ${batch.length} event(s) rejected by ${bus}${codes ? ` (${codes})` : ''}`,
          );
        }
      }
    },
  };
}
