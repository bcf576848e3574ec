import { ourEvent, eventSource } from '@cancer-mlops/shared/contracts/events.ts';
import type { TrainingRequest } from '@cancer-mlops/shared/contracts/messages.ts';
import type { EventPublisher, QueueSender } from '@cancer-mlops/shared/ports/messaging.ts';
import {
  DeploymentFailedError,
  type Endpoints,
  type ModelPackage,
  type ModelRegistry,
} from '@cancer-mlops/shared/ports/sagemaker.ts';
import type { StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import type { Ledger, LedgerEntry, ServedModel } from '@cancer-mlops/shared/ledger/ledger.ts';
import {
  listJobRecords,
  type TrainingJobRecord,
} from '@cancer-mlops/training/src/trainingState.ts';
import { UsageError } from './args.ts';

/**
 * `mlops models list | show | approve | reject | rollback`, `mlops train` and the model part
 * of `mlops status`, against the ports: the same registry, ledger and queues the services
 * use, so an operator's decision is recorded exactly like the policy's. Each returns printable
 * text and the same facts as JSON (for `--json`).
 */
export interface ModelsCliDeps {
  registry: ModelRegistry;
  ledger: Ledger;
  state: StateStore;
  endpoints: Endpoints;
  queues: QueueSender;
  events: EventPublisher;
  /** Who acts, recorded as `operator:<actor>` (e.g. the OS user). */
  actor: string;
  now: () => Date;
  group: string;
}

export interface CliResult {
  text: string;
  json: unknown;
}

const f4 = (x: number | undefined) =>
  typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : '-';
const day = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 16);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  '))
    .join('\n');
}

async function resolve(deps: ModelsCliDeps, ref: string | undefined): Promise<ModelPackage> {
  if (!ref) throw new UsageError('name a model: its version (e.g. 3) or its package ARN');
  const key = ref.startsWith('arn:') ? ref : Number(ref.replace(/^v/i, ''));
  if (typeof key === 'number' && !Number.isInteger(key))
    throw new UsageError(`"${ref}" is not a model version or a package ARN`);
  const pkg = await deps.registry.get(key);
  if (!pkg) throw new UsageError(`no model ${ref} in the registry (see mlops models list)`);
  return pkg;
}

const packageJson = (p: ModelPackage, serving: ServedModel | null) => ({
  version: p.version,
  arn: p.arn,
  status: p.status,
  serving: serving?.package_arn === p.arn,
  approvalDescription: p.approvalDescription ?? null,
  description: p.description,
  createdAt: p.createdAt.toISOString(),
  metrics: p.metrics,
  lineage: p.lineage,
  reports: p.reports,
  modelDataUrl: p.modelDataUrl,
  customerMetadata: p.customerMetadata ?? {},
});

export async function modelsList(deps: ModelsCliDeps): Promise<CliResult> {
  const packages = await deps.registry.list(deps.group);
  const serving = await deps.ledger.serving();
  if (packages.length === 0)
    return { text: 'No models registered yet (mlops train requests one).', json: [] };
  const rows = [
    ['', 'VERSION', 'STATUS', 'ROC AUC', 'SENSITIVITY', 'THRESHOLD', 'DATASET', 'CREATED'],
  ];
  for (const p of packages) {
    rows.push([
      serving?.package_arn === p.arn ? '*' : '',
      `v${p.version}`,
      p.status,
      f4(p.metrics.roc_auc),
      f4(p.metrics.sensitivity),
      f4(p.metrics.threshold),
      p.lineage.datasetId,
      day(p.createdAt),
    ]);
  }
  const note = serving ? `\n* serving since ${serving.since}` : '\nNothing is serving.';
  return { text: table(rows) + note, json: packages.map((p) => packageJson(p, serving)) };
}

export async function modelsShow(deps: ModelsCliDeps, ref: string | undefined): Promise<CliResult> {
  const p = await resolve(deps, ref);
  const serving = await deps.ledger.serving();
  const history = (await deps.ledger.entries()).filter(
    (e) => e.package_arn === p.arn || e.serving_package_arn === p.arn,
  );
  const lines = [
    `Model v${p.version}  ${p.status}${serving?.package_arn === p.arn ? '  (serving)' : ''}`,
    `  package       ${p.arn}`,
    `  created       ${p.createdAt.toISOString()}`,
    `  description   ${p.description}`,
    ...(p.approvalDescription ? [`  decision      ${p.approvalDescription}`] : []),
    '  metrics (validation set)',
    ...Object.entries(p.metrics)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `    ${k.padEnd(20)} ${Number.isInteger(v) ? v : v.toFixed(4)}`),
    '  lineage',
    `    dataset              ${p.lineage.datasetId}  (${p.lineage.datasetUri})`,
    `    training job         ${p.lineage.trainingJob}`,
    `    code version         ${p.lineage.codeVersion}`,
    `    feature group        version ${p.lineage.featureGroupVersion}`,
    `    hyperparameters      ${
      Object.entries(p.lineage.hyperparameters)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '(defaults)'
    }`,
    '  reports',
    `    model quality        ${p.reports.modelQuality}`,
    `    baseline statistics  ${p.reports.dataStatistics}`,
    `    baseline constraints ${p.reports.dataConstraints}`,
    `  model data            ${p.modelDataUrl}`,
    '  history',
    ...(history.length
      ? history.map((e) => `    ${e.at}  ${e.action.padEnd(17)} ${e.actor.padEnd(16)} ${e.reason}`)
      : ['    (none)']),
  ];
  return { text: lines.join('\n'), json: { ...packageJson(p, serving), history } };
}

