/**
 * Real-shaped AWS events for tests, built from the samples AWS documents (kept as JSON under
 * `shared/test/fixtures/aws/`, sources in that folder's README). Every factory deep-clones its
 * sample and overrides only what a test cares about, so everything else keeps the exact shape
 * AWS sends: a handler that works on these works on the real thing.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type {
  APIGatewayProxyEventV2,
  Context,
  EventBridgeEvent,
  S3Event,
  ScheduledEvent,
  SQSEvent,
  SQSRecord,
  SQSRecordAttributes,
} from 'aws-lambda';

// Read with fs rather than `import … with { type: 'json' }`: swc drops the import attribute,
// which Jest only tolerates with a deprecation warning, while fs works the same under Jest,
// tsx and plain node.
const FIXTURES_DIR = new URL('../../test/fixtures/aws/', import.meta.url);

export type AwsFixtureName =
  | 's3-object-created.json'
  | 's3-test-event.json'
  | 'sqs-event.json'
  | 'eventbridge-envelope.json'
  | 'scheduled-event.json'
  | 'sagemaker-training-job-state-change.json'
  | 'sagemaker-training-job-failed.json'
  | 'sagemaker-model-package-state-change.json'
  | 'sagemaker-transform-job-state-change.json'
  | 'apigw-v2-post.json'
  | 'apigw-v2-get.json';

const cache = new Map<AwsFixtureName, unknown>();

/** A fresh copy of one AWS sample, exactly as stored; mutate it freely. */
export function awsFixture<T = unknown>(name: AwsFixtureName): T {
  let parsed = cache.get(name);
  if (parsed === undefined) {
    parsed = JSON.parse(readFileSync(new URL(name, FIXTURES_DIR), 'utf8')) as unknown;
    cache.set(name, parsed);
  }
  return structuredClone(parsed) as T;
}

// ---------------------------------------------------------------------------------------------
// S3
// ---------------------------------------------------------------------------------------------

/**
 * Encodes an object key the way S3 writes it into a notification: form-urlencoded
 * (`application/x-www-form-urlencoded`, so a space is `+`), with `/` left as is.
 * `Jan 2026/batch#1.csv` becomes `Jan+2026/batch%231.csv`. A consumer must decode with
 * `decodeURIComponent(key.replace(/\+/g, ' '))`, never with decodeURIComponent alone.
 */
export function s3NotificationKey(rawKey: string): string {
  return rawKey
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment)
        // encodeURIComponent leaves these alone; form encoding (which S3 uses) does not.
        .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
        .replace(/%20/g, '+'),
    )
    .join('/');
}

export interface S3EventOptions {
  bucket: string;
  /** The key as uploaded; the factory encodes it the way S3 does. */
  key: string;
  size?: number;
  /** Defaults to `ObjectCreated:Put`, e.g. `ObjectCreated:CompleteMultipartUpload`. */
  eventName?: string;
}

/** An S3 ObjectCreated notification with one record, as delivered to Lambda. */
export function s3EventFactory({ bucket, key, size, eventName }: S3EventOptions): S3Event {
  const event = awsFixture<S3Event>('s3-object-created.json');
  const record = event.Records[0];
  record.s3.bucket.name = bucket;
  record.s3.bucket.arn = `arn:aws:s3:::${bucket}`;
  record.s3.object.key = s3NotificationKey(key);
  if (size !== undefined) record.s3.object.size = size;
  if (eventName !== undefined) record.eventName = eventName;
  return event;
}

/** What S3 sends once when a notification configuration is saved; it has no `Records`. */
export interface S3TestEvent {
  Service: 'Amazon S3';
  Event: 's3:TestEvent';
  Time: string;
  Bucket: string;
  RequestId: string;
  HostId: string;
}

export function s3TestEvent(options: { bucket?: string } = {}): S3TestEvent {
  const event = awsFixture<S3TestEvent>('s3-test-event.json');
  if (options.bucket !== undefined) event.Bucket = options.bucket;
  return event;
}

// ---------------------------------------------------------------------------------------------
// SQS
// ---------------------------------------------------------------------------------------------

