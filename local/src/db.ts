import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type RuntimeDb = Database.Database;

export const RUNTIME_DB_FILE = 'runtime.db';

/**
 * One schema for every piece that keeps state in the runtime database: queues, the bus's
 * delivery outbox and dead letters, the object store's seen-table, the state store and the
 * metric counters. Times are epoch milliseconds. Bumping SCHEMA_VERSION needs a migration
 * step below; state folders are disposable (`mlops drop`), so there is none yet.
 */
const SCHEMA_VERSION = 1;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS queues (
  name TEXT PRIMARY KEY,
  visibility_timeout_ms INTEGER NOT NULL,
  max_receive_count INTEGER NOT NULL,
  dlq_name TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_messages (
  seq INTEGER PRIMARY KEY,
  queue TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  md5_of_body TEXT NOT NULL,
  message_attributes TEXT,
  sender_id TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  first_received_at INTEGER,
  receipt_handle TEXT UNIQUE,
  last_error TEXT,
  dead_letter_source TEXT,
  dead_lettered_at INTEGER
);
CREATE INDEX IF NOT EXISTS queue_messages_ready ON queue_messages (queue, visible_at, seq);

CREATE TABLE IF NOT EXISTS bus_deliveries (
  id INTEGER PRIMARY KEY,
  bus TEXT NOT NULL,
  rule TEXT NOT NULL,
  target TEXT NOT NULL,
  event_id TEXT NOT NULL,
  envelope TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  failed_at INTEGER
);
CREATE INDEX IF NOT EXISTS bus_deliveries_due ON bus_deliveries (status, next_attempt_at);

CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_us INTEGER NOT NULL,
  etag TEXT NOT NULL,
  content_type TEXT,
  notified INTEGER NOT NULL DEFAULT 0,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS state (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS metrics (
  name TEXT NOT NULL,
  dimensions TEXT NOT NULL,
  value REAL NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (name, dimensions)
) WITHOUT ROWID;
`;

export interface OpenRuntimeDbOptions {
  /** How long a statement waits for another process's lock before SQLITE_BUSY; 5 s default. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating when needed) `<stateDir>/runtime.db`. WAL lets `mlops status` read while
 * the runtime writes; busy_timeout makes a second writer (an operator command) wait instead
 * of failing. synchronous=NORMAL in WAL mode keeps every committed transaction across a
 * process crash (only an OS crash or power loss may drop the last ones), which is the
 * durability a local runtime needs at a fraction of FULL's fsync cost.
 */
export function openRuntimeDb(stateDir: string, options: OpenRuntimeDbOptions = {}): RuntimeDb {
  fs.mkdirSync(stateDir, { recursive: true });
  const db = new Database(path.join(stateDir, RUNTIME_DB_FILE));
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `${path.join(stateDir, RUNTIME_DB_FILE)} has schema version ${version}, newer than this runtime's ${SCHEMA_VERSION}: upgrade, or drop the state folder`,
      );
    }
    if (version < SCHEMA_VERSION) {
      db.exec('BEGIN IMMEDIATE');
      try {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
        db.exec('COMMIT');
      } catch (e) {
        db.exec('ROLLBACK');
        throw e;
      }
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
