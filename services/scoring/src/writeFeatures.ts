import {
  WDBC_FEATURE_GROUP,
  type FeatureGroup,
} from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { ourEvent } from '@cancer-mlops/shared/contracts/events.ts';
import type { FeatureWriteMessage } from '@cancer-mlops/shared/contracts/messages.ts';
import type { FeatureStore } from '@cancer-mlops/shared/ports/featureStore.ts';
import type { EventPublisher } from '@cancer-mlops/shared/ports/messaging.ts';
import type { MetricsSink } from '@cancer-mlops/shared/ports/stateStore.ts';
import { describeError, PermanentError } from '@cancer-mlops/shared/runtime/errors.ts';
import { createLogger, type Log } from '@cancer-mlops/shared/runtime/logger.ts';

export interface WriteFeaturesDeps {
  features: FeatureStore;
  events: EventPublisher;
  metrics: MetricsSink;
  group?: FeatureGroup;
  log?: Log;
}

export interface WriteCounts {
  /** Messages handled successfully (written or recognised as duplicates). */
  messages: number;
  written: number;
  duplicates: number;
  /** Labelled records among those newly written: what the new-data training trigger counts. */
  labelled: number;
}

export const emptyCounts = (): WriteCounts => ({
  messages: 0,
  written: 0,
  duplicates: 0,
  labelled: 0,
});

/**
 * Writes one scored record to the feature store. The store is idempotent by record id +
 * event time, so a redelivered message or a re-dropped file counts as a duplicate, not a new
 * version. A failing store throws: the message is retried through the queue.
 */
export async function writeFeature(
  deps: WriteFeaturesDeps,
  message: FeatureWriteMessage,
): Promise<WriteCounts> {
  const { record } = message;
  const result = await deps.features.put([record]);
  const conflict = result.conflicts?.[0];
  if (conflict) {
    // Field names only: the values (and the record id) stay out of the DLQ reason and the log.
    throw new PermanentError(
      `conflicting record: the feature store already holds this record at the same event_time with other values (${conflict.fields.join(', ')}); send a correction with a later event_time`,
    );
  }
  const labelled = record.diagnosis !== undefined && !record.is_deleted ? result.written : 0;
  return { messages: 1, written: result.written, duplicates: result.duplicates, labelled };
}

/**
 * One FeaturesWritten event per SQS batch, not per record: the event feeds the training
 * trigger's queue, which wants "new labelled data arrived", not one message per row. A failed
 * publish is logged and counted but does not fail the batch: the records are written, and a
 * redelivery would find them all duplicates and report nothing new anyway.
 */
export async function reportWrites(deps: WriteFeaturesDeps, counts: WriteCounts): Promise<void> {
  if (counts.messages === 0) return;
  const group = deps.group ?? WDBC_FEATURE_GROUP;
  deps.metrics.count('FeaturesWritten', counts.written);
  deps.metrics.count('FeatureDuplicates', counts.duplicates);
  try {
    await deps.events.publish([
      ourEvent('FeaturesWritten', {
        written: counts.written,
        duplicates: counts.duplicates,
        labelled: counts.labelled,
        feature_group: group.name,
        feature_group_version: group.version,
      }),
    ]);
  } catch (e) {
    (deps.log ?? createLogger('scoring')).error('FeaturesWritten event not published', {
      reason: describeError(e),
      ...counts,
    });
    deps.metrics.count('EventPublishFailures');
  }
  await deps.metrics.flush();
}

/**
 * Sums the counts of the records of one SQS batch. Records are keyed by object identity
 * (the consumer hands each record object to the processor), so concurrent invocations in
 * one container never mix their tallies.
 */
export class BatchTally {
  private readonly byEvent = new WeakMap<object, WriteCounts>();
  private readonly byRecord = new WeakMap<object, WriteCounts>();

  open(event: { Records?: unknown }): void {
    if (!Array.isArray(event?.Records)) return;
    const counts = emptyCounts();
    this.byEvent.set(event, counts);
    for (const r of event.Records)
      if (typeof r === 'object' && r !== null) this.byRecord.set(r, counts);
  }

  add(record: object, c: WriteCounts): void {
    const counts = this.byRecord.get(record);
    if (!counts) return;
    counts.messages += c.messages;
    counts.written += c.written;
    counts.duplicates += c.duplicates;
    counts.labelled += c.labelled;
  }

  take(event: object): WriteCounts {
    const counts = this.byEvent.get(event) ?? emptyCounts();
    this.byEvent.delete(event);
    return counts;
  }
}
