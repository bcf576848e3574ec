import type { Readable } from 'node:stream';

/** Buckets are named logically (`raw`, `artifacts`); adapters map them to physical names. */
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
  etag?: string;
}

export interface PutOptions {
  contentType?: string;
  /** Only create: fail with ObjectExistsError when the key is already there (S3 If-None-Match). */
  ifNoneMatch?: boolean;
}

export interface ObjectStore {
  /** The whole object, or undefined when it does not exist. For small objects only. */
  get(bucket: string, key: string): Promise<Buffer | undefined>;
  /** A stream of the object; rejects with ObjectNotFoundError when absent. */
  getStream(bucket: string, key: string): Promise<Readable>;
  put(
    bucket: string,
    key: string,
    body: string | Uint8Array | Readable,
    options?: PutOptions,
  ): Promise<void>;
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /** Keys under a prefix, in lexical order. */
  list(bucket: string, prefix: string): AsyncIterable<ObjectInfo>;
  delete(bucket: string, key: string): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(bucket: string, key: string) {
    super(`object not found: ${bucket}/${key}`);
  }
}

export class ObjectExistsError extends Error {
  override readonly name = 'ObjectExistsError';
  constructor(bucket: string, key: string) {
    super(`object already exists: ${bucket}/${key}`);
  }
}
