import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {
  ObjectInfo,
  ObjectStore,
  PutOptions,
} from '@cancer-mlops/shared/ports/objectStore.ts';
import { ObjectExistsError, ObjectNotFoundError } from '@cancer-mlops/shared/ports/objectStore.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { bucketName } from '@cancer-mlops/shared/topology/names.ts';
import type { RuntimeDb } from '../db.ts';
import { Md5Digest, md5OfFile } from './md5Worker.ts';

/** Temporary files of in-progress writes start with this; list and the scanner never show them. */
export const TEMP_PREFIX = '.mlops-tmp-';

/** What a completed put looks like to the notification source. */
export interface StoredObject {
  /** Logical bucket name. */
  bucket: string;
  key: string;
  size: number;
  /** Modification time in microseconds: with size, the identity of this version of the file. */
  mtimeUs: number;
  /** MD5 of the content, hex, without quotes (as S3 notifications carry it). */
  etag: string;
}

export class InvalidObjectKeyError extends Error {
  override readonly name = 'InvalidObjectKeyError';
}

export interface LocalObjectStoreOptions {
  /**
   * The runtime database: every put is recorded in its `objects` table (size, mtime, ETag,
   * notified = 0), so the notification source emits exactly one event for it, even when the
   * put came from another process or the runtime crashed before the event was handled.
   */
  db?: RuntimeDb;
}

type PutObserver = (object: StoredObject) => void;

const ETAG_CACHE_LIMIT = 10_000;
/**
 * Stream chunk sizes. Node's defaults (64 KiB reads, 16 KiB writes) make a 200 MB batch
 * file thousands of round trips to the thread pool, and the stage waiting on them idles.
 */
const READ_CHUNK_BYTES = 1 << 20;
const WRITE_CHUNK_BYTES = 1 << 20;
/** Bodies below this are hashed in place: a trip to the md5 worker costs more than they do. */
const INLINE_HASH_BYTES = 1 << 20;

/**
 * The ObjectStore port on folders: `<root>/<logical bucket>/<key>`. Writes go to a hidden
 * temporary file in the target folder and are renamed into place, so a reader (or the
 * scanner) never sees half an object; `ifNoneMatch` links instead of renaming, which fails
 * atomically when the key exists.
 *
 * Not S3: a key cannot be both an object and a "folder" of other keys (`a` and `a/b`), keys
 * with empty, `.` or `..` segments are refused, and writes survive a process crash but are
 * not fsynced against power loss.
 */
export class LocalObjectStore implements ObjectStore {
  readonly rootDir: string;
  private observer: PutObserver | undefined;
  private readonly etags = new Map<string, string>();
  private readonly stmt;

  constructor(
    rootDir: string,
    readonly names: NameContext,
    options: LocalObjectStoreOptions = {},
  ) {
    this.rootDir = path.resolve(rootDir);
    const db = options.db;
    this.stmt = db
      ? {
          record: db.prepare(
            `INSERT INTO objects (bucket, key, size, mtime_us, etag, content_type, notified, seen_at)
             VALUES (@bucket, @key, @size, @mtimeUs, @etag, @contentType, 0, @now)
             ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, mtime_us = excluded.mtime_us,
               etag = excluded.etag, content_type = excluded.content_type, notified = 0, seen_at = excluded.seen_at`,
          ),
          forget: db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?'),
          lookup: db.prepare(
            'SELECT size, mtime_us, etag FROM objects WHERE bucket = ? AND key = ?',
          ),
        }
      : undefined;
  }

  /** The physical name of a logical bucket, as S3 events and ARNs carry it. */
  physicalBucket(bucket: string): string {
    return bucketName(this.names, bucket);
  }

  /** The folder of a logical bucket. */
  bucketDir(bucket: string): string {
    assertBucket(bucket);
    return path.join(this.rootDir, bucket);
  }

  /** The file of an object (the key is validated). */
  filePath(bucket: string, key: string): string {
    assertKey(key);
    return path.join(this.bucketDir(bucket), ...key.split('/'));
  }

  /** Lets the notification source hear about every completed put (one observer). */
  observePuts(observer: PutObserver | undefined): void {
    this.observer = observer;
  }

