import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsSink } from '../ports/stateStore.ts';

export interface PowertoolsMetricsOptions {
  /** CloudWatch namespace, e.g. `cancer-mlops/dev`. */
  namespace: string;
  /** The `service` dimension of every metric. */
  service: string;
}

/**
 * Counters as CloudWatch embedded-metric-format lines (powertools), which cost no API call:
 * counts are summed in memory and written at flush, one EMF document per dimension set, so
 * a file of 10,000 rows is a handful of log lines, not 10,000.
 */
export function buildPowertoolsMetrics(options: PowertoolsMetricsOptions): MetricsSink {
  const sums = new Map<
    string,
    { dimensions: Record<string, string>; values: Map<string, number> }
  >();

  return {
    count(name, value = 1, dimensions = {}) {
      const dimKey = JSON.stringify(
        Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)),
      );
      let group = sums.get(dimKey);
      if (!group) {
        group = { dimensions: { ...dimensions }, values: new Map() };
        sums.set(dimKey, group);
      }
      group.values.set(name, (group.values.get(name) ?? 0) + value);
    },

    async flush() {
      const groups = [...sums.values()];
      sums.clear();
      for (const group of groups) {
        const metrics = new Metrics({
          namespace: options.namespace,
          serviceName: options.service,
          defaultDimensions: group.dimensions,
        });
        for (const [name, value] of group.values) metrics.addMetric(name, MetricUnit.Count, value);
        metrics.publishStoredMetrics();
      }
    },
  };
}
