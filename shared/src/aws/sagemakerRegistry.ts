import { createHash } from 'node:crypto';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  UpdateModelPackageCommand,
  type DescribeModelPackageOutput,
  type ProductionVariantInstanceType,
  type SageMakerClient,
  type TransformInstanceType,
} from '@aws-sdk/client-sagemaker';
import {
  packageVersionFromArn,
  type ModelApprovalStatus,
  type ModelLineage,
  type ModelPackage,
  type ModelRegistry,
  type NewModelPackage,
} from '../ports/sagemaker.ts';
import { isAwsError } from './awsErrors.ts';
import { isNotFound } from './sagemakerTraining.ts';

export interface SageMakerRegistryOptions {
  /** The inference image the package names (the container that `serve`s). */
  image: string;
  /** Instance types the package declares it runs on. */
  realtimeInstanceTypes?: string[];
  transformInstanceTypes?: string[];
  /** Group for `get(version)`: this deployment's (modelPackageGroup). */
  group: string;
}

export const SUPPORTED_CONTENT_TYPES = ['text/csv', 'application/json'];
export const SUPPORTED_RESPONSE_TYPES = ['application/json', 'text/csv'];

/**
 * The model registry on SageMaker Model Registry. Metrics and lineage travel in the
 * package's CustomerMetadataProperties (`metric:roc_auc`, `lineage:dataset_id`, `hp:<name>`,
 * `meta:<key>`) so `mlops models show` reads them back from one DescribeModelPackage; the
 * reports are the package's ModelMetrics (model quality, data-quality baseline), which is
 * also where Model Monitor and Studio look. SageMaker emits the package state-change events.
 */
export function buildSageMakerRegistry(
  client: SageMakerClient,
  options: SageMakerRegistryOptions,
): ModelRegistry {
  const defaultGroup = options.group;
  const groupsKnown = new Set<string>();

  const ensureGroup = async (group: string) => {
    if (groupsKnown.has(group)) return;
    try {
      await client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: group }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        await client.send(
          new CreateModelPackageGroupCommand({
            ModelPackageGroupName: group,
            ModelPackageGroupDescription:
              'Cancer prediction models: every training, its metrics, lineage and approval',
          }),
        );
      } catch (err) {
        // Another registration created it in between.
        if (!(
          isAwsError(err, ['ValidationException', 'ConflictException']) &&
          /already exists/i.test(String((err as Error).message))
        ))
          throw err;
      }
    }
    groupsKnown.add(group);
  };

  const describe = async (arn: string): Promise<ModelPackage | undefined> => {
    try {
      return fromDescription(
        await client.send(new DescribeModelPackageCommand({ ModelPackageName: arn })),
      );
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };

  const listArns = async (group: string): Promise<string[]> => {
    const arns: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await client.send(
          new ListModelPackagesCommand({
            ModelPackageGroupName: group,
            ModelPackageType: 'Versioned',
            SortBy: 'CreationTime',
            SortOrder: 'Descending',
            MaxResults: 100,
            ...(token ? { NextToken: token } : {}),
          }),
        );
        for (const s of page.ModelPackageSummaryList ?? [])
          if (s.ModelPackageArn) arns.push(s.ModelPackageArn);
        token = page.NextToken;
      } while (token);
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    return arns;
  };

  return {
    async createPackage(input) {
      await ensureGroup(input.group);
      const out = await client.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: input.group,
          ModelPackageDescription: input.description.slice(0, 1024),
          ModelApprovalStatus: 'PendingManualApproval',
          InferenceSpecification: {
            Containers: [{ Image: options.image, ModelDataUrl: input.modelDataUrl }],
            SupportedContentTypes: SUPPORTED_CONTENT_TYPES,
            SupportedResponseMIMETypes: SUPPORTED_RESPONSE_TYPES,
            ...(options.realtimeInstanceTypes
              ? {
                  SupportedRealtimeInferenceInstanceTypes:
                    options.realtimeInstanceTypes as ProductionVariantInstanceType[],
                }
              : {}),
            ...(options.transformInstanceTypes
              ? {
                  SupportedTransformInstanceTypes:
                    options.transformInstanceTypes as TransformInstanceType[],
                }
              : {}),
          },
          ModelMetrics: {
            ModelQuality: {
              Statistics: { ContentType: 'application/json', S3Uri: input.reports.modelQuality },
            },
            ModelDataQuality: {
              Statistics: { ContentType: 'application/json', S3Uri: input.reports.dataStatistics },
              Constraints: {
                ContentType: 'application/json',
                S3Uri: input.reports.dataConstraints,
              },
            },
          },
          DriftCheckBaselines: {
            ModelDataQuality: {
              Statistics: { ContentType: 'application/json', S3Uri: input.reports.dataStatistics },
              Constraints: {
                ContentType: 'application/json',
                S3Uri: input.reports.dataConstraints,
              },
            },
          },
          MetadataProperties: {
            CommitId: input.lineage.codeVersion,
            GeneratedBy: input.lineage.trainingJob,
          },
          CustomerMetadataProperties: encodeMetadata(input),
          Domain: 'MACHINE_LEARNING',
          Task: 'CLASSIFICATION',
          // A retried registration of the same training job creates no second package
          // (the token allows 36 characters of [a-zA-Z0-9-], a job name may have 63).
          ClientToken: clientToken(input.lineage.trainingJob),
        }),
      );
      const arn = out.ModelPackageArn;
      const version = arn ? packageVersionFromArn(arn) : undefined;
      if (!arn || version === undefined)
        throw new Error(`CreateModelPackage returned no versioned ARN (${String(arn)})`);
      return { arn, version };
    },

    async get(ref) {
      if (typeof ref === 'string' && ref.startsWith('arn:')) return describe(ref);
      const version = Number(ref);
      if (!Number.isInteger(version)) return undefined;
      const arn = (await listArns(defaultGroup)).find((a) => packageVersionFromArn(a) === version);
      return arn ? describe(arn) : undefined;
    },

    async list(group) {
      const out: ModelPackage[] = [];
      for (const arn of await listArns(group)) {
        const pkg = await describe(arn);
        if (pkg) out.push(pkg);
      }
      return out;
    },

    async updateApproval(arn, status, description) {
      await client.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: arn,
          ModelApprovalStatus: status,
          ApprovalDescription: description.slice(0, 1024),
        }),
      );
    },
  };
}

