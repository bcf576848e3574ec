import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  ObjectExistsError,
  ObjectNotFoundError,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from '../ports/objectStore.ts';

interface StoredObject {
  body: Buffer;
  contentType?: string;
  at: Date;
}

/**
 * The ObjectStore port in memory, for every service's tests: conditional writes and lexical
 * listing as S3 does them, streams in small chunks on request, and reads that fail on demand.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, StoredObject>();
  /** Size of the chunks getStream hands out: small values exercise chunk boundaries. */
  chunkSize = 64 * 1024;
  /** `bucket/key` of objects whose reads fail, to test unreadable files. */
  readonly failing = new Set<string>();

  private readonly k = (bucket: string, key: string) => `${bucket}\u0000${key}`;

  private read(bucket: string, key: string): StoredObject | undefined {
    if (this.failing.has(`${bucket}/${key}`)) throw new Error('simulated read failure');
    return this.objects.get(this.k(bucket, key));
  }

  async get(bucket: string, key: string) {
    return this.read(bucket, key)?.body;
  }

  async getStream(bucket: string, key: string) {
    const o = this.read(bucket, key);
    if (!o) throw new ObjectNotFoundError(bucket, key);
    const chunks: Buffer[] = [];
    for (let i = 0; i < o.body.length; i += this.chunkSize)
      chunks.push(o.body.subarray(i, i + this.chunkSize));
    return Readable.from(chunks, { objectMode: false });
  }

  async put(
    bucket: string,
    key: string,
    body: string | Uint8Array | Readable,
    options: PutOptions = {},
  ) {
    if (options.ifNoneMatch && this.objects.has(this.k(bucket, key)))
      throw new ObjectExistsError(bucket, key);
    let bytes: Buffer;
    if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
    else if (body instanceof Uint8Array) bytes = Buffer.from(body);
    else {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
      bytes = Buffer.concat(chunks);
    }
    this.objects.set(this.k(bucket, key), {
      body: bytes,
      ...(options.contentType ? { contentType: options.contentType } : {}),
      at: new Date(),
    });
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const o = this.objects.get(this.k(bucket, key));
    return o
      ? {
          key,
          size: o.body.length,
          lastModified: o.at,
          etag: createHash('md5').update(o.body).digest('hex'),
        }
      : undefined;
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of this.keys(bucket, prefix)) {
      const o = this.objects.get(this.k(bucket, key));
      if (o) yield { key, size: o.body.length, lastModified: o.at };
    }
  }

  async delete(bucket: string, key: string) {
    this.objects.delete(this.k(bucket, key));
  }

  text(bucket: string, key: string): string | undefined {
    return this.objects.get(this.k(bucket, key))?.body.toString('utf8');
  }

  json<T = unknown>(bucket: string, key: string): T {
    const t = this.text(bucket, key);
    if (t === undefined) throw new Error(`no object ${bucket}/${key}`);
    return JSON.parse(t) as T;
  }

  /** Keys in `bucket` under `prefix`, in S3's (lexical) order. */
  keys(bucket: string, prefix = ''): string[] {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}\u0000${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }
}
