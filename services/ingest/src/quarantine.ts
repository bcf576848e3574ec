import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import type { FieldReason } from './parse/validate.ts';

export const INCOMING_PREFIX = 'incoming/';
export const QUARANTINE_PREFIX = 'quarantine/';

/** `incoming/2024/a.csv` -> `quarantine/2024/a.csv.errors.jsonl` and `.summary.json` next to it. */
export function quarantineKeys(key: string): { errors: string; summary: string } {
  const rel = key.startsWith(INCOMING_PREFIX) ? key.slice(INCOMING_PREFIX.length) : key;
  return {
    errors: `${QUARANTINE_PREFIX}${rel}.errors.jsonl`,
    summary: `${QUARANTINE_PREFIX}${rel}.summary.json`,
  };
}

/** One line of `<key>.errors.jsonl`. */
export interface QuarantineLine {
  /** Record number in the file, from 1, not counting the header. */
  row: number;
  reasons: FieldReason[];
  /** The row's fields minus note text and the raw patient id (see quarantineFields). */
  fields: Record<string, string | number | null>;
}

/** `<key>.summary.json`: written for every file, so its counts always reconcile. */
export interface IngestSummary {
  ingest_id: string;
  bucket: string;
  key: string;
  format: 'csv' | 'jsonl' | null;
  delimiter?: string;
  /** Rows read = accepted + quarantined. */
  rows: number;
  accepted: number;
  quarantined: number;
  errors_key: string | null;
  /** Why the whole file (or, for `stopped_at_row`, its rest) was not read. */
  file_error?: string;
  stopped_at_row?: number;
  /** How often each `field: reason` occurred, for a quick look before opening the errors file. */
  reasons: Record<string, number>;
  ignored_columns: string[];
  /** The event time given to rows that had none (see README: "A hospital file"). */
  default_event_time: string;
  completed_at: string;
}

/**
 * Streams rejected rows to `<key>.errors.jsonl` as they are found: the file is created on the
 * first rejected row (a clean file gets none) and uploaded while rows are still being read,
 * so neither the input nor the rejects are ever held whole in memory.
 */
export class QuarantineWriter {
  private stream: PassThrough | undefined;
  private upload: Promise<void> | undefined;
  count = 0;

  constructor(
    private readonly objects: ObjectStore,
    private readonly bucket: string,
    readonly key: string,
  ) {}

  async write(line: QuarantineLine): Promise<void> {
    if (!this.stream) {
      this.stream = new PassThrough();
      this.upload = this.objects.put(this.bucket, this.key, this.stream, {
        contentType: 'application/x-ndjson',
      });
      // Observed here so a failed upload never goes unhandled; it is rethrown by write/close.
      this.upload.catch(() => undefined);
    }
    this.count += 1;
    if (!this.stream.write(`${JSON.stringify(line)}\n`)) {
      await Promise.race([once(this.stream, 'drain'), this.upload!.then(() => undefined)]);
    }
  }

  /** Ends the file and waits for the upload; true when a file was written. */
  async close(): Promise<boolean> {
    if (!this.stream) return false;
    this.stream.end();
    await this.upload;
    return true;
  }

  /** Abandons a half-written file (the upload is aborted, nothing partial is left). */
  abort(error: Error): void {
    this.stream?.destroy(error);
  }
}