/**
 * SageMaker allows at most 50 metadata entries, keys up to 128 and values up to 256
 * characters of letters, digits, spaces and `_.:/=+-@`. A value outside that (a JSON
 * hyperparameter, say) is stored as `b64:<base64>`, whose alphabet is inside it.
 */
const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const encodeValue = (v: string) =>
  ALLOWED.test(v) && v.length <= 256 && !v.startsWith('b64:')
    ? v
    : `b64:${Buffer.from(v, 'utf8').toString('base64')}`;
const decodeValue = (v: string) =>
  v.startsWith('b64:') ? Buffer.from(v.slice(4), 'base64').toString('utf8') : v;

export function encodeMetadata(input: NewModelPackage): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (k: string, v: string) => {
    if (v === '') return;
    const value = encodeValue(v);
    if (value.length > 256)
      throw new Error(`model package metadata ${k} is too long for SageMaker (256 characters)`);
    out[k.slice(0, 128)] = value;
  };
  for (const [name, value] of Object.entries(input.metrics))
    if (Number.isFinite(value)) set(`metric:${name}`, String(value));
  const l = input.lineage;
  set('lineage:dataset_id', l.datasetId);
  set('lineage:dataset_uri', l.datasetUri);
  set('lineage:code_version', l.codeVersion);
  set('lineage:training_job', l.trainingJob);
  set('lineage:feature_group_version', String(l.featureGroupVersion));
  for (const [name, value] of Object.entries(l.hyperparameters)) set(`hp:${name}`, value);
  for (const [name, value] of Object.entries(input.customerMetadata ?? {}))
    set(`meta:${name}`, value);
  if (Object.keys(out).length > 50)
    throw new Error(
      `model package metadata has ${Object.keys(out).length} entries; SageMaker allows 50`,
    );
  return out;
}

export function fromDescription(d: DescribeModelPackageOutput): ModelPackage {
  const meta = Object.fromEntries(
    Object.entries(d.CustomerMetadataProperties ?? {}).map(([k, v]) => [k, decodeValue(v)]),
  );
  const pick = (prefix: string) =>
    Object.fromEntries(
      Object.entries(meta)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v]),
    );
  const metrics = Object.fromEntries(
    Object.entries(pick('metric:')).map(([k, v]) => [k, Number(v)]),
  );
  const lin = pick('lineage:');
  const lineage: ModelLineage = {
    datasetId: lin.dataset_id ?? '',
    datasetUri: lin.dataset_uri ?? '',
    codeVersion: lin.code_version ?? d.MetadataProperties?.CommitId ?? '',
    trainingJob: lin.training_job ?? d.MetadataProperties?.GeneratedBy ?? '',
    hyperparameters: pick('hp:'),
    featureGroupVersion: Number(lin.feature_group_version ?? 0),
  };
  const arn = d.ModelPackageArn ?? '';
  return {
    arn,
    group: d.ModelPackageGroupName ?? '',
    version: d.ModelPackageVersion ?? packageVersionFromArn(arn) ?? 0,
    status: (d.ModelApprovalStatus ?? 'PendingManualApproval') as ModelApprovalStatus,
    ...(d.ApprovalDescription ? { approvalDescription: d.ApprovalDescription } : {}),
    description: d.ModelPackageDescription ?? '',
    modelDataUrl: d.InferenceSpecification?.Containers?.[0]?.ModelDataUrl ?? '',
    metrics,
    reports: {
      modelQuality: d.ModelMetrics?.ModelQuality?.Statistics?.S3Uri ?? '',
      dataStatistics: d.ModelMetrics?.ModelDataQuality?.Statistics?.S3Uri ?? '',
      dataConstraints: d.ModelMetrics?.ModelDataQuality?.Constraints?.S3Uri ?? '',
    },
    lineage,
    customerMetadata: pick('meta:'),
    createdAt: d.CreationTime ?? new Date(0),
    updatedAt: d.LastModifiedTime ?? d.CreationTime ?? new Date(0),
  };
}

export const clientToken = (trainingJob: string) =>
  createHash('sha256').update(trainingJob).digest('hex').slice(0, 36);
