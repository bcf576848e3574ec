import { modelPackageGroup } from '@cancer-mlops/shared/topology/common.ts';
import { logicalName } from '@cancer-mlops/shared/topology/names.ts';
import type { ModelPackage } from '@cancer-mlops/shared/ports/sagemaker.ts';
import { loadHistory, REACTIONS_NS } from '@cancer-mlops/monitor/src/monitorState.ts';
import type { ReactionResult } from '@cancer-mlops/monitor/src/reactToDrift.ts';
import { listJobRecords } from '@cancer-mlops/training/src/trainingState.ts';
import type { LocalState } from '../localState.ts';
import { readCounters } from '../state/localMetrics.ts';
import { LocalModelRegistry } from '../sagemaker/localModelRegistry.ts';
import { LocalEndpoints } from '../sagemaker/localEndpoints.ts';

export interface QueueStatus {
  visible: number;
  inFlight: number;
  delayed: number;
  dlq: number;
}

export interface PackageStatus {
  version: string;
  status: string;
  auc: number | null;
  sensitivity: number | null;
  reason: string | null;
  createdAt: string;
}

/** `mlops status --json`; documented in the README. Fields are only ever added. */
export interface Status {
  stateDir: string;
  stages: {
    ingest: {
      files: number;
      rows: number;
      accepted: number;
      quarantined: number;
      refusedFiles: number;
    };
    scoring: { scored: number; cacheHits: number };
    features: { written: number; duplicates: number; records: number };
    training: {
      packages: number;
      approved: number;
      rejected: number;
      pending: number;
      /** The newest training that failed or was refused, when it is newer than every package. */
      lastFailure: null | { job: string; status: string; reason: string; at: string };
    };
    batch: { files: number; predicted: number; errors: number };
  };
  queues: Record<string, QueueStatus>;
  model: {
    deployed: null | {
      version: string;
      auc: number | null;
      packageArn: string;
      deployedAt: string;
      url?: string;
    };
    packages: PackageStatus[];
  };
  monitoring: {
    /** The newest monitoring run, as kept in the monitor's history. */
    lastRun: null | {
      runId: string;
      at: string;
      modelVersion: string | null;
      samples: number;
      dataStatus: string;
      drifted: number;
      tested: number;
      qualityStatus: string | null;
    };
    /** The newest decision of reactToDrift on a DriftDetected alarm. */
    lastReaction: null | { alarm: string; at: string; outcome: string; reason: string };
  };
  counters: Record<string, number>;
}

/** Reads the status of a state folder from its durable state; works while a runtime runs or not. */
export async function readStatus(state: LocalState): Promise<Status> {
  const counters: Record<string, number> = {};
  // Per name (the sum), and per name and dimensions when it has some: `Name{k=v}`.
  for (const c of readCounters(state.db)) {
    counters[c.name] = (counters[c.name] ?? 0) + c.value;
    const dims = Object.entries(c.dimensions).map(([k, v]) => `${k}=${v}`);
    if (dims.length) counters[`${c.name}{${dims.join(',')}}`] = c.value;
  }
  const n = (name: string) => counters[name] ?? 0;

  const queues: Record<string, QueueStatus> = {};
  for (const q of state.queues.listQueues()) {
    if (q.name.endsWith('-dlq')) continue;
    const d = state.queues.depth(q.name);
    queues[logicalName(state.names, q.name) ?? q.name] = {
      visible: d.visible,
      inFlight: d.inFlight,
      delayed: d.delayed,
      dlq: d.dlq,
    };
  }

  const group = modelPackageGroup(state.names);
  const registry = new LocalModelRegistry({ db: state.db, emit: () => undefined, group });
  const packages = await registry.list(group);
  const endpoints = new LocalEndpoints({
    stateDir: state.stateDir,
    db: state.db,
    objects: state.objects,
    names: state.names,
  });
  const current = await endpoints.current();
  const byArn = new Map(packages.map((p) => [p.arn, p]));
  const deployedPkg = current ? byArn.get(current.packageArn) : undefined;
  const records = (
    state.db.prepare('SELECT COUNT(*) AS n FROM fs_online WHERE is_deleted = 0').get() as {
      n: number;
    }
  ).n;

  return {
    stateDir: state.stateDir,
    stages: {
      ingest: {
        files: n('FilesRead'),
        rows: n('RowsRead'),
        accepted: n('RowsAccepted'),
        quarantined: n('RowsQuarantined'),
        refusedFiles: n('FilesRefused'),
      },
      scoring: { scored: n('NotesScored'), cacheHits: n('ScoreCacheHits') },
      features: { written: n('FeaturesWritten'), duplicates: n('FeatureDuplicates'), records },
      training: {
        packages: packages.length,
        approved: packages.filter((p) => p.status === 'Approved').length,
        rejected: packages.filter((p) => p.status === 'Rejected').length,
        pending: packages.filter((p) => p.status === 'PendingManualApproval').length,
        lastFailure: await lastTrainingFailure(state, packages),
      },
      batch: {
        files: n('BatchJobs'),
        predicted: n('BatchRowsPredicted'),
        errors: n('BatchRowErrors'),
      },
    },
    queues,
    model: {
      deployed: current
        ? {
            version: String(current.version),
            auc: deployedPkg ? metric(deployedPkg, 'roc_auc') : null,
            packageArn: current.packageArn,
            deployedAt: new Date(current.deployedAt).toISOString(),
            ...(current.url ? { url: current.url } : {}),
          }
        : null,
      packages: packages.map((p): PackageStatus => ({
        version: String(p.version),
        status: p.status,
        auc: metric(p, 'roc_auc'),
        sensitivity: metric(p, 'sensitivity'),
        reason: p.approvalDescription ?? null,
        createdAt: new Date(p.createdAt).toISOString(),
      })),
    },
    monitoring: await readMonitoring(state),
    counters,
  };
}

