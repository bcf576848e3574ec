import {
  WDBC_FEATURE_GROUP,
  type FeatureGroup,
} from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { conflictingFields } from '@cancer-mlops/shared/domain/validation/sameObservation.ts';
import type Database from 'better-sqlite3';
import { FeatureRecordSchema, type FeatureRecord } from '@cancer-mlops/shared/contracts/record.ts';
import type {
  FeatureStore,
  SnapshotQuery,
  WriteResult,
} from '@cancer-mlops/shared/ports/featureStore.ts';

/**
 * The offline store is the source of truth: an append-only history where every version of a
 * record is one row, keyed by (record_id, event_time) so a replayed write is a no-op. The
 * online store is a view of it (the latest version per record by event time), so the two can
 * never disagree. Times are epoch milliseconds; `write_time` is when this store accepted the
 * row, which bitemporal reads need ("what did we know at T?").
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS fs_offline (
  seq INTEGER PRIMARY KEY,
  record_id TEXT NOT NULL,
  event_time INTEGER NOT NULL,
  write_time INTEGER NOT NULL,
  is_deleted INTEGER NOT NULL CHECK (is_deleted IN (0, 1)),
  labelled INTEGER NOT NULL CHECK (labelled IN (0, 1)),
  payload TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS fs_offline_version ON fs_offline (record_id, event_time);
CREATE INDEX IF NOT EXISTS fs_offline_write_time ON fs_offline (write_time);
CREATE VIEW IF NOT EXISTS fs_online AS
  SELECT o.* FROM fs_offline o
  WHERE o.event_time = (SELECT MAX(i.event_time) FROM fs_offline i WHERE i.record_id = o.record_id);
`;

/** Rows per page of a snapshot; pages keep the connection free between them (see snapshot). */
const PAGE = 500;

interface Row {
  record_id: string;
  payload: string;
}

export interface SqliteFeatureStoreOptions {
  now?: () => Date;
  group?: FeatureGroup;
}

/**
 * The local feature store on the runtime's SQLite database (tables prefixed `fs_`), with the
 * same semantics the AWS one has: idempotent writes by record id + event time, an online
 * latest-per-record read, and point-in-time snapshots in SQL.
 */
export class SqliteFeatureStore implements FeatureStore {
  private readonly now: () => Date;
  private readonly insert: Database.Statement;
  private readonly atStmt: Database.Statement;
  private readonly group: FeatureGroup;
  private readonly latestStmt: Database.Statement;
  private readonly countStmt: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    options: SqliteFeatureStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.group = options.group ?? WDBC_FEATURE_GROUP;
    db.exec(SCHEMA);
    this.insert = db.prepare(
      `INSERT INTO fs_offline (record_id, event_time, write_time, is_deleted, labelled, payload)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (record_id, event_time) DO NOTHING`,
    );
    this.atStmt = db.prepare(
      'SELECT payload FROM fs_offline WHERE record_id = ? AND event_time = ?',
    );
    this.latestStmt = db.prepare(
      'SELECT record_id, payload, is_deleted FROM fs_online WHERE record_id = ?',
    );
    this.countStmt = db.prepare(
      `SELECT COUNT(DISTINCT record_id) AS n FROM fs_offline WHERE write_time > ? AND labelled = 1 AND is_deleted = 0`,
    );
  }

  async put(records: readonly FeatureRecord[]): Promise<WriteResult> {
    // Validated before the transaction: one bad record rejects the call and writes nothing.
    const rows = records.map((r) => {
      const record = FeatureRecordSchema.parse(r) as FeatureRecord;
      return {
        record,
        eventTime: Date.parse(record.event_time),
        labelled: record.diagnosis !== undefined && !record.is_deleted ? 1 : 0,
      };
    });
    const writeTime = this.now().getTime();
    const run = this.db.transaction(() => {
      const result: WriteResult = { written: 0, duplicates: 0 };
      for (const { record, eventTime, labelled } of rows) {
        const info = this.insert.run(
          record.record_id,
          eventTime,
          writeTime,
          record.is_deleted ? 1 : 0,
          labelled,
          JSON.stringify(record),
        );
        if (info.changes === 1) {
          result.written += 1;
          continue;
        }
        const stored = this.atStmt.get(record.record_id, eventTime) as { payload: string };
        const fields = conflictingFields(JSON.parse(stored.payload), record, this.group);
        if (fields.length === 0) result.duplicates += 1;
        else (result.conflicts ??= []).push({ record_id: record.record_id, fields });
      }
      return result;
    });
    return run();
  }

  async latest(recordId: string): Promise<FeatureRecord | undefined> {
    const row = this.latestStmt.get(recordId) as (Row & { is_deleted: number }) | undefined;
    if (!row || row.is_deleted) return undefined;
    return JSON.parse(row.payload) as FeatureRecord;
  }

  /**
   * Latest version per record with event_time <= cutoff (and, bitemporal, write_time <=
   * cutoff: a late-arriving fact is not known "as of" an earlier time), minus records whose
   * latest such version is a delete marker. Read in pages ordered by record id rather than
   * with one open iterator: better-sqlite3 refuses any other statement on the connection
   * while an iterator is open, and the runtime shares this connection.
   */
  async *snapshot(query: SnapshotQuery): AsyncIterable<FeatureRecord> {
    const cutoff = query.cutoff.getTime();
    const bitemporal = query.bitemporal ?? true;
    const stmt = this.db.prepare(`
      WITH known AS (
        SELECT record_id, event_time, is_deleted, labelled, payload,
               ROW_NUMBER() OVER (PARTITION BY record_id ORDER BY event_time DESC) AS rn
        FROM fs_offline
        WHERE event_time <= @cutoff ${bitemporal ? 'AND write_time <= @cutoff' : ''} AND record_id > @after
      )
      SELECT record_id, payload FROM known
      WHERE rn = 1 AND is_deleted = 0 ${query.labelledOnly ? 'AND labelled = 1' : ''}
      ORDER BY record_id
      LIMIT @limit`);
    let after = '';
    for (;;) {
      const rows = stmt.all({ cutoff, after, limit: PAGE }) as Row[];
      for (const row of rows) yield JSON.parse(row.payload) as FeatureRecord;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].record_id;
    }
  }

  async countLabelledWrittenSince(since: Date): Promise<number> {
    return (this.countStmt.get(since.getTime()) as { n: number }).n;
  }
}
