import path from 'node:path';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { openRuntimeDb, type RuntimeDb } from './db.ts';
import { LocalQueues } from './queue/localQueues.ts';
import { LocalObjectStore } from './objectStore/localObjectStore.ts';
import { SqliteStateStore } from './state/sqliteStateStore.ts';
import { LocalSecretStore } from './state/localSecretStore.ts';
import { LocalMetrics } from './state/localMetrics.ts';
import { SqliteFeatureStore } from './featureStore/sqliteFeatureStore.ts';

/** The local runtime names its resources like a stage called `local`. */
export const LOCAL_NAMES: NameContext = { prefix: 'cancer-mlops', stage: 'local' };
export const LOCAL_REGION = 'us-east-1';

/** Where things live in a state folder; printed by `mlops start` and documented in the README. */
export function stateLayout(stateDir: string) {
  return {
    stateDir,
    buckets: path.join(stateDir, 'buckets'),
    dropFolder: path.join(stateDir, 'buckets', 'raw', 'incoming'),
    batchFolder: path.join(stateDir, 'buckets', 'batch-in'),
    batchOutFolder: path.join(stateDir, 'buckets', 'batch-out'),
    sagemaker: path.join(stateDir, 'sagemaker'),
    logFile: path.join(stateDir, 'logs', 'runtime.jsonl'),
    tokenFile: path.join(stateDir, 'api-token'),
  };
}

/**
 * The durable pieces of a state folder, without the mesh: what operator commands (`status`,
 * `drop`, `dlq`, `models`) open, whether or not a runtime is running on the same folder.
 */
export interface LocalState {
  stateDir: string;
  names: NameContext;
  db: RuntimeDb;
  queues: LocalQueues;
  objects: LocalObjectStore;
  state: SqliteStateStore;
  secrets: LocalSecretStore;
  metrics: LocalMetrics;
  features: SqliteFeatureStore;
  close(): void;
}

export function openLocalState(stateDir: string, names: NameContext = LOCAL_NAMES): LocalState {
  const layout = stateLayout(stateDir);
  const db = openRuntimeDb(stateDir);
  const metrics = new LocalMetrics(db, { autoFlushMs: 1000 });
  return {
    stateDir,
    names,
    db,
    queues: new LocalQueues(db, { region: LOCAL_REGION }),
    objects: new LocalObjectStore(layout.buckets, names, { db }),
    state: new SqliteStateStore(db),
    secrets: new LocalSecretStore(stateDir),
    metrics,
    features: new SqliteFeatureStore(db),
    close() {
      metrics.close();
      db.close();
    },
  };
}
