import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';
import type { EventPublisher, QueueSender } from '@cancer-mlops/shared/ports/messaging.ts';
import type { SecretStore, StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
export { MemoryObjectStore } from '@cancer-mlops/shared/testing/memoryObjectStore.ts';
export { MemoryMetrics } from '@cancer-mlops/shared/testing/memoryMetrics.ts';

/**
 * In-memory fakes of the ports ingest uses. They keep what they were given so tests assert on
 * outcomes (objects written, messages sent) rather than on calls.
 */
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
