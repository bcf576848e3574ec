import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { S3Event } from 'aws-lambda';
import { encodeS3Key } from '@cancer-mlops/shared/runtime/s3Event.ts';
import type { RuntimeDb } from '../db.ts';
import { errorMessage, stderrLog, type RuntimeLog } from '../log.ts';
import {
  md5OfFile,
  mtimeUs,
  type LocalObjectStore,
  type StoredObject,
} from './localObjectStore.ts';

export interface S3NotificationFilter {
  /** Logical bucket name. */
  bucket: string;
  prefix?: string;
  suffix?: string;
  /** The notification configuration's id (`s3.configurationId`), e.g. the function name. */
  id?: string;
}

export type S3Listener = (event: S3Event) => unknown;

export interface S3NotificationSourceOptions {
  region?: string;
  /** How often the bucket folders are scanned for files copied in by hand. */
  scanIntervalMs?: number;
  log?: RuntimeLog;
  /** Milliseconds since the epoch; injectable so tests need not wait for files to settle. */
  now?: () => number;
}

interface Registration extends Required<Omit<S3NotificationFilter, 'id'>> {
  id: string;
  listener: S3Listener;
}

type Origin = 'put' | 'file';

/** How long a watch event waits before its scan (see wake). */
const WAKE_DELAY_MS = 25;

interface ObjectRow {
  key: string;
  size: number;
  mtime_us: number;
  etag: string;
  notified: number;
  seen_at: number;
}

/**
 * S3 event notifications for the local object store: every object created, by a put
 * through the port or by a file copied into a bucket folder by hand (also while the runtime
 * was not running), raises exactly one real-shaped `ObjectCreated:Put` event to the
 * listeners whose bucket, prefix and suffix match.
 *
 * Exactly once comes from the `objects` table: a version of a file (key, size, mtime) is
 * announced when it has no row or a row not yet marked notified, and marked notified once
 * every listener has returned. A hand-copied file is announced only when it looks complete:
 * the same size and mtime on two scans in a row, and an mtime at least one scan interval
 * old. A crash before the mark means the event comes again on the next start (at least
 * once, never zero). Listener errors are logged, not retried: retries and dead letters of
 * the function behind a listener belong to whoever invokes it.
 *
 * Polling decides, not fs.watch: it sees files that arrived while nothing ran, and behaves
 * the same on every platform and file system. A watch on each watched folder only makes the
 * next scan come sooner when a file appears there (a put by the CLI, a file moved in), so an
 * upload is not left waiting for the timer; where watching fails, the timer still finds it.
 * Dot-files (`.DS_Store`, editor swap files) are never announced.
 */
export class S3NotificationSource {
  private readonly registrations: Registration[] = [];
  private readonly pending = new Map<string, { size: number; mtimeUs: number }>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly region: string;
  private readonly intervalMs: number;
  private readonly log: RuntimeLog;
  private readonly now: () => number;
  private scanning: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchers: fs.FSWatcher[] = [];
  private woken = false;
  private running = false;
  private sequence = 0;
  private readonly stmt;

  constructor(
    private readonly store: LocalObjectStore,
    db: RuntimeDb,
    options: S3NotificationSourceOptions = {},
  ) {
    this.region = options.region ?? 'us-east-1';
    this.intervalMs = Math.max(10, options.scanIntervalMs ?? 500);
    this.log = options.log ?? stderrLog('s3-notifications');
    this.now = options.now ?? Date.now;
    this.stmt = {
      lookup: db.prepare(
        'SELECT key, size, mtime_us, etag, notified, seen_at FROM objects WHERE bucket = ? AND key = ?',
      ),
      underPrefix: db.prepare(
        'SELECT key, size, mtime_us, etag, notified, seen_at FROM objects WHERE bucket = ? AND substr(key, 1, length(?)) = ?',
      ),
      record: db.prepare(
        `INSERT INTO objects (bucket, key, size, mtime_us, etag, content_type, notified, seen_at)
         VALUES (@bucket, @key, @size, @mtimeUs, @etag, NULL, 0, @now)
         ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, mtime_us = excluded.mtime_us,
           etag = excluded.etag, notified = 0, seen_at = excluded.seen_at`,
      ),
      notified: db.prepare(
        'UPDATE objects SET notified = 1 WHERE bucket = ? AND key = ? AND size = ? AND mtime_us = ?',
      ),
      forget: db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ? AND seen_at < ?'),
    };
  }

