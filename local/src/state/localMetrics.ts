import type { MetricsSink } from '@cancer-mlops/shared/ports/stateStore.ts';
import type { RuntimeDb } from '../db.ts';

export interface Counter {
  name: string;
  dimensions: Record<string, string>;
  value: number;
  updatedAt: Date;
}

export interface LocalMetricsOptions {
  /** Flushes on its own this often (0 = only on flush()); counts are never lost to a missing flush(). */
  autoFlushMs?: number;
  now?: () => number;
}

/**
 * The MetricsSink port as counters in the runtime database, summed per name + dimensions,
 * for `mlops status` to read (readCounters) while the runtime runs. count() only adds to
 * memory (it is on the request path); flush() writes everything in one transaction.
 */
export class LocalMetrics implements MetricsSink {
  private readonly buffer = new Map<string, { name: string; dimensions: string; value: number }>();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly upsert;

  constructor(
    private readonly db: RuntimeDb,
    options: LocalMetricsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.upsert = db.prepare(
      `INSERT INTO metrics (name, dimensions, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name, dimensions) DO UPDATE SET value = value + excluded.value, updated_at = excluded.updated_at`,
    );
    const every = options.autoFlushMs ?? 1000;
    if (every > 0) {
      this.timer = setInterval(() => this.flushNow(), every);
      this.timer.unref();
    }
  }

  count(name: string, value = 1, dimensions: Record<string, string> = {}): void {
    if (!Number.isFinite(value)) return;
    const dims = canonical(dimensions);
    const id = `${name}\u0000${dims}`;
    const entry = this.buffer.get(id);
    if (entry) entry.value += value;
    else this.buffer.set(id, { name, dimensions: dims, value });
  }

  async flush(): Promise<void> {
    this.flushNow();
  }

  /** Flushes and stops the timer. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.flushNow();
  }

  readCounters(): Counter[] {
    this.flushNow();
    return readCounters(this.db);
  }

  private flushNow(): void {
    if (this.buffer.size === 0) return;
    const entries = [...this.buffer.values()];
    this.buffer.clear();
    const now = this.now();
    this.db.transaction(() => {
      for (const e of entries) this.upsert.run(e.name, e.dimensions, e.value, now);
    })();
  }
}

/** Every counter in the database, by name then dimensions: what `mlops status` shows. */
export function readCounters(db: RuntimeDb): Counter[] {
  const rows = db
    .prepare('SELECT name, dimensions, value, updated_at FROM metrics ORDER BY name, dimensions')
    .all() as { name: string; dimensions: string; value: number; updated_at: number }[];
  return rows.map((r) => ({
    name: r.name,
    dimensions: JSON.parse(r.dimensions) as Record<string, string>,
    value: r.value,
    updatedAt: new Date(r.updated_at),
  }));
}

/** Dimensions in key order, so {a,b} and {b,a} are one counter. */
function canonical(dimensions: Record<string, string>): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
}
