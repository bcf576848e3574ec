/**
 * SageMaker as the services see it: training jobs, the model registry and the serving
 * endpoint. On AWS these are SageMaker itself (shared/src/aws/sagemaker*.ts); locally they run
 * the container's own `train` / `serve` in child processes (local/src/sagemaker/). Either way
 * the state-change events (`SageMaker Training Job State Change`, `SageMaker Model Package
 * State Change`) come from the implementation, never from the services: on AWS SageMaker emits
 * them, locally the adapters emit the same real-shaped events on the default bus.
 *
 * Object locations are s3:// URIs wherever SageMaker itself deals in URIs (model artifacts,
 * reports), and keys in the logical `artifacts` bucket where we choose them (datasets).
 */

export type TrainingJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

export interface TrainingJobSpec {
  /** Unique, `<prefix>-<stage>-…`, at most 63 characters: the registration rule matches the prefix. */
  jobName: string;
  datasetId: string;
  /** Key prefix, in the `artifacts` bucket, of the `train` channel (e.g. `datasets/<id>/train/`). */
  trainPrefix: string;
  /** Key prefix of the `validation` channel. */
  validationPrefix: string;
  /** Key prefix the job writes under: `<outputPrefix><jobName>/output/model…`. */
  outputPrefix: string;
  /** SageMaker hyperparameters are strings, whatever they mean to the algorithm. */
  hyperparameters: Record<string, string>;
  /** Extra container environment (DATASET_ID is always set). */
  environment?: Record<string, string>;
}

export interface TrainingJobDescription {
  jobName: string;
  status: TrainingJobStatus;
  failureReason?: string;
  /** s3:// URI of the model artifacts, once Completed. */
  modelArtifacts?: string;
  hyperparameters: Record<string, string>;
  createdAt: Date;
  endedAt?: Date;
}

export interface TrainingJobs {
  /** Starts the job and returns; its end arrives as a `SageMaker Training Job State Change` event. */
  start(spec: TrainingJobSpec): Promise<void>;
  describe(jobName: string): Promise<TrainingJobDescription | undefined>;
}

export type ModelApprovalStatus = 'PendingManualApproval' | 'Approved' | 'Rejected';

/** The package's reports, as s3:// URIs (SageMaker ModelMetrics). */
export interface ModelReports {
  /** Model quality on the validation set (Model Monitor's binary_classification_metrics). */
  modelQuality: string;
  /** Training-data baseline: Model Monitor statistics.json. */
  dataStatistics: string;
  /** Training-data baseline: Model Monitor constraints.json. */
  dataConstraints: string;
}

/** Where a model came from; enough to rebuild it. */
export interface ModelLineage {
  datasetId: string;
  /** s3:// URI of the dataset folder (manifest.json inside). */
  datasetUri: string;
  codeVersion: string;
  trainingJob: string;
  hyperparameters: Record<string, string>;
  featureGroupVersion: number;
}

export interface NewModelPackage {
  group: string;
  description: string;
  /** s3:// URI of the model artifacts (a model.tar.gz on AWS, a folder prefix locally). */
  modelDataUrl: string;
  /** Validation metrics by name (`roc_auc`, `sensitivity`, `threshold`, …); finite numbers only. */
  metrics: Record<string, number>;
  reports: ModelReports;
  lineage: ModelLineage;
  /** Extra free-form metadata (strings). */
  customerMetadata?: Record<string, string>;
}

export interface ModelPackage extends NewModelPackage {
  arn: string;
  version: number;
  status: ModelApprovalStatus;
  approvalDescription?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ModelRegistry {
  /** Registers a package as PendingManualApproval (which emits the package state-change event). */
  createPackage(input: NewModelPackage): Promise<{ arn: string; version: number }>;
  /** By ARN, or by version number within the registry's group; undefined when unknown. */
  get(arnOrVersion: string | number): Promise<ModelPackage | undefined>;
  /** Every package of the group, newest first. */
  list(group: string): Promise<ModelPackage[]>;
  /** Approves or rejects (which emits the package state-change event). */
  updateApproval(arn: string, status: ModelApprovalStatus, description: string): Promise<void>;
}

export interface DeployedModel {
  endpoint: string;
  version: number;
  packageArn: string;
  /** Where a local endpoint listens; absent on AWS (InvokeEndpoint finds it by name). */
  url?: string;
  deployedAt: Date;
}

export interface DeployResult {
  /** InService: the new model serves. InProgress: AWS is still shifting traffic (see below). */
  status: 'InService' | 'InProgress';
  current: DeployedModel;
  previous: DeployedModel | null;
}

export interface InvokeResult {
  body: Buffer;
  contentType: string;
}

export interface InvokeOptions {
  /** Kept in the data capture (SageMaker's InferenceId), so ground truth can be joined later. */
  inferenceId?: string;
  /** Ask the container for per-feature contributions (through EXPLAIN_CUSTOM_ATTRIBUTE). */
  explain?: boolean;
}

/**
 * How a caller asks the container to explain: InvokeEndpoint's CustomAttributes, which
 * SageMaker forwards verbatim as the `X-Amzn-SageMaker-Custom-Attributes` header. `values`:
 * contributions as bare numbers in model order, since the caller has the names and values.
 */
export const EXPLAIN_CUSTOM_ATTRIBUTE = 'explain=values';
export const CUSTOM_ATTRIBUTES_HEADER = 'x-amzn-sagemaker-custom-attributes';

export interface Endpoints {
  /**
   * Puts `pkg` behind the endpoint, blue/green: the old model serves until the new one is
   * healthy. Rejects with DeploymentFailedError when the new one never became healthy or was
   * rolled back; the old one then still serves. On AWS a deployment that outlasts the wait
   * budget resolves with status InProgress (SageMaker finishes or rolls back on its own).
   */
  deploy(pkg: ModelPackage): Promise<DeployResult>;
  /** What serves now, or null before the first deployment. */
  current(): Promise<DeployedModel | null>;
  /** The container's POST /invocations. Rejects with NoEndpointError or ModelInvocationError. */
  invoke(
    body: string | Uint8Array,
    contentType: string,
    accept: string,
    options?: InvokeOptions,
  ): Promise<InvokeResult>;
}

/** The new model did not take over; the previous one (if any) keeps serving. */
export class DeploymentFailedError extends Error {
  override readonly name = 'DeploymentFailedError';
  constructor(
    message: string,
    readonly previous: DeployedModel | null,
  ) {
    super(message);
  }
}

/** Nothing is deployed yet. */
export class NoEndpointError extends Error {
  override readonly name = 'NoEndpointError';
}

/** The model container answered with an error (SageMaker's ModelError); its status and message. */
export class ModelInvocationError extends Error {
  override readonly name = 'ModelInvocationError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Version of a package from its ARN (`…:model-package/<group>/<version>`). */
export function packageVersionFromArn(arn: string): number | undefined {
  const m = /:model-package\/[^/]+\/(\d+)$/.exec(arn);
  return m ? Number(m[1]) : undefined;
}

/** `s3://bucket/key` -> its parts; throws on anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1], key: m[2] };
}