  async get(bucket: string, key: string): Promise<Buffer | undefined> {
    try {
      return await fsp.readFile(this.filePath(bucket, key));
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async getStream(bucket: string, key: string): Promise<Readable> {
    const handle = await this.open(bucket, key);
    return handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
  }

  /**
   * The object's bytes in chunks read into one reused buffer: each chunk is valid only until
   * the next one is asked for. For a consumer that copies what it reads at once (the local
   * batch transform), a 200 MB object is then one buffer, not 200 fresh ones whose garbage
   * the collector chases. Not part of the ObjectStore port: S3 has nothing like it.
   */
  async *readChunks(bucket: string, key: string): AsyncGenerator<Buffer> {
    const handle = await this.open(bucket, key);
    try {
      const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      for (;;) {
        const { bytesRead } = await handle.read(buf, 0, buf.length, null);
        if (bytesRead === 0) return;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }

  private async open(bucket: string, key: string): Promise<fsp.FileHandle> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.filePath(bucket, key), 'r');
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        throw new ObjectNotFoundError(bucket, key);
      }
    } catch (e) {
      if (isMissing(e)) throw new ObjectNotFoundError(bucket, key);
      throw e;
    }
    return handle;
  }

  async put(
    bucket: string,
    key: string,
    body: string | Uint8Array | Readable,
    options: PutOptions = {},
  ): Promise<void> {
    const file = this.filePath(bucket, key);
    const dir = path.dirname(file);
    const tmp = path.join(dir, `${TEMP_PREFIX}${randomUUID()}`);
    let etag: string;
    try {
      etag = await this.writeTemp(dir, tmp, body);
      const stat = await fsp.stat(tmp);
      if (options.ifNoneMatch) {
        try {
          // link() fails with EEXIST when the key exists, atomically, unlike a stat-then-rename.
          await fsp.link(tmp, file);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST')
            throw new ObjectExistsError(bucket, key);
          throw this.explain(e, bucket, key);
        }
      } else {
        try {
          await fsp.rename(tmp, file);
        } catch (e) {
          throw this.explain(e, bucket, key);
        }
      }
      const stored: StoredObject = { bucket, key, size: stat.size, mtimeUs: mtimeUs(stat), etag };
      this.rememberEtag(file, stored);
      // Recorded right after the rename: a crash in between leaves a file without a row,
      // which the scanner then announces as if copied by hand, so nothing is lost.
      this.stmt?.record.run({
        ...stored,
        contentType: options.contentType ?? null,
        now: Date.now(),
      });
      this.observer?.(stored);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const file = this.filePath(bucket, key);
    let stat: fs.Stats;
    try {
      stat = await fsp.stat(file);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    if (!stat.isFile()) return undefined;
    const etag = this.knownEtag(bucket, key, file, stat) ?? (await md5OfFile(file));
    this.etags.set(etagCacheKey(file, stat.size, mtimeUs(stat)), etag);
    return { key, size: stat.size, lastModified: new Date(stat.mtimeMs), etag };
  }

  /** Keys under the prefix in byte order, as S3 lists them; ETags only where already known. */
  async *list(bucket: string, prefix: string): AsyncIterable<ObjectInfo> {
    const found = await this.walk(bucket, prefix);
    for (const f of found) {
      const info: ObjectInfo = {
        key: f.key,
        size: f.stat.size,
        lastModified: new Date(f.stat.mtimeMs),
      };
      const etag = this.knownEtag(bucket, f.key, f.file, f.stat);
      if (etag) info.etag = etag;
      yield info;
    }
  }

  /** Deletes the object; a missing key is not an error (as on S3). Empty folders go too. */
  async delete(bucket: string, key: string): Promise<void> {
    const file = this.filePath(bucket, key);
    try {
      await fsp.unlink(file);
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    this.stmt?.forget.run(bucket, key);
    // S3 has no empty folders; pruning them keeps `a` writable after `a/b` is deleted.
    const stop = this.bucketDir(bucket);
    for (let dir = path.dirname(file); dir.startsWith(stop + path.sep); dir = path.dirname(dir)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        break;
      }
    }
  }

  /**
   * Every object file under a prefix of a bucket, sorted by key. Temporary files are left
   * out; with `skipHidden`, so is every path with a segment starting with a dot (the
   * scanner's choice, so `.DS_Store` and editor swap files are never announced).
   */
  async walk(
    bucket: string,
    prefix: string,
    options: { skipHidden?: boolean } = {},
  ): Promise<{ key: string; file: string; stat: fs.Stats }[]> {
    const root = this.bucketDir(bucket);
    const slash = prefix.lastIndexOf('/');
    const startKey = slash >= 0 ? prefix.slice(0, slash + 1) : '';
    if (startKey.split('/').some((s) => s === '..' || s === '.')) return [];
    const out: { key: string; file: string; stat: fs.Stats }[] = [];
    const visit = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if (isMissing(e)) return;
        throw e;
      }
      for (const entry of entries) {
        const name = entry.name;
        if (name.startsWith(TEMP_PREFIX) || (options.skipHidden && name.startsWith('.'))) continue;
        const key = `${keyPrefix}${name}`;
        const file = path.join(dir, name);
        if (entry.isDirectory()) {
          // Only descend where keys can still start with the prefix.
          const asDir = `${key}/`;
          if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) await visit(file, asDir);
        } else if (key.startsWith(prefix)) {
          try {
            const stat = await fsp.stat(file);
            if (stat.isFile()) out.push({ key, file, stat });
          } catch (e) {
            if (!isMissing(e)) throw e;
          }
        }
      }
    };
    await visit(path.join(root, ...startKey.split('/').filter(Boolean)), startKey);
    return out.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  private async writeTemp(
    dir: string,
    tmp: string,
    body: string | Uint8Array | Readable,
  ): Promise<string> {
    await fsp.mkdir(dir, { recursive: true }).catch((e) => {
      throw new InvalidObjectKeyError(`cannot create folder for the key: ${(e as Error).message}`);
    });
    if (typeof body === 'string' || body instanceof Uint8Array) {
      // Encoded once, for the write and the hash alike.
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      try {
        await fsp.writeFile(tmp, bytes, { flag: 'wx' });
      } catch (e) {
        // A delete may have pruned the folder between mkdir and write: once more.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        await fsp.mkdir(dir, { recursive: true });
        await fsp.writeFile(tmp, bytes, { flag: 'wx' });
      }
      // A large string (a data-capture batch: megabytes every half second under load) is
      // hashed off the event loop like any large body: inline it stalled every request.
      if (bytes.byteLength < INLINE_HASH_BYTES)
        return createHash('md5').update(bytes).digest('hex');
      return md5OfFile(tmp);
    }
    const hash = new Md5Digest();
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        body,
        tap,
        fs.createWriteStream(tmp, { flags: 'wx', highWaterMark: WRITE_CHUNK_BYTES }),
      );
    } catch (e) {
      hash.discard();
      throw e;
    }
    return hash.digest();
  }

  private knownEtag(bucket: string, key: string, file: string, stat: fs.Stats): string | undefined {
    const cached = this.etags.get(etagCacheKey(file, stat.size, mtimeUs(stat)));
    if (cached) return cached;
    const row = this.stmt?.lookup.get(bucket, key) as
      { size: number; mtime_us: number; etag: string } | undefined;
    return row && row.size === stat.size && row.mtime_us === mtimeUs(stat) ? row.etag : undefined;
  }

  private rememberEtag(file: string, o: StoredObject): void {
    if (this.etags.size >= ETAG_CACHE_LIMIT) this.etags.clear();
    this.etags.set(etagCacheKey(file, o.size, o.mtimeUs), o.etag);
  }

  private explain(e: unknown, bucket: string, key: string): Error {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') {
      return new InvalidObjectKeyError(
        `${bucket}/${key}: locally a key cannot be both an object and the folder of other keys`,
      );
    }
    return e as Error;
  }
}

export const mtimeUs = (stat: fs.Stats) => Math.round(stat.mtimeMs * 1000);

const etagCacheKey = (file: string, size: number, mtime: number) =>
  `${file}\u0000${size}\u0000${mtime}`;

export { md5OfFile };

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function assertBucket(bucket: string): void {
  if (!/^[a-z0-9][a-z0-9.-]{0,62}$/.test(bucket) || bucket.includes('..')) {
    throw new InvalidObjectKeyError(`"${bucket}" is not a logical bucket name`);
  }
}

function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0)
    throw new InvalidObjectKeyError('an object key cannot be empty');
  if (Buffer.byteLength(key, 'utf8') > 1024)
    throw new InvalidObjectKeyError('an object key is at most 1024 bytes');
  if (key.includes('\u0000')) throw new InvalidObjectKeyError('an object key cannot contain NUL');
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new InvalidObjectKeyError(
        `"${key}": keys with empty, "." or ".." segments (leading, trailing or double slashes) cannot be stored locally`,
      );
    }
    if (segment.startsWith(TEMP_PREFIX)) {
      throw new InvalidObjectKeyError(
        `"${key}": segments starting with ${TEMP_PREFIX} are reserved`,
      );
    }
  }
}
