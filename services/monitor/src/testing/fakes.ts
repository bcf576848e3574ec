import type { EventPublisher } from '@cancer-mlops/shared/ports/messaging.ts';
import type { StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';
import type { Log } from '@cancer-mlops/shared/runtime/logger.ts';
export { MemoryObjectStore } from '@cancer-mlops/shared/testing/memoryObjectStore.ts';
export { MemoryMetrics as CountingMetrics } from '@cancer-mlops/shared/testing/memoryMetrics.ts';

/**
 * In-memory ports for the monitor's tests: plain objects, no mocking library, so a test reads
 * as "given these files and this state, the run writes those files and emits that event".
 */

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
