import type { FeatureRecord } from '../contracts/record.ts';

export interface WriteResult {
  written: number;
  /** Same record id + event time already stored: skipped, which makes replays idempotent. */
  duplicates: number;
  /**
   * Same record id + event time already stored with other measurements or diagnosis: not
   * written (present only when there are some). A correction needs a later event time.
   */
  conflicts?: { record_id: string; fields: string[] }[];
}

export interface SnapshotQuery {
  /** Latest version per record with event_time <= cutoff ... */
  cutoff: Date;
  /** ... and, when bitemporal (the default), also written to the store <= cutoff. */
  bitemporal?: boolean;
  labelledOnly?: boolean;
}

/**
 * The feature store: online (latest per record by event time) and offline (append-only
 * history with write times) views of one feature group.
 */
export interface FeatureStore {
  put(records: readonly FeatureRecord[]): Promise<WriteResult>;
  latest(recordId: string): Promise<FeatureRecord | undefined>;
  snapshot(query: SnapshotQuery): AsyncIterable<FeatureRecord>;
  /** Labelled records written after `since` (write time), for the new-data training trigger. */
  countLabelledWrittenSince(since: Date): Promise<number>;
}
