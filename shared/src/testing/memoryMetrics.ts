import type { MetricsSink } from '../ports/stateStore.ts';

/**
 * The MetricsSink port for tests: counts summed per `name`, or `name{k=v,…}` when the count
 * has dimensions (in the order given).
 */
export class MemoryMetrics implements MetricsSink {
  readonly counts: Record<string, number> = {};
  flushes = 0;

  count(name: string, value = 1, dimensions: Record<string, string> = {}): void {
    const dims = Object.entries(dimensions)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const key = dims ? `${name}{${dims}}` : name;
    this.counts[key] = (this.counts[key] ?? 0) + value;
  }

  async flush(): Promise<void> {
    this.flushes++;
  }

  get(key: string): number {
    return this.counts[key] ?? 0;
  }
}