export async function modelsApprove(
  deps: ModelsCliDeps,
  ref: string | undefined,
  reason?: string,
): Promise<CliResult> {
  const p = await resolve(deps, ref);
  if (p.status === 'Approved')
    return {
      text: `v${p.version} is already approved.`,
      json: { version: p.version, status: p.status, changed: false },
    };
  // Approving what the policy (or a person) rejected puts it on the endpoint at once: an
  // override, which the ledger must explain as a reject or a rollback is explained.
  const override = p.status === 'Rejected';
  if (override && !reason)
    throw new UsageError(
      `v${p.version} was rejected (${(p.approvalDescription ?? 'no reason recorded').slice(0, 200)}); ` +
        `to deploy it anyway, say why: mlops models approve ${p.version} --reason "<why>"`,
    );
  const actor = `operator:${deps.actor}`;
  const description = override
    ? `approved by ${deps.actor} over the policy’s rejection: ${reason}`
    : `approved by ${deps.actor}: ${reason ?? 'approved by an operator'}`;
  await deps.ledger.append({
    action: 'approved',
    version: p.version,
    package_arn: p.arn,
    actor,
    reason: description,
    details: { previous_status: p.status },
  });
  await deps.registry.updateApproval(p.arn, 'Approved', description);
  return {
    text: override
      ? `v${p.version} approved, overriding its rejection; it will be deployed (watch mlops status).`
      : `v${p.version} approved; it will be deployed (watch mlops status).`,
    json: { version: p.version, status: 'Approved', changed: true, description },
  };
}

export async function modelsReject(
  deps: ModelsCliDeps,
  ref: string | undefined,
  reason: string | undefined,
): Promise<CliResult> {
  if (!reason) throw new UsageError('say why: mlops models reject <version> --reason "<why>"');
  const p = await resolve(deps, ref);
  const serving = await deps.ledger.serving();
  if (serving?.package_arn === p.arn)
    throw new UsageError(
      `v${p.version} is serving; use mlops models rollback to take it out of service`,
    );
  if (p.status === 'Rejected')
    return {
      text: `v${p.version} is already rejected.`,
      json: { version: p.version, status: p.status, changed: false },
    };
  const description = `rejected by ${deps.actor}: ${reason}`;
  await deps.ledger.append({
    action: 'rejected',
    version: p.version,
    package_arn: p.arn,
    actor: `operator:${deps.actor}`,
    reason: description,
    details: { previous_status: p.status },
  });
  await deps.registry.updateApproval(p.arn, 'Rejected', description);
  return {
    text: `v${p.version} rejected.`,
    json: { version: p.version, status: 'Rejected', changed: true, description },
  };
}

/**
 * Puts an earlier model back in service: by default the one that served before the current
 * one. The current package is marked Rejected (so nothing deploys it again by itself), the
 * ledger records who rolled back, from what, to what and why.
 */
export async function modelsRollback(
  deps: ModelsCliDeps,
  options: { to?: string; reason?: string },
): Promise<CliResult> {
  if (!options.reason)
    throw new UsageError('say why: mlops models rollback [--to <version>] --reason "<why>"');
  const serving = await deps.ledger.serving();
  if (!serving) throw new UsageError('nothing is serving, so there is nothing to roll back');
  const target = options.to ? await resolve(deps, options.to) : await previousServed(deps, serving);
  if (target.arn === serving.package_arn)
    throw new UsageError(`v${target.version} is already serving`);
  if (target.status !== 'Approved') {
    throw new UsageError(
      `v${target.version} is ${target.status}; approve it first (mlops models approve ${target.version})`,
    );
  }
  let result;
  try {
    result = await deps.endpoints.deploy(target);
  } catch (e) {
    if (e instanceof DeploymentFailedError) {
      throw new UsageError(
        `rollback to v${target.version} failed, v${serving.version} keeps serving: ${e.message}`,
      );
    }
    throw e;
  }
  const description = `rolled back by ${deps.actor} to v${target.version}: ${options.reason}`;
  await deps.ledger.append({
    action: 'rolled-back',
    version: serving.version,
    package_arn: serving.package_arn,
    actor: `operator:${deps.actor}`,
    reason: description,
    serving: target.version,
    serving_package_arn: target.arn,
    endpoint: result.current.endpoint,
    details: { automatic: false, from_version: serving.version },
  });
  await deps.registry.updateApproval(serving.package_arn, 'Rejected', description);
  await deps.events.publish([
    ourEvent(
      'ModelDeployed',
      {
        model_version: String(target.version),
        model_package_arn: target.arn,
        endpoint: result.current.endpoint,
        previous_version: String(serving.version),
        deployed_at: result.current.deployedAt.toISOString(),
      },
      { source: eventSource('cli') },
    ),
  ]);
  return {
    text: `v${target.version} is serving again; v${serving.version} is rejected.`,
    json: { serving: target.version, previous: serving.version, description },
  };
}