export type SqsRecordOverrides = Partial<Omit<SQSRecord, 'attributes'>> & {
  attributes?: Partial<SQSRecordAttributes>;
};

/**
 * One SQS record as Lambda's event source mapping delivers it. An object body is sent as
 * JSON; a string body is sent as is (so a test can send malformed JSON). Each record gets its
 * own message id and receipt handle, and an `md5OfBody` that matches its body.
 */
export function sqsRecordFactory(body: unknown, overrides: SqsRecordOverrides = {}): SQSRecord {
  const record = awsFixture<SQSEvent>('sqs-event.json').Records[0];
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const { attributes, ...rest } = overrides;
  return {
    ...record,
    messageId: randomUUID(),
    // Real handles are long opaque base64 strings that start with AQEB.
    receiptHandle: `AQEB${randomBytes(96).toString('base64')}`,
    body: text,
    md5OfBody: createHash('md5').update(text, 'utf8').digest('hex'),
    ...rest,
    attributes: { ...record.attributes, ...attributes },
  };
}

/** A batch of SQS records, one per body, in order. */
export function sqsEventFactory(bodies: unknown[], overrides: SqsRecordOverrides = {}): SQSEvent {
  return { Records: bodies.map((body) => sqsRecordFactory(body, overrides)) };
}

// ---------------------------------------------------------------------------------------------
// EventBridge
// ---------------------------------------------------------------------------------------------

export interface EventBridgeEventOptions<TDetailType extends string, TDetail> {
  source: string;
  detailType: TDetailType;
  detail: TDetail;
  time?: string;
  resources?: string[];
  id?: string;
}

/** The envelope EventBridge delivers to a rule's target, around any detail. */
export function eventBridgeEventFactory<TDetailType extends string, TDetail>(
  options: EventBridgeEventOptions<TDetailType, TDetail>,
): EventBridgeEvent<TDetailType, TDetail> {
  const event = awsFixture<EventBridgeEvent<TDetailType, TDetail>>('eventbridge-envelope.json');
  return {
    ...event,
    id: options.id ?? randomUUID(),
    'detail-type': options.detailType,
    source: options.source,
    time: options.time ?? event.time,
    resources: options.resources ?? [],
    detail: options.detail,
  };
}

/** An EventBridge rule's `Scheduled Event` (rate or cron) as delivered to Lambda. */
export function scheduledEvent(
  options: { time?: string; id?: string; rule?: string } = {},
): ScheduledEvent<Record<string, never>> {
  const event = awsFixture<ScheduledEvent<Record<string, never>>>('scheduled-event.json');
  if (options.time !== undefined) event.time = options.time;
  if (options.id !== undefined) event.id = options.id;
  if (options.rule !== undefined) {
    event.resources = [`arn:aws:events:${event.region}:${event.account}:rule/${options.rule}`];
  }
  return event;
}

// ---------------------------------------------------------------------------------------------
// SageMaker state-change events (source `aws.sagemaker`, default bus)
// ---------------------------------------------------------------------------------------------

export const SAGEMAKER_SOURCE = 'aws.sagemaker';
export const TRAINING_JOB_STATE_CHANGE = 'SageMaker Training Job State Change';
export const MODEL_PACKAGE_STATE_CHANGE = 'SageMaker Model Package State Change';
export const TRANSFORM_JOB_STATE_CHANGE = 'SageMaker Transform Job State Change';

export type TrainingJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
export type TransformJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
export type ModelApprovalStatus = 'PendingManualApproval' | 'Approved' | 'Rejected';

interface S3DataSource {
  S3DataType: string;
  S3Uri: string;
  S3DataDistributionType?: string;
}

