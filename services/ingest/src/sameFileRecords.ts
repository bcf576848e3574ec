import { createHash } from 'node:crypto';
import type { FeatureGroup } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { PatientRecord } from '@cancer-mlops/shared/contracts/record.ts';

/**
 * The records of one file by record id and event time. The same pair again with other
 * measurements or another diagnosis (what the feature store calls a conflict, see
 * conflictingFields) would be dead-lettered there after its retries, counted here as
 * accepted; caught in the file, it is quarantined beside the row it clashes with. The same
 * pair with the same values is a replay, which the store skips, and passes. Memory is bounded:
 * past `limit` pairs, later ones are only checked against those already seen.
 */
export class SameFileRecords {
  private readonly seen = new Map<string, { row: number; digest: string }>();

  constructor(
    private readonly group: FeatureGroup,
    private readonly limit = 1_000_000,
  ) {}

  /** Why `record` (at `row`) clashes with an earlier row of the file, or undefined. */
  clash(record: PatientRecord, row: number): string | undefined {
    const key = `${record.record_id}\u0000${record.event_time}`;
    const values = [...this.group.features.map((f) => record[f.name] ?? null), record.diagnosis];
    const digest = createHash('sha1').update(JSON.stringify(values)).digest('base64');
    const first = this.seen.get(key);
    if (first === undefined) {
      if (this.seen.size < this.limit) this.seen.set(key, { row, digest });
      return undefined;
    }
    if (first.digest === digest) return undefined;
    return `the same record_id and event time as row ${first.row} with other measurements or diagnosis; a correction needs a later event_time`;
  }
}