async function previousServed(deps: ModelsCliDeps, serving: ServedModel): Promise<ModelPackage> {
  const changes = (await deps.ledger.entries()).filter(
    (e) => e.serving !== undefined && e.serving !== null && e.at < serving.since,
  );
  const before = changes.reverse().find((e) => e.serving !== serving.version);
  if (!before || before.serving === null || before.serving === undefined) {
    throw new UsageError('no earlier model has served; name one with --to <version>');
  }
  return resolve(deps, String(before.serving));
}

export async function train(
  deps: ModelsCliDeps,
  options: { detail?: string; cutoff?: string } = {},
): Promise<CliResult> {
  if (options.cutoff !== undefined && Number.isNaN(Date.parse(options.cutoff))) {
    throw new UsageError(
      `--cutoff must be an ISO-8601 time, e.g. 2026-01-05T03:00:00Z (got "${options.cutoff}")`,
    );
  }
  if (options.cutoff !== undefined && Date.parse(options.cutoff) > deps.now().getTime()) {
    throw new UsageError(
      `--cutoff ${options.cutoff} is in the future; a snapshot can only be of the past (leave it out for now)`,
    );
  }
  const request: TrainingRequest = {
    kind: 'training-request',
    reason: 'manual',
    // Two `mlops train` at once start one training, as the design promises.
    idempotency_key: 'manual',
    requested_at: deps.now().toISOString(),
    detail: (options.detail ?? `requested by ${deps.actor}`).slice(0, 2000),
    ...(options.cutoff ? { cutoff: new Date(options.cutoff).toISOString() } : {}),
  };
  await deps.queues.send('training-requests', [request]);
  return {
    text: `Training requested${options.cutoff ? ` on the snapshot at ${request.cutoff}` : ''}; follow it with mlops status.`,
    json: request,
  };
}

export interface ModelStatus {
  serving: (ServedModel & { url?: string; running: boolean }) | null;
  pending: { version: number; arn: string; createdAt: string; recommendation: string | null }[];
  trainings: {
    running: TrainingJobRecord[];
    /** Failed, stopped and refused trainings, newest first, with their reasons. */
    failed: TrainingJobRecord[];
  };
  recent: LedgerEntry[];
}

/** What serves, what waits for a person, which trainings run and which failed and why. */
export async function modelsStatus(deps: ModelsCliDeps, limit = 5): Promise<CliResult> {
  const [served, current, packages, jobs, entries] = await Promise.all([
    deps.ledger.serving(),
    deps.endpoints.current(),
    deps.registry.list(deps.group),
    listJobRecords(deps.state),
    deps.ledger.entries(),
  ]);
  const recommendation = (version: number) =>
    [...entries].reverse().find((e) => e.version === version && e.action === 'awaiting-approval')
      ?.reason ?? null;
  const status: ModelStatus = {
    serving: served
      ? {
          ...served,
          ...(current?.url ? { url: current.url } : {}),
          running: current?.packageArn === served.package_arn && !!current,
        }
      : null,
    pending: packages
      .filter((p) => p.status === 'PendingManualApproval')
      .map((p) => ({
        version: p.version,
        arn: p.arn,
        createdAt: p.createdAt.toISOString(),
        recommendation: recommendation(p.version),
      })),
    trainings: {
      running: jobs.filter((j) => j.status === 'InProgress'),
      failed: jobs
        .filter((j) => j.status === 'Failed' || j.status === 'Stopped' || j.status === 'Refused')
        .slice(0, limit),
    },
    recent: entries.slice(-limit).reverse(),
  };
  const lines: string[] = [];
  lines.push(
    status.serving
      ? `Serving: v${status.serving.version} since ${status.serving.since}${status.serving.running ? '' : ' (not running)'} — ${status.serving.reason}`
      : 'Serving: nothing',
  );
  lines.push(status.pending.length ? 'Waiting for approval:' : 'Waiting for approval: none');
  for (const p of status.pending)
    lines.push(
      `  v${p.version}  registered ${p.createdAt}${p.recommendation ? `  ${p.recommendation}` : ''}`,
    );
  lines.push(status.trainings.running.length ? 'Training now:' : 'Training now: none');
  for (const j of status.trainings.running)
    lines.push(
      `  ${j.job_name}  ${j.reason}  dataset ${j.dataset_id ?? '-'}  since ${j.started_at}`,
    );
  if (status.trainings.failed.length) lines.push('Failed trainings:');
  for (const j of status.trainings.failed)
    lines.push(
      `  ${j.job_name}  ${j.status}  ${j.ended_at ?? j.started_at}  ${j.failure_reason ?? ''}`,
    );
  if (status.recent.length) lines.push('Recent decisions:');
  for (const e of status.recent)
    lines.push(`  ${e.at}  v${e.version} ${e.action} by ${e.actor}: ${e.reason}`);
  return { text: lines.join('\n'), json: status };
}