/** The event's detail mirrors DescribeTrainingJob; times are epoch milliseconds. */
export interface TrainingJobStateChangeDetail {
  TrainingJobName: string;
  TrainingJobArn: string;
  /** Present once SageMaker has uploaded `/opt/ml/model`; absent on a failed job. */
  ModelArtifacts?: { S3ModelArtifacts: string };
  TrainingJobStatus: TrainingJobStatus;
  SecondaryStatus: string;
  /** Only when TrainingJobStatus is Failed. */
  FailureReason?: string;
  HyperParameters: Record<string, string>;
  AlgorithmSpecification: { TrainingImage: string; TrainingInputMode: string };
  RoleArn: string;
  InputDataConfig: Array<{
    ChannelName: string;
    DataSource: { S3DataSource: S3DataSource };
    ContentType?: string;
    CompressionType?: string;
    RecordWrapperType?: string;
  }>;
  OutputDataConfig: { KmsKeyId?: string; S3OutputPath: string };
  ResourceConfig: {
    InstanceType: string;
    InstanceCount: number;
    VolumeSizeInGB: number;
    VolumeKmsKeyId?: string;
  };
  VpcConfig: Record<string, unknown>;
  StoppingCondition: { MaxRuntimeInSeconds: number };
  CreationTime: string;
  TrainingStartTime: string;
  TrainingEndTime?: string;
  LastModifiedTime: string;
  SecondaryStatusTransitions: unknown[];
  Tags: Record<string, string>;
}

export type TrainingJobStateChangeEvent = EventBridgeEvent<
  typeof TRAINING_JOB_STATE_CHANGE,
  TrainingJobStateChangeDetail
>;

export interface TrainingJobStateChangeOptions {
  jobName: string;
  status: 'Completed' | 'Failed' | 'Stopped';
  /** Failed only; defaults to what SageMaker says when the container exits non-zero. */
  failureReason?: string;
  /** Defaults, except on Failed, to `<S3OutputPath>/<jobName>/output/model.tar.gz`. */
  modelArtifacts?: string;
  hyperParameters?: Record<string, string>;
  /** The S3 URI of the (single) input channel. */
  trainingDataUri?: string;
  /** OutputDataConfig.S3OutputPath. */
  outputPath?: string;
  time?: string;
}

// SageMaker lower-cases resource names in its ARNs (`MyJob` -> `training-job/myjob`).
const sagemakerArn = (region: string, account: string, resource: string) =>
  `arn:aws:sagemaker:${region}:${account}:${resource.toLowerCase()}`;

export function trainingJobStateChange(
  options: TrainingJobStateChangeOptions,
): TrainingJobStateChangeEvent {
  const event = awsFixture<TrainingJobStateChangeEvent>(
    options.status === 'Failed'
      ? 'sagemaker-training-job-failed.json'
      : 'sagemaker-training-job-state-change.json',
  );
  const { detail } = event;
  const arn = sagemakerArn(event.region, event.account, `training-job/${options.jobName}`);
  event.id = randomUUID();
  event.resources = [arn];
  if (options.time !== undefined) event.time = options.time;
  detail.TrainingJobName = options.jobName;
  detail.TrainingJobArn = arn;
  detail.TrainingJobStatus = options.status;
  detail.SecondaryStatus = options.status;
  if (options.hyperParameters !== undefined) detail.HyperParameters = options.hyperParameters;
  if (options.trainingDataUri !== undefined) {
    detail.InputDataConfig[0].DataSource.S3DataSource.S3Uri = options.trainingDataUri;
  }
  if (options.outputPath !== undefined) detail.OutputDataConfig.S3OutputPath = options.outputPath;

  if (options.status === 'Failed') {
    if (options.failureReason !== undefined) detail.FailureReason = options.failureReason;
    delete detail.ModelArtifacts;
  } else {
    delete detail.FailureReason;
  }
  const defaultArtifacts = `${detail.OutputDataConfig.S3OutputPath.replace(/\/+$/, '')}/${options.jobName}/output/model.tar.gz`;
  if (options.modelArtifacts !== undefined) {
    detail.ModelArtifacts = { S3ModelArtifacts: options.modelArtifacts };
  } else if (options.status !== 'Failed') {
    detail.ModelArtifacts = { S3ModelArtifacts: defaultArtifacts };
  }
  return event;
}