/** From the training service's job records: the newest failure, if no package is newer. */
async function lastTrainingFailure(
  state: LocalState,
  packages: ModelPackage[],
): Promise<Status['stages']['training']['lastFailure']> {
  const failed = (await listJobRecords(state.state))
    .filter((j) => j.failure_reason && j.ended_at)
    .sort((a, b) => (a.ended_at as string).localeCompare(b.ended_at as string))
    .at(-1);
  if (!failed) return null;
  const newestPackage = Math.max(0, ...packages.map((p) => new Date(p.createdAt).getTime()));
  if (Date.parse(failed.ended_at as string) < newestPackage) return null;
  return {
    job: failed.job_name,
    status: failed.status,
    reason: failed.failure_reason as string,
    at: failed.ended_at as string,
  };
}

/** From the monitor's own documents: its run history and reactToDrift's decisions. */
async function readMonitoring(state: LocalState): Promise<Status['monitoring']> {
  const last = (await loadHistory(state.state)).at(-1);
  const reactions = await state.state.list<ReactionResult & { at: string }>(REACTIONS_NS);
  // The namespace also holds reactToDrift's retraining claims, which carry no outcome.
  const newest = reactions
    .filter((r) => typeof r.value.outcome === 'string')
    .sort((a, b) => a.value.at.localeCompare(b.value.at))
    .at(-1);
  return {
    lastRun: last
      ? {
          runId: last.run_id,
          at: last.at,
          modelVersion: last.model_version,
          samples: last.samples,
          dataStatus: last.data_status,
          drifted: last.drifted,
          tested: last.tested,
          qualityStatus: last.quality?.status ?? null,
        }
      : null,
    lastReaction: newest
      ? {
          alarm: newest.key,
          at: newest.value.at,
          outcome: newest.value.outcome,
          reason: newest.value.reason,
        }
      : null,
  };
}

function metric(p: ModelPackage, name: string): number | null {
  const v = p.metrics?.[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The human view of a status. */
export function formatStatus(s: Status): string {
  const i = s.stages.ingest;
  const lines = [
    `state folder: ${s.stateDir}`,
    '',
    'stages',
    `  ingest     ${i.files} file(s), ${i.rows} rows: ${i.accepted} accepted, ${i.quarantined} quarantined` +
      (i.refusedFiles
        ? `, ${i.refusedFiles} file(s) refused (why: file_error in buckets/raw/quarantine/<file>.summary.json)`
        : ''),
    `  scoring    ${s.stages.scoring.scored} notes scored (${s.stages.scoring.cacheHits} from cache)`,
    `  features   ${s.stages.features.written} written, ${s.stages.features.duplicates} duplicates, ${s.stages.features.records} records in the store`,
    ...(s.stages.training.lastFailure
      ? [
          `  training   last training ${s.stages.training.lastFailure.status}: ${s.stages.training.lastFailure.reason}`,
        ]
      : []),
    `  batch      ${s.stages.batch.files} file(s): ${s.stages.batch.predicted} rows predicted, ${s.stages.batch.errors} rows in error files`,
    `  registry   ${s.stages.training.packages} package(s): ${s.stages.training.approved} approved, ${s.stages.training.rejected} rejected, ${s.stages.training.pending} pending`,
    '',
    'queues                      visible  in-flight  dlq',
    ...Object.entries(s.queues).map(
      ([name, q]) =>
        `  ${name.padEnd(24)} ${String(q.visible).padStart(7)} ${String(q.inFlight).padStart(10)} ${String(q.dlq).padStart(4)}`,
    ),
    '',
    s.model.deployed
      ? `model      version ${s.model.deployed.version} serving since ${s.model.deployed.deployedAt}` +
        (s.model.deployed.auc !== null
          ? ` (validation ROC AUC ${s.model.deployed.auc.toFixed(4)})`
          : '')
      : 'model      none deployed yet',
    ...s.model.packages
      .slice(0, 10)
      .map((p) =>
        `  v${p.version.padEnd(4)} ${p.status.padEnd(22)} auc ${p.auc?.toFixed(4) ?? '-'}  ${p.reason ?? ''}`.trimEnd(),
      ),
    '',
    ...formatMonitoring(s.monitoring),
    '',
    'counters',
    ...Object.entries(s.counters)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, v]) => `  ${name.padEnd(26)} ${v}`),
  ];
  return lines.join('\n');
}

function formatMonitoring(m: Status['monitoring']): string[] {
  const r = m.lastRun;
  return [
    r
      ? `monitor    last run ${r.runId}: ${r.samples} captured row(s), model v${r.modelVersion ?? '?'}, data ${r.dataStatus}` +
        (r.tested ? ` (${r.drifted} of ${r.tested} features drifted)` : '') +
        (r.qualityStatus ? `, quality ${r.qualityStatus}` : '')
      : 'monitor    no run yet (npx mlops monitor run)',
    ...(m.lastReaction
      ? [`  last drift alarm ${m.lastReaction.outcome}: ${m.lastReaction.reason}`]
      : []),
  ];
}
