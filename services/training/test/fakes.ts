/**
 * In-memory ports for the training and inference tests: small, behaving like the real ones
 * where the services rely on it (conditional writes, lexical listing, bitemporal snapshots).
 */
import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';
import type { FeatureRecord } from '@cancer-mlops/shared/contracts/record.ts';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type {
  FeatureStore,
  SnapshotQuery,
  WriteResult,
} from '@cancer-mlops/shared/ports/featureStore.ts';
import type { EventPublisher, QueueSender } from '@cancer-mlops/shared/ports/messaging.ts';
import {
  DeploymentFailedError,
  NoEndpointError,
  type DeployedModel,
  type DeployResult,
  type Endpoints,
  type ModelApprovalStatus,
  type ModelPackage,
  type ModelRegistry,
  type NewModelPackage,
  type TrainingJobDescription,
  type TrainingJobs,
  type TrainingJobSpec,
} from '@cancer-mlops/shared/ports/sagemaker.ts';
import type { StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
export { MemoryObjectStore } from '@cancer-mlops/shared/testing/memoryObjectStore.ts';
export { clock } from '@cancer-mlops/shared/testing/clock.ts';

export class MemoryStateStore implements StateStore {
  readonly data = new Map<string, unknown>();
  private readonly k = (ns: string, key: string) => `${ns}\u0000${key}`;
  async get<T>(ns: string, key: string) {
    const v = this.data.get(this.k(ns, key));
    return v === undefined ? undefined : (structuredClone(v) as T);
  }
  async put(ns: string, key: string, value: unknown) {
    this.data.set(this.k(ns, key), JSON.parse(JSON.stringify(value)));
  }
  async putIfAbsent(ns: string, key: string, value: unknown) {
    if (this.data.has(this.k(ns, key))) return false;
    await this.put(ns, key, value);
    return true;
  }
  async delete(ns: string, key: string) {
    this.data.delete(this.k(ns, key));
  }
  async list<T>(ns: string, prefix = '') {
    return [...this.data.entries()]
      .filter(([k]) => k.startsWith(`${ns}\u0000${prefix}`))
      .map(([k, v]) => ({ key: k.slice(ns.length + 1), value: structuredClone(v) as T }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }
}

/** Versions of records with the time they were written, read with the port's semantics. */
export class MemoryFeatureStore implements FeatureStore {
  readonly versions: { record: FeatureRecord; writtenAt: Date }[] = [];
  constructor(private readonly now: () => Date = () => new Date()) {}

  add(
    record: Partial<FeatureRecord> & { record_id: string; event_time: string },
    writtenAt: Date,
  ): void {
    this.versions.push({
      record: { is_deleted: false, score_source: 'none', ...record } as FeatureRecord,
      writtenAt,
    });
  }
  async put(records: readonly FeatureRecord[]): Promise<WriteResult> {
    for (const r of records) this.versions.push({ record: r, writtenAt: this.now() });
    return { written: records.length, duplicates: 0 };
  }
  async latest(recordId: string) {
    return this.versions
      .filter((v) => v.record.record_id === recordId)
      .sort((a, b) => Date.parse(a.record.event_time) - Date.parse(b.record.event_time))
      .at(-1)?.record;
  }
  async *snapshot(query: SnapshotQuery): AsyncIterable<FeatureRecord> {
    const cutoff = query.cutoff.getTime();
    const latest = new Map<string, { record: FeatureRecord; writtenAt: Date }>();
    for (const v of this.versions) {
      if (Date.parse(v.record.event_time) > cutoff) continue;
      if ((query.bitemporal ?? true) && v.writtenAt.getTime() > cutoff) continue;
      const cur = latest.get(v.record.record_id);
      const newer =
        !cur ||
        Date.parse(v.record.event_time) > Date.parse(cur.record.event_time) ||
        (Date.parse(v.record.event_time) === Date.parse(cur.record.event_time) &&
          v.writtenAt >= cur.writtenAt);
      if (newer) latest.set(v.record.record_id, v);
    }
    for (const { record } of latest.values()) {
      if (record.is_deleted) continue;
      if (query.labelledOnly && !record.diagnosis) continue;
      yield record;
    }
  }
  async countLabelledWrittenSince(since: Date) {
    return this.versions.filter((v) => v.record.diagnosis && v.writtenAt > since).length;
  }
}

export class RecordingPublisher implements EventPublisher {
  readonly events: BusEvent[] = [];
  async publish(events: readonly BusEvent[]) {
    this.events.push(...events);
  }
  ofType(type: string) {
    return this.events.filter((e) => e['detail-type'] === type);
  }
}

export class RecordingQueues implements QueueSender {
  readonly sent: { queue: string; message: unknown }[] = [];
  async send(queue: string, messages: readonly unknown[]) {
    for (const message of messages) this.sent.push({ queue, message });
  }
}

export class FakeTrainingJobs implements TrainingJobs {
  readonly started: TrainingJobSpec[] = [];
  readonly jobs = new Map<string, TrainingJobDescription>();
  failNext?: Error;
  async start(spec: TrainingJobSpec) {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    this.started.push(spec);
    this.jobs.set(spec.jobName, {
      jobName: spec.jobName,
      status: 'InProgress',
      hyperparameters: spec.hyperparameters,
      createdAt: new Date(),
    });
  }
  async describe(jobName: string) {
    return this.jobs.get(jobName);
  }
}

export class MemoryRegistry implements ModelRegistry {
  readonly packages: ModelPackage[] = [];
  readonly updates: { arn: string; status: ModelApprovalStatus; description: string }[] = [];
  constructor(private readonly group = 'cancer-prediction') {}

  async createPackage(input: NewModelPackage) {
    const version = this.packages.filter((p) => p.group === input.group).length + 1;
    const arn = `arn:aws:sagemaker:us-east-1:123456789012:model-package/${input.group}/${version}`;
    const at = new Date();
    this.packages.push({
      ...structuredClone(input),
      arn,
      version,
      status: 'PendingManualApproval',
      createdAt: at,
      updatedAt: at,
    });
    return { arn, version };
  }
  async get(ref: string | number) {
    const p = this.packages.find((x) =>
      typeof ref === 'number' ? x.group === this.group && x.version === ref : x.arn === ref,
    );
    return p ? structuredClone(p) : undefined;
  }
  async list(group: string) {
    return this.packages
      .filter((p) => p.group === group)
      .reverse()
      .map((p) => structuredClone(p));
  }
  async updateApproval(arn: string, status: ModelApprovalStatus, description: string) {
    const p = this.packages.find((x) => x.arn === arn);
    if (!p) throw new Error(`no package ${arn}`);
    p.status = status;
    p.approvalDescription = description;
    p.updatedAt = new Date();
    this.updates.push({ arn, status, description });
  }
  /** A registered package, for tests that start from one. */
  async seed(
    overrides: Partial<NewModelPackage> & {
      metrics: Record<string, number>;
      status?: ModelApprovalStatus;
      trainingJob?: string;
      datasetId?: string;
    },
  ) {
    const { status, trainingJob, datasetId, ...rest } = overrides;
    const { arn } = await this.createPackage({
      group: this.group,
      description: 'seeded',
      modelDataUrl: 's3://cancer-mlops-test-artifacts/training-jobs/x/output/model.tar.gz',
      reports: {
        modelQuality: 's3://b/q.json',
        dataStatistics: 's3://b/s.json',
        dataConstraints: 's3://b/c.json',
      },
      lineage: {
        datasetId: datasetId ?? 'ds-1',
        datasetUri: 's3://b/datasets/ds-1/',
        codeVersion: 'test',
        trainingJob: trainingJob ?? `job-${this.packages.length + 1}`,
        hyperparameters: {},
        featureGroupVersion: 1,
      },
      ...rest,
    });
    if (status && status !== 'PendingManualApproval')
      await this.updateApproval(arn, status, 'seeded');
    return (await this.get(arn))!;
  }
}

export class FakeEndpoints implements Endpoints {
  serving: DeployedModel | null = null;
  readonly deployed: ModelPackage[] = [];
  failNext?: string;
  /** The next deploy outlasts its wait (InProgress); completePending() finishes it later. */
  slowNext = false;
  private pending: DeployedModel | undefined;
  constructor(private readonly now: () => Date = () => new Date()) {}
  completePending(): void {
    if (this.pending) this.serving = this.pending;
    this.pending = undefined;
  }
  async deploy(pkg: ModelPackage): Promise<DeployResult> {
    if (this.failNext) {
      const reason = this.failNext;
      this.failNext = undefined;
      throw new DeploymentFailedError(reason, this.serving);
    }
    const target: DeployedModel = {
      endpoint: 'cancer-mlops-test-endpoint',
      version: pkg.version,
      packageArn: pkg.arn,
      deployedAt: this.now(),
    };
    this.deployed.push(pkg);
    const previous = this.serving;
    if (this.slowNext) {
      this.slowNext = false;
      this.pending = target;
      return { status: 'InProgress', current: target, previous };
    }
    this.serving = target;
    return { status: 'InService', current: target, previous };
  }
  async current() {
    return this.serving;
  }
  async invoke(): Promise<never> {
    throw new NoEndpointError('fake');
  }
}

/**
 * A labelled record with every WDBC measurement: malignant ones are larger, so a simple
 * model separates them (the tests need signal, not realism).
 */
export function wdbcLikeRecord(
  id: string,
  diagnosis: 'M' | 'B' | undefined,
  eventTime: string,
  extra: Partial<FeatureRecord> = {},
): Partial<FeatureRecord> & { record_id: string; event_time: string } {
  const n = Number(id.replace(/\D/g, '')) || 1;
  const base = diagnosis === 'M' ? 17 : 12;
  const wiggle = ((n * 7919) % 100) / 100;
  const values: Record<string, number> = {};
  for (const name of WDBC_FEATURES)
    values[name] = Number(
      (
        base *
          (name.includes('area')
            ? 40
            : name.includes('perimeter')
              ? 6
              : name.includes('radius')
                ? 1
                : 0.01) +
        wiggle
      ).toFixed(4),
    );
  return {
    record_id: id,
    event_time: eventTime,
    ...(diagnosis ? { diagnosis } : {}),
    malignancy_risk_score: diagnosis === 'M' ? 8 : 2,
    score_source: 'local',
    is_deleted: false,
    ...values,
    ...extra,
  };
}