/** The event's detail mirrors DescribeModelPackage. */
export interface ModelPackageStateChangeDetail {
  ModelPackageGroupName: string;
  ModelPackageName: string;
  ModelPackageVersion: number;
  ModelPackageArn: string;
  CreationTime: string;
  InferenceSpecification: {
    Containers: Array<{ Image: string; ImageDigest?: string; ModelDataUrl?: string }>;
    SupportedContentTypes: string[];
    SupportedResponseMIMETypes: string[];
  };
  ModelPackageStatus: string;
  ModelPackageStatusDetails: { ValidationStatuses: unknown[]; ImageScanStatuses: unknown[] };
  CertifyForMarketplace: boolean;
  ModelApprovalStatus: ModelApprovalStatus;
  ApprovalDescription?: string;
  MetadataProperties?: Record<string, string>;
  CustomerMetadataProperties?: Record<string, string>;
  ModelMetrics?: Record<string, unknown>;
  LastModifiedTime: string;
}

export type ModelPackageStateChangeEvent = EventBridgeEvent<
  typeof MODEL_PACKAGE_STATE_CHANGE,
  ModelPackageStateChangeDetail
>;

export interface ModelPackageStateChangeOptions {
  group: string;
  version: number;
  /** Defaults to the ARN SageMaker gives version `version` of `group`. */
  arn?: string;
  status: ModelApprovalStatus;
  modelDataUrl?: string;
  approvalDescription?: string;
  customerMetadataProperties?: Record<string, string>;
  time?: string;
}

export function modelPackageStateChange(
  options: ModelPackageStateChangeOptions,
): ModelPackageStateChangeEvent {
  const event = awsFixture<ModelPackageStateChangeEvent>(
    'sagemaker-model-package-state-change.json',
  );
  const { detail } = event;
  const arn =
    options.arn ??
    sagemakerArn(event.region, event.account, `model-package/${options.group}/${options.version}`);
  event.id = randomUUID();
  event.resources = [arn];
  if (options.time !== undefined) event.time = options.time;
  detail.ModelPackageGroupName = options.group;
  // A versioned package is named after its group; the version tells them apart.
  detail.ModelPackageName = options.group;
  detail.ModelPackageVersion = options.version;
  detail.ModelPackageArn = arn;
  detail.ModelApprovalStatus = options.status;
  if (options.modelDataUrl !== undefined) {
    detail.InferenceSpecification.Containers[0].ModelDataUrl = options.modelDataUrl;
  }
  if (options.approvalDescription !== undefined) {
    detail.ApprovalDescription = options.approvalDescription;
  }
  if (options.customerMetadataProperties !== undefined) {
    detail.CustomerMetadataProperties = options.customerMetadataProperties;
  }
  return event;
}

/** The event's detail mirrors DescribeTransformJob. */
export interface TransformJobStateChangeDetail {
  TransformJobName: string;
  TransformJobArn: string;
  TransformJobStatus: TransformJobStatus;
  /** Only when TransformJobStatus is Failed. */
  FailureReason?: string;
  ModelName: string;
  MaxConcurrentTransforms: number;
  MaxPayloadInMB: number;
  BatchStrategy: string;
  Environment: Record<string, string>;
  TransformInput: {
    DataSource: { S3DataSource: S3DataSource };
    ContentType: string;
    CompressionType: string;
    SplitType: string;
  };
  TransformOutput: {
    S3OutputPath: string;
    Accept: string;
    AssembleWith: string;
    KmsKeyId?: string;
  };
  TransformResources: { InstanceType: string; InstanceCount: number };
  CreationTime: string;
  TransformStartTime: string;
  TransformEndTime?: string;
  Tags: Record<string, string>;
}

export type TransformJobStateChangeEvent = EventBridgeEvent<
  typeof TRANSFORM_JOB_STATE_CHANGE,
  TransformJobStateChangeDetail
>;

export interface TransformJobStateChangeOptions {
  jobName: string;
  status: TransformJobStatus;
  /** Failed only; defaults to what SageMaker says when the container exits non-zero. */
  failureReason?: string;
  /** TransformOutput.S3OutputPath. */
  outputPath?: string;
  /** TransformInput's S3 URI. */
  inputUri?: string;
  modelName?: string;
  time?: string;
}