  /** Registers a listener (an S3 trigger); returns a function that removes it. */
  onObjectCreated(filter: S3NotificationFilter, listener: S3Listener): () => void {
    this.store.bucketDir(filter.bucket);
    const reg: Registration = {
      bucket: filter.bucket,
      prefix: filter.prefix ?? '',
      suffix: filter.suffix ?? '',
      id: filter.id ?? `${filter.bucket}-${this.registrations.length + 1}`,
      listener,
    };
    this.registrations.push(reg);
    return () => {
      const i = this.registrations.indexOf(reg);
      if (i >= 0) this.registrations.splice(i, 1);
    };
  }

  /**
   * Starts announcing: puts from now on at once, and the bucket folders by scanning, first
   * right away (which also re-announces what a previous run never finished announcing).
   * Register the listeners first.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.store.observePuts((o) => this.dispatch(o, 'put'));
    this.watch();
    await this.scanOnce();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.store.observePuts(undefined);
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  /** Resolves when no scan is running and every announced event has been handled. */
  async idle(): Promise<void> {
    while (this.scanning || this.inFlight.size > 0) {
      await this.scanning;
      await Promise.allSettled([...this.inFlight.values()]);
    }
  }

  /** One pass over the folders the listeners watch; scans never overlap. */
  scanOnce(): Promise<void> {
    this.scanning ??= this.scan()
      .catch((e) => this.log.error('object store scan failed', { error: errorMessage(e) }))
      .finally(() => {
        this.scanning = undefined;
      });
    return this.scanning;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.scanOnce().then(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  /**
   * Watches the folder of each watched prefix for names appearing (`rename` events: a put's
   * final rename, a file moved or copied in), not for writes, so a file being copied does not
   * set off a scan per block. Nested folders are not watched: the timer covers them.
   */
  private watch(): void {
    for (const [bucket, prefixes] of this.watched()) {
      for (const prefix of prefixes) {
        const parts = prefix.split('/');
        parts.pop(); // the part after the last `/` is a name prefix, not a folder
        const dir = path.join(this.store.bucketDir(bucket), ...parts);
        try {
          fs.mkdirSync(dir, { recursive: true });
          const watcher = fs.watch(dir, { persistent: false }, (type) => {
            if (type === 'rename') this.wake();
          });
          watcher.on('error', () => watcher.close());
          this.watchers.push(watcher);
        } catch (e) {
          this.log.warn('cannot watch a bucket folder; new files are found by the scan alone', {
            bucket,
            prefix,
            error: errorMessage(e),
          });
        }
      }
    }
  }

  /**
   * One extra scan shortly (after the running one, if any); a burst of events makes one scan.
   * The short wait lets a put record its row after its rename, so the scan finds the row
   * and announces at once instead of taking the file for a hand copy still to settle.
   */
  private wake(): void {
    if (!this.running || this.woken) return;
    this.woken = true;
    setTimeout(() => {
      void (this.scanning ?? Promise.resolve()).then(() => {
        this.woken = false;
        if (this.running) void this.scanOnce();
      });
    }, WAKE_DELAY_MS).unref();
  }

  private async scan(): Promise<void> {
    const startedAt = this.now();
    for (const [bucket, prefixes] of this.watched()) {
      for (const prefix of prefixes) {
        const files = await this.store.walk(bucket, prefix, { skipHidden: true });
        const present = new Set<string>();
        for (const f of files) {
          present.add(f.key);
          await this.observe(bucket, f.key, f.file, f.stat.size, mtimeUs(f.stat));
        }
        this.forgetVanished(bucket, prefix, present, startedAt);
      }
    }
  }

  private async observe(
    bucket: string,
    key: string,
    file: string,
    size: number,
    mtime: number,
  ): Promise<void> {
    const pendingKey = `${bucket}\u0000${key}`;
    const row = this.stmt.lookup.get(bucket, key) as ObjectRow | undefined;
    if (row && row.size === size && row.mtime_us === mtime) {
      this.pending.delete(pendingKey);
      // Written by a put that was never announced: another process, or a crash before the mark.
      if (row.notified === 0)
        this.dispatch({ bucket, key, size, mtimeUs: mtime, etag: row.etag }, 'put');
      return;
    }
    const before = this.pending.get(pendingKey);
    const settled = this.now() - mtime / 1000 >= this.intervalMs;
    if (!before || before.size !== size || before.mtimeUs !== mtime || !settled) {
      this.pending.set(pendingKey, { size, mtimeUs: mtime });
      return;
    }
    this.pending.delete(pendingKey);
    let etag: string;
    try {
      etag = await md5OfFile(file);
      const after = await fsp.stat(file);
      if (after.size !== size || mtimeUs(after) !== mtime) {
        this.pending.set(pendingKey, { size: after.size, mtimeUs: mtimeUs(after) });
        return;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const object: StoredObject = { bucket, key, size, mtimeUs: mtime, etag };
    this.stmt.record.run({ ...object, now: this.now() });
    this.dispatch(object, 'file');
  }

  /** Rows of files that are gone are dropped, so a file copied in again is announced again. */
  private forgetVanished(
    bucket: string,
    prefix: string,
    present: Set<string>,
    startedAt: number,
  ): void {
    for (const row of this.stmt.underPrefix.all(bucket, prefix, prefix) as ObjectRow[]) {
      if (
        present.has(row.key) ||
        this.inFlight.has(identity(bucket, row.key, row.size, row.mtime_us))
      )
        continue;
      // The walk skips dot-files, so their absence from it says nothing.
      if (row.key.split('/').some((s) => s.startsWith('.'))) continue;
      // Rows newer than this scan belong to puts it could not have seen yet.
      this.stmt.forget.run(bucket, row.key, startedAt);
    }
    for (const k of this.pending.keys()) {
      const [b, key] = k.split('\u0000');
      if (b === bucket && key.startsWith(prefix) && !present.has(key)) this.pending.delete(k);
    }
  }

  /** Buckets with listeners, each with the prefixes to walk (no prefix inside another). */
  private watched(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.registrations) out.set(r.bucket, [...(out.get(r.bucket) ?? []), r.prefix]);
    for (const [bucket, prefixes] of out) {
      const unique = [...new Set(prefixes)].sort();
      out.set(
        bucket,
        unique.filter((p, i) => !unique.some((q, j) => j !== i && p.startsWith(q) && q !== p)),
      );
    }
    return out;
  }

  private dispatch(object: StoredObject, origin: Origin): void {
    const id = identity(object.bucket, object.key, object.size, object.mtimeUs);
    if (this.inFlight.has(id)) return;
    const run = (async () => {
      // Never inside the caller's stack: put() returns before any listener runs, as on S3.
      await new Promise((r) => setImmediate(r));
      const matching = this.registrations.filter(
        (r) =>
          r.bucket === object.bucket &&
          object.key.startsWith(r.prefix) &&
          object.key.endsWith(r.suffix),
      );
      await Promise.all(
        matching.map(async (r) => {
          try {
            await r.listener(this.event(object, r.id, origin));
          } catch (e) {
            this.log.error('S3 notification listener failed', {
              listener: r.id,
              bucket: object.bucket,
              error: errorMessage(e),
            });
          }
        }),
      );
      this.stmt.notified.run(object.bucket, object.key, object.size, object.mtimeUs);
    })().finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, run);
  }

  private event(object: StoredObject, configurationId: string, origin: Origin): S3Event {
    const bucket = this.store.physicalBucket(object.bucket);
    return {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: this.region,
          eventTime: new Date(this.now()).toISOString(),
          eventName: 'ObjectCreated:Put',
          userIdentity: {
            principalId: origin === 'put' ? 'AWS:LOCAL-RUNTIME' : 'AWS:LOCAL-FILESYSTEM',
          },
          requestParameters: { sourceIPAddress: '127.0.0.1' },
          responseElements: {
            'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
            'x-amz-id-2': randomBytes(48).toString('base64'),
          },
          s3: {
            s3SchemaVersion: '1.0',
            configurationId,
            bucket: {
              name: bucket,
              ownerIdentity: { principalId: 'LOCAL' },
              arn: `arn:aws:s3:::${bucket}`,
            },
            object: {
              key: encodeS3Key(object.key),
              size: object.size,
              eTag: object.etag,
              sequencer: this.sequencer(),
            },
          },
        },
      ],
    };
  }

  /** Increasing hex, like S3's: later events for a key have a greater sequencer. */
  private sequencer(): string {
    this.sequence = (this.sequence + 1) % 0x10000;
    return ((BigInt(Date.now()) << 16n) | BigInt(this.sequence))
      .toString(16)
      .toUpperCase()
      .padStart(18, '0');
  }
}

const identity = (bucket: string, key: string, size: number, mtime: number) =>
  `${bucket}\u0000${key}\u0000${size}\u0000${mtime}`;
