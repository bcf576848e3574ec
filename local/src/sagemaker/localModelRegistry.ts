import type Database from 'better-sqlite3';
import {
  packageVersionFromArn,
  type ModelApprovalStatus,
  type ModelPackage,
  type ModelRegistry,
  type NewModelPackage,
} from '@cancer-mlops/shared/ports/sagemaker.ts';
import { errorMessage, silentLog, type RuntimeLog } from '../log.ts';
import {
  LOCAL_ACCOUNT,
  LOCAL_IMAGE,
  SAGEMAKER_SOURCE,
  sagemakerArn,
  type EmitEvent,
} from './container.ts';

export const MODEL_PACKAGE_STATE_CHANGE = 'SageMaker Model Package State Change';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sm_model_packages (
  arn TEXT PRIMARY KEY,
  group_name TEXT NOT NULL,
  version INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('PendingManualApproval', 'Approved', 'Rejected')),
  approval_description TEXT,
  description TEXT NOT NULL,
  model_data_url TEXT NOT NULL,
  image TEXT NOT NULL,
  metrics TEXT NOT NULL,
  reports TEXT NOT NULL,
  lineage TEXT NOT NULL,
  customer_metadata TEXT NOT NULL,
  client_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (group_name, version),
  UNIQUE (group_name, client_token)
);
`;

interface Row {
  arn: string;
  group_name: string;
  version: number;
  status: ModelApprovalStatus;
  approval_description: string | null;
  description: string;
  model_data_url: string;
  image: string;
  metrics: string;
  reports: string;
  lineage: string;
  customer_metadata: string;
  created_at: number;
  updated_at: number;
}

export interface LocalModelRegistryOptions {
  /** The runtime database; the registry keeps its `sm_` tables there. */
  db: Database.Database;
  /** Puts the package state-change events on the default bus. */
  emit: EmitEvent;
  region?: string;
  accountId?: string;
  image?: string;
  /** Group of `get(version)`. */
  group: string;
  now?: () => Date;
  log?: RuntimeLog;
}

export class UnknownPackageError extends Error {
  override readonly name = 'ValidationException';
}

/**
 * SageMaker Model Registry in the runtime database. Versions count up per group in a
 * transaction; a second registration of the same training job returns the first package
 * (SageMaker's ClientToken). Creating a package and changing its approval emit the same
 * `SageMaker Model Package State Change` event SageMaker does, so approval and deployment
 * are driven by the registry locally exactly as on AWS.
 */
export class LocalModelRegistry implements ModelRegistry {
  private readonly db: Database.Database;
  private readonly region: string;
  private readonly account: string;
  private readonly image: string;
  private readonly group: string;
  private readonly now: () => Date;
  private readonly log: RuntimeLog;

  constructor(private readonly o: LocalModelRegistryOptions) {
    this.db = o.db;
    this.db.exec(SCHEMA);
    this.region = o.region ?? 'us-east-1';
    this.account = o.accountId ?? LOCAL_ACCOUNT;
    this.image = o.image ?? LOCAL_IMAGE;
    this.group = o.group;
    this.now = o.now ?? (() => new Date());
    this.log = o.log ?? silentLog;
  }

  async createPackage(input: NewModelPackage): Promise<{ arn: string; version: number }> {
    const at = this.now().getTime();
    const created = this.db
      .transaction((): { row: Row; isNew: boolean } => {
        const existing = this.db
          .prepare('SELECT * FROM sm_model_packages WHERE group_name = ? AND client_token = ?')
          .get(input.group, input.lineage.trainingJob) as Row | undefined;
        if (existing) return { row: existing, isNew: false };
        const { next } = this.db
          .prepare(
            'SELECT COALESCE(MAX(version), 0) + 1 AS next FROM sm_model_packages WHERE group_name = ?',
          )
          .get(input.group) as { next: number };
        const row: Row = {
          arn: sagemakerArn(this.region, this.account, `model-package/${input.group}/${next}`),
          group_name: input.group,
          version: next,
          status: 'PendingManualApproval',
          approval_description: null,
          description: input.description.slice(0, 1024),
          model_data_url: input.modelDataUrl,
          image: this.image,
          metrics: JSON.stringify(input.metrics),
          reports: JSON.stringify(input.reports),
          lineage: JSON.stringify(input.lineage),
          customer_metadata: JSON.stringify(input.customerMetadata ?? {}),
          created_at: at,
          updated_at: at,
        };
        this.db
          .prepare(
            `INSERT INTO sm_model_packages (arn, group_name, version, status, approval_description, description, model_data_url, image,
               metrics, reports, lineage, customer_metadata, client_token, created_at, updated_at)
             VALUES (@arn, @group_name, @version, @status, @approval_description, @description, @model_data_url, @image,
               @metrics, @reports, @lineage, @customer_metadata, @client_token, @created_at, @updated_at)`,
          )
          .run({ ...row, client_token: input.lineage.trainingJob });
        return { row, isNew: true };
      })
      .immediate();
    if (created.isNew) await this.emit(fromRow(created.row));
    return { arn: created.row.arn, version: created.row.version };
  }

  async get(arnOrVersion: string | number): Promise<ModelPackage | undefined> {
    const row =
      typeof arnOrVersion === 'string' && arnOrVersion.startsWith('arn:')
        ? (this.db.prepare('SELECT * FROM sm_model_packages WHERE arn = ?').get(arnOrVersion) as
            Row | undefined)
        : (this.db
            .prepare('SELECT * FROM sm_model_packages WHERE group_name = ? AND version = ?')
            .get(this.group, Number(arnOrVersion)) as Row | undefined);
    return row ? fromRow(row) : undefined;
  }

  async list(group: string): Promise<ModelPackage[]> {
    const rows = this.db
      .prepare('SELECT * FROM sm_model_packages WHERE group_name = ? ORDER BY version DESC')
      .all(group) as Row[];
    return rows.map(fromRow);
  }

  async updateApproval(
    arn: string,
    status: ModelApprovalStatus,
    description: string,
  ): Promise<void> {
    const before = this.db.prepare('SELECT * FROM sm_model_packages WHERE arn = ?').get(arn) as
      Row | undefined;
    if (!before) throw new UnknownPackageError(`ModelPackage ${arn} does not exist.`);
    this.db
      .prepare(
        'UPDATE sm_model_packages SET status = ?, approval_description = ?, updated_at = ? WHERE arn = ?',
      )
      .run(status, description.slice(0, 1024), this.now().getTime(), arn);
    // SageMaker reports a change of approval status; the same status again changes nothing.
    if (before.status !== status) {
      const after = this.db
        .prepare('SELECT * FROM sm_model_packages WHERE arn = ?')
        .get(arn) as Row;
      await this.emit(fromRow(after));
    }
  }

  private async emit(pkg: ModelPackage): Promise<void> {
    try {
      await this.o.emit(packageEvent(pkg, this.image));
    } catch (e) {
      this.log.error('could not emit a model package state change', {
        arn: pkg.arn,
        reason: errorMessage(e),
      });
      throw e;
    }
  }
}

function fromRow(r: Row): ModelPackage {
  return {
    arn: r.arn,
    group: r.group_name,
    version: r.version,
    status: r.status,
    ...(r.approval_description ? { approvalDescription: r.approval_description } : {}),
    description: r.description,
    modelDataUrl: r.model_data_url,
    metrics: JSON.parse(r.metrics) as ModelPackage['metrics'],
    reports: JSON.parse(r.reports) as ModelPackage['reports'],
    lineage: JSON.parse(r.lineage) as ModelPackage['lineage'],
    customerMetadata: JSON.parse(r.customer_metadata) as Record<string, string>,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

/** The event as SageMaker sends it: the detail mirrors DescribeModelPackage. */
export function packageEvent(pkg: ModelPackage, image: string) {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(pkg.metrics)) metadata[`metric:${k}`] = String(v);
  metadata['lineage:dataset_id'] = pkg.lineage.datasetId;
  metadata['lineage:training_job'] = pkg.lineage.trainingJob;
  metadata['lineage:code_version'] = pkg.lineage.codeVersion;
  return {
    source: SAGEMAKER_SOURCE,
    'detail-type': MODEL_PACKAGE_STATE_CHANGE,
    resources: [pkg.arn],
    time: pkg.updatedAt.toISOString(),
    detail: {
      ModelPackageGroupName: pkg.group,
      ModelPackageName: pkg.group,
      ModelPackageVersion: pkg.version ?? packageVersionFromArn(pkg.arn),
      ModelPackageArn: pkg.arn,
      ModelPackageDescription: pkg.description,
      CreationTime: pkg.createdAt.toISOString(),
      InferenceSpecification: {
        Containers: [{ Image: image, ModelDataUrl: pkg.modelDataUrl }],
        SupportedContentTypes: ['text/csv', 'application/json'],
        SupportedResponseMIMETypes: ['application/json', 'text/csv'],
      },
      ModelPackageStatus: 'Completed',
      ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
      CertifyForMarketplace: false,
      ModelApprovalStatus: pkg.status,
      ...(pkg.approvalDescription ? { ApprovalDescription: pkg.approvalDescription } : {}),
      MetadataProperties: {
        CommitId: pkg.lineage.codeVersion,
        GeneratedBy: pkg.lineage.trainingJob,
      },
      CustomerMetadataProperties: metadata,
      ModelMetrics: {
        ModelQuality: {
          Statistics: { ContentType: 'application/json', S3Uri: pkg.reports.modelQuality },
        },
        ModelDataQuality: {
          Statistics: { ContentType: 'application/json', S3Uri: pkg.reports.dataStatistics },
          Constraints: { ContentType: 'application/json', S3Uri: pkg.reports.dataConstraints },
        },
      },
      LastModifiedTime: pkg.updatedAt.toISOString(),
    },
  };
}