export function transformJobStateChange(
  options: TransformJobStateChangeOptions,
): TransformJobStateChangeEvent {
  const event = awsFixture<TransformJobStateChangeEvent>(
    'sagemaker-transform-job-state-change.json',
  );
  const { detail } = event;
  const arn = sagemakerArn(event.region, event.account, `transform-job/${options.jobName}`);
  event.id = randomUUID();
  event.resources = [arn];
  if (options.time !== undefined) event.time = options.time;
  detail.TransformJobName = options.jobName;
  detail.TransformJobArn = arn;
  detail.TransformJobStatus = options.status;
  if (options.status === 'Failed') {
    detail.FailureReason =
      options.failureReason ?? 'AlgorithmError: See job logs for more information';
  } else {
    delete detail.FailureReason;
  }
  if (options.status === 'InProgress' || options.status === 'Stopping') {
    delete detail.TransformEndTime;
  }
  if (options.outputPath !== undefined) detail.TransformOutput.S3OutputPath = options.outputPath;
  if (options.inputUri !== undefined) {
    detail.TransformInput.DataSource.S3DataSource.S3Uri = options.inputUri;
  }
  if (options.modelName !== undefined) detail.ModelName = options.modelName;
  return event;
}

// ---------------------------------------------------------------------------------------------
// API Gateway HTTP API (payload format 2.0)
// ---------------------------------------------------------------------------------------------

export interface ApiGatewayV2RequestOptions {
  method: string;
  /** The request path, e.g. `/predict`; also the route in `routeKey`. */
  path: string;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | string[]>;
}

/**
 * A request on a route with no authorizer and no mutual TLS, as API Gateway hands it to a
 * Lambda integration with payload format 2.0: header names lower-cased, repeated query
 * parameters joined with commas, the body a string. The raw fixtures keep the documented
 * `authorizer` / `authentication` blocks for tests that need them.
 */
export function apiGatewayV2Request(options: ApiGatewayV2RequestOptions): APIGatewayProxyEventV2 {
  const method = options.method.toUpperCase();
  const hasBody = options.body !== undefined;
  const event = awsFixture<APIGatewayProxyEventV2 & { requestContext: { authorizer?: unknown } }>(
    hasBody ? 'apigw-v2-post.json' : 'apigw-v2-get.json',
  );
  const routeKey = `${method} ${options.path}`;
  event.routeKey = routeKey;
  event.rawPath = options.path;
  event.requestContext.routeKey = routeKey;
  event.requestContext.http.method = method;
  event.requestContext.http.path = options.path;
  event.requestContext.requestId = `${randomBytes(10).toString('base64').slice(0, 15)}=`;
  delete event.requestContext.authentication;
  delete event.requestContext.authorizer;
  delete event.cookies;
  delete event.pathParameters;
  delete event.stageVariables;

  const headers: Record<string, string> = {};
  if (hasBody) {
    const text = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    event.body = text;
    event.isBase64Encoded = false;
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(text, 'utf8'));
  } else {
    delete event.body;
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    headers[name.toLowerCase()] = value;
  }
  event.headers = headers;
  if (headers['user-agent'] !== undefined) {
    event.requestContext.http.userAgent = headers['user-agent'];
  }

  const pairs = Object.entries(options.query ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v): [string, string] => [name, v]),
  );
  event.rawQueryString = new URLSearchParams(pairs).toString();
  if (pairs.length > 0) {
    const joined: Record<string, string> = {};
    for (const [name, value] of pairs) {
      joined[name] = joined[name] === undefined ? value : `${joined[name]},${value}`;
    }
    event.queryStringParameters = joined;
  } else {
    delete event.queryStringParameters;
  }
  return event;
}

// ---------------------------------------------------------------------------------------------
// Lambda context
// ---------------------------------------------------------------------------------------------

/**
 * A Lambda context whose remaining time counts down from `timeoutMs` in real time, so code
 * that stops early before the deadline can be tested.
 */
export function lambdaContext(
  options: { functionName?: string; timeoutMs?: number } = {},
): Context {
  const functionName = options.functionName ?? 'cancer-mlops-test-function';
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is the pre-async Lambda API; return or throw instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
