import type { BusEvent } from '../contracts/events.ts';

/** Sends JSON messages to a queue by logical name; adapters batch by 10 as SQS requires. */
export interface QueueSender {
  send(queue: string, messages: readonly unknown[]): Promise<void>;
}

/** Puts our own events on the custom bus (adapters chunk by 10, as PutEvents requires). */
export interface EventPublisher {
  publish(events: readonly BusEvent[]): Promise<void>;
}
