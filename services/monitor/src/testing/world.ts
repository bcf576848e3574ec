import { modelFeatureNames } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { buildBaseline } from '@cancer-mlops/shared/domain/drift/baseline.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import type { AnalyzeDriftDeps } from '../analyzeDrift.ts';
import { DEFAULT_MONITOR_CONFIG, type MonitorConfig } from '../config.ts';
import { captureKey, jsonCaptureLine } from './capture.ts';
import {
  CountingMetrics,
  MemoryObjectStore,
  MemoryStateStore,
  memoryLog,
  RecordingPublisher,
  testClock,
} from './fakes.ts';
import { drawWithoutReplacement, loadWdbc, SIZE_FEATURES, type WdbcRow } from './wdbc.ts';
import { mulberry32 } from '@cancer-mlops/shared/domain/random.ts';

/**
 * A monitor with in-memory ports, a deployed model `v1` whose baseline is WDBC (plus a seeded
 * note risk score, so all 31 model features are present), and helpers to drop captures and
 * ground truth where the proxy and the hospital would.
 */

export const ENDPOINT = 'cancer-mlops-test-endpoint';
const NAMES: NameContext = { prefix: 'cancer-mlops', stage: 'test' };

export interface ModelRow {
  id: number;
  diagnosis: 'M' | 'B';
  features: Record<string, number>;
}

let cachedRows: ModelRow[] | undefined;
let cachedBaseline: ReturnType<typeof buildBaseline> | undefined;

/** WDBC rows with a risk score 6-10 for malignant and 1-5 for benign cases (seeded). */
export function modelRows(): ModelRow[] {
  if (cachedRows) return cachedRows;
  const rand = mulberry32(42);
  cachedRows = loadWdbc().map((r: WdbcRow, id) => ({
    id,
    diagnosis: r.diagnosis,
    features: {
      ...r.features,
      malignancy_risk_score: (r.diagnosis === 'M' ? 6 : 1) + Math.floor(rand() * 5),
    },
  }));
  return cachedRows;
}

export function shiftSize(features: Record<string, number>, factor = 1.4): Record<string, number> {
  const out = { ...features };
  for (const f of SIZE_FEATURES) out[f] = out[f] * factor;
  return out;
}

export async function createWorld(
  config: Partial<MonitorConfig> = {},
  start = '2026-12-03T20:05:00Z',
) {
  const objects = new MemoryObjectStore();
  const state = new MemoryStateStore();
  const events = new RecordingPublisher();
  const metrics = new CountingMetrics();
  const log = memoryLog();
  const clock = testClock(start);
  const rows = modelRows();
  const files = (cachedBaseline ??= buildBaseline(
    rows.map((r) => r.features),
    modelFeatureNames(),
  ));
  await objects.put('artifacts', 'models/v1/statistics.json', JSON.stringify(files.statistics));
  await objects.put('artifacts', 'models/v1/constraints.json', JSON.stringify(files.constraints));
  await objects.put('artifacts', 'models/v1/baseline-sample.csv', files.sampleCsv);
  await objects.put(
    'artifacts',
    'models/v1/evaluation.json',
    JSON.stringify({ validation: { roc_auc: 0.99, accuracy: 0.96, sensitivity: 0.95 } }),
  );
  await state.put('deployment', 'current', {
    version: 'v1',
    packageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1',
  });

  const deps: AnalyzeDriftDeps = {
    objects,
    events,
    state,
    metrics,
    names: NAMES,
    now: clock.now,
    config: { ...DEFAULT_MONITOR_CONFIG, ...config },
    currentModel: async () => {
      const c = await state.get<{ version: string }>('deployment', 'current');
      return c ? { version: c.version } : null;
    },
    log,
  };
  let fileNo = 0;
  const rand = mulberry32(7);

  /** Writes `n` WDBC rows as one capture file in the hour of `at`; returns the rows used. */
  async function capture(
    n: number,
    opts: {
      at?: string;
      shift?: boolean;
      idPrefix?: string;
      probability?: (r: ModelRow) => number;
    } = {},
  ) {
    const at = opts.at ?? clock.now().toISOString();
    const picked = drawWithoutReplacement(rows, n, rand);
    const lines = picked.map((r, i) =>
      jsonCaptureLine([opts.shift ? shiftSize(r.features) : r.features], {
        inferenceId: `${opts.idPrefix ?? 'inf'}-${fileNo}-${i}`,
        time: at,
        probability: opts.probability ? opts.probability(r) : r.diagnosis === 'M' ? 0.9 : 0.1,
      }),
    );
    const key = captureKey(ENDPOINT, at, `part-${String(fileNo++).padStart(4, '0')}.jsonl`);
    await objects.put('artifacts', key, `${lines.join('\n')}\n`);
    return {
      key,
      rows: picked,
      ids: picked.map((_, i) => `${opts.idPrefix ?? 'inf'}-${fileNo - 1}-${i}`),
    };
  }

  return { objects, state, events, metrics, log, clock, deps, capture };
}
