import { Readable } from 'node:stream';
import type {
  ObjectInfo,
  ObjectStore,
  PutOptions,
} from '@cancer-mlops/shared/ports/objectStore.ts';
import { ObjectExistsError, ObjectNotFoundError } from '@cancer-mlops/shared/ports/objectStore.ts';
import type { EventPublisher } from '@cancer-mlops/shared/ports/messaging.ts';
import type { StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';
import type { Log } from '@cancer-mlops/shared/runtime/logger.ts';
export { MemoryMetrics as CountingMetrics } from '@cancer-mlops/shared/testing/memoryMetrics.ts';

/**
 * In-memory ports for the monitor's tests: plain objects, no mocking library, so a test reads
 * as "given these files and this state, the run writes those files and emits that event".
 */

export class MemoryObjectStore implements ObjectStore {
  readonly buckets = new Map<
    string,
    Map<string, { body: Buffer; lastModified: Date; contentType?: string }>
  >();
  /** Keys whose reads fail, to test unreadable files. */
  readonly failing = new Set<string>();

  private bucket(name: string) {
    let b = this.buckets.get(name);
    if (!b) this.buckets.set(name, (b = new Map()));
    return b;
  }

  async get(bucket: string, key: string): Promise<Buffer | undefined> {
    if (this.failing.has(`${bucket}/${key}`)) throw new Error('simulated read failure');
    return this.bucket(bucket).get(key)?.body;
  }

  async getStream(bucket: string, key: string): Promise<Readable> {
    const body = await this.get(bucket, key);
    if (!body) throw new ObjectNotFoundError(bucket, key);
    return Readable.from([body]);
  }

  async put(
    bucket: string,
    key: string,
    body: string | Uint8Array | Readable,
    options: PutOptions = {},
  ): Promise<void> {
    const b = this.bucket(bucket);
    if (options.ifNoneMatch && b.has(key)) throw new ObjectExistsError(bucket, key);
    let buf: Buffer;
    if (typeof body === 'string') buf = Buffer.from(body, 'utf8');
    else if (body instanceof Uint8Array) buf = Buffer.from(body);
    else {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
      buf = Buffer.concat(chunks);
    }
    b.set(key, {
      body: buf,
      lastModified: new Date(),
      ...(options.contentType ? { contentType: options.contentType } : {}),
    });
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const o = this.bucket(bucket).get(key);
    return o ? { key, size: o.body.length, lastModified: o.lastModified } : undefined;
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectInfo> {
    const keys = [...this.bucket(bucket).keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) {
      const o = this.bucket(bucket).get(key);
      if (o) yield { key, size: o.body.length, lastModified: o.lastModified };
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    this.bucket(bucket).delete(key);
  }

  text(bucket: string, key: string): string | undefined {
    return this.bucket(bucket).get(key)?.body.toString('utf8');
  }

  json<T = unknown>(bucket: string, key: string): T {
    const t = this.text(bucket, key);
    if (t === undefined) throw new Error(`no object ${bucket}/${key}`);
    return JSON.parse(t) as T;
  }

  keys(bucket: string, prefix = ''): string[] {
    return [...this.bucket(bucket).keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

export class MemoryStateStore implements StateStore {
  readonly docs = new Map<string, unknown>();
  private id = (ns: string, key: string) => `${ns}\u0000${key}`;

  async get<T = unknown>(namespace: string, key: string): Promise<T | undefined> {
    const v = this.docs.get(this.id(namespace, key));
    return v === undefined ? undefined : (structuredClone(v) as T);
  }

  async put(namespace: string, key: string, value: unknown): Promise<void> {
    this.docs.set(this.id(namespace, key), structuredClone(value));
  }

  async putIfAbsent(namespace: string, key: string, value: unknown): Promise<boolean> {
    if (this.docs.has(this.id(namespace, key))) return false;
    this.docs.set(this.id(namespace, key), structuredClone(value));
    return true;
  }

  async delete(namespace: string, key: string): Promise<void> {
    this.docs.delete(this.id(namespace, key));
  }

  async list<T = unknown>(namespace: string, prefix = ''): Promise<{ key: string; value: T }[]> {
    const head = `${namespace}\u0000`;
    return [...this.docs.entries()]
      .filter(([k]) => k.startsWith(head + prefix))
      .map(([k, v]) => ({ key: k.slice(head.length), value: structuredClone(v) as T }));
  }
}

export class RecordingPublisher implements EventPublisher {
  readonly published: BusEvent[] = [];
  failWith?: Error;

  async publish(events: readonly BusEvent[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.published.push(...events);
  }

  ofType(detailType: string): BusEvent[] {
    return this.published.filter((e) => e['detail-type'] === detailType);
  }
}

export interface LoggedEntry {
  level: string;
  message: string;
  extra?: Record<string, unknown>;
}

export function memoryLog(): Log & { entries: LoggedEntry[] } {
  const entries: LoggedEntry[] = [];
  const at = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    entries.push({ level, message, ...(extra ? { extra } : {}) });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A clock the test moves. */
export function testClock(start: string) {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advanceMinutes: (m: number) => {
      t += m * 60_000;
    },
    set: (iso: string) => {
      t = Date.parse(iso);
    },
  };
}
