import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';
import type { EventPublisher, QueueSender } from '@cancer-mlops/shared/ports/messaging.ts';
import {
  ObjectExistsError,
  ObjectNotFoundError,
  type ObjectInfo,
  type ObjectStore,
} from '@cancer-mlops/shared/ports/objectStore.ts';
import type { SecretStore, StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
export { MemoryMetrics } from '@cancer-mlops/shared/testing/memoryMetrics.ts';

/**
 * In-memory fakes of the ports ingest uses. They keep what they were given so tests assert on
 * outcomes (objects written, messages sent) rather than on calls.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; lastModified: Date; contentType?: string }>();
  /** Size of the chunks getStream hands out: small values exercise chunk boundaries. */
  chunkSize = 64 * 1024;

  private id = (bucket: string, key: string) => `${bucket}/${key}`;

  text(bucket: string, key: string): string | undefined {
    return this.objects.get(this.id(bucket, key))?.body.toString('utf8');
  }

  keys(bucket: string): string[] {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/`))
      .map((k) => k.slice(bucket.length + 1));
  }

  async get(bucket: string, key: string) {
    return this.objects.get(this.id(bucket, key))?.body;
  }

  async getStream(bucket: string, key: string) {
    const o = this.objects.get(this.id(bucket, key));
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
    options: { contentType?: string; ifNoneMatch?: boolean } = {},
  ) {
    if (options.ifNoneMatch && this.objects.has(this.id(bucket, key)))
      throw new ObjectExistsError(bucket, key);
    let bytes: Buffer;
    if (body instanceof Readable) {
      const parts: Buffer[] = [];
      for await (const c of body) parts.push(Buffer.from(c as Uint8Array));
      bytes = Buffer.concat(parts);
    } else {
      bytes = Buffer.from(body);
    }
    this.objects.set(this.id(bucket, key), {
      body: bytes,
      lastModified: new Date(),
      ...(options.contentType ? { contentType: options.contentType } : {}),
    });
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const o = this.objects.get(this.id(bucket, key));
    if (!o) return undefined;
    return {
      key,
      size: o.body.length,
      lastModified: o.lastModified,
      etag: createHash('md5').update(o.body).digest('hex'),
    };
  }

  async *list(bucket: string, prefix: string) {
    for (const key of this.keys(bucket).sort()) {
      if (key.startsWith(prefix)) yield (await this.head(bucket, key))!;
    }
  }

  async delete(bucket: string, key: string) {
    this.objects.delete(this.id(bucket, key));
  }
}

export class MemoryQueues implements QueueSender {
  readonly sent: { queue: string; messages: unknown[] }[] = [];
  failWith: Error | undefined;

  async send(queue: string, messages: readonly unknown[]) {
    if (this.failWith) throw this.failWith;
    // Copied through JSON, as a real queue would.
    this.sent.push({
      queue,
      messages: messages.map((m) => JSON.parse(JSON.stringify(m)) as unknown),
    });
  }

  messages<T = unknown>(queue: string): T[] {
    return this.sent.filter((s) => s.queue === queue).flatMap((s) => s.messages as T[]);
  }
}

export class MemoryEvents implements EventPublisher {
  readonly published: BusEvent[] = [];
  async publish(events: readonly BusEvent[]) {
    this.published.push(...events);
  }
}

export class MemoryState implements StateStore {
  readonly data = new Map<string, string>();
  private id = (ns: string, key: string) => `${ns}\u0000${key}`;
  async get<T>(ns: string, key: string) {
    const v = this.data.get(this.id(ns, key));
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  async put(ns: string, key: string, value: unknown) {
    this.data.set(this.id(ns, key), JSON.stringify(value));
  }
  async putIfAbsent(ns: string, key: string, value: unknown) {
    if (this.data.has(this.id(ns, key))) return false;
    this.data.set(this.id(ns, key), JSON.stringify(value));
    return true;
  }
  async delete(ns: string, key: string) {
    this.data.delete(this.id(ns, key));
  }
  async list<T>(ns: string, prefix = '') {
    return [...this.data.entries()]
      .filter(([k]) => k.startsWith(this.id(ns, prefix)))
      .map(([k, v]) => ({ key: k.slice(ns.length + 1), value: JSON.parse(v) as T }));
  }
}

export class MemorySecrets implements SecretStore {
  reads = 0;
  constructor(private readonly values: Record<string, string> = {}) {}
  async getSecret(name: string) {
    this.reads += 1;
    const v = this.values[name];
    if (v === undefined) throw new Error(`secret ${name} does not exist`);
    return v;
  }
}
