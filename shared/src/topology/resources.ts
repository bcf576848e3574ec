/**
 * The CloudFormation resources a service owns besides its functions: queues with their
 * dead-letter queues, hardened buckets, EventBridge rules feeding queues, and the custom bus.
 */
import type { BucketSpec, QueueSpec, RuleSpec, ServiceTopology } from './types.ts';
import type { NameContext } from './names.ts';
import { bucketName, busName, dlqName, queueName, resourceName } from './names.ts';

export type CfnValue = string | Record<string, unknown>;
export type CfnResource = {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
export type CfnResources = Record<string, CfnResource>;

/** Default retention of dead letters: 14 days, SQS's maximum, to leave time to investigate. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

/** `notes-to-score` -> `NotesToScore`: CloudFormation logical ids are alphanumeric. */
export const pascal = (s: string) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');

/** Serverless's own normalisation (naming.js), so our references hit the resources it makes. */
export const slsNormalize = (name: string) => {
  const n = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return n[0].toUpperCase() + n.slice(1);
};

export const logicalIds = {
  queue: (logical: string) => `Queue${pascal(logical)}`,
  dlq: (logical: string) => `Queue${pascal(logical)}Dlq`,
  queuePolicy: (logical: string) => `Queue${pascal(logical)}Policy`,
  dlqPolicy: (logical: string) => `Queue${pascal(logical)}DlqPolicy`,
  /** Serverless names the buckets it creates for S3 events `S3Bucket<alphanumeric key>`. */
  bucket: (logical: string) =>
    `S3Bucket${logical.replace(/[^0-9A-Za-z]/g, '').replace(/^./, (c) => c.toUpperCase())}`,
  bucketPolicy: (logical: string) => `${logicalIds.bucket(logical)}Policy`,
  rule: (name: string) => `Rule${pascal(name)}`,
  bus: () => 'EventBus',
  lambda: (fn: string) => `${slsNormalize(fn)}LambdaFunction`,
  role: (fn: string) => `${slsNormalize(fn)}IamRole`,
  asyncDlq: (fn: string) => `${slsNormalize(fn)}AsyncDlq`,
  asyncDlqPolicy: (fn: string) => `${slsNormalize(fn)}AsyncDlqPolicy`,
  busRule: (fn: string, index: number) => `${slsNormalize(fn)}BusRule${index}`,
};

const getAtt = (id: string, attr = 'Arn'): CfnValue => ({ 'Fn::GetAtt': [id, attr] });

const denyInsecureQueue = (queue: CfnValue) => ({
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: 'sqs:*',
  Resource: queue,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

/** Lets EventBridge deliver to a queue, only from the named rules (confused-deputy guard). */
export const allowEventsFrom = (sid: string, queue: CfnValue, ruleArns: CfnValue[]) => ({
  Sid: sid,
  Effect: 'Allow',
  Principal: { Service: 'events.amazonaws.com' },
  Action: 'sqs:SendMessage',
  Resource: queue,
  Condition: { ArnEquals: { 'aws:SourceArn': ruleArns.length === 1 ? ruleArns[0] : ruleArns } },
});

export function queuePolicy(queueId: string, extra: Record<string, unknown>[] = []): CfnResource {
  const q = getAtt(queueId);
  return {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [{ Ref: queueId }],
      PolicyDocument: { Version: '2012-10-17', Statement: [denyInsecureQueue(q), ...extra] },
    },
  };
}

/** A plain encrypted queue; dead-letter queues and async-failure queues use it as is. */
export const deadLetterQueue = (
  name: string,
  retentionSeconds = DLQ_RETENTION_SECONDS,
): CfnResource => ({
  Type: 'AWS::SQS::Queue',
  Properties: {
    QueueName: name,
    SqsManagedSseEnabled: true,
    MessageRetentionPeriod: retentionSeconds,
  },
});

/** A work queue, its DLQ with the redrive rule, and TLS-only policies on both. */
export function queueResources(ctx: NameContext, q: QueueSpec, rules: RuleSpec[]): CfnResources {
  const id = logicalIds.queue(q.name);
  const dlqId = logicalIds.dlq(q.name);
  const feeding = rules.filter((r) => r.targetQueue === q.name);
  const ruleArns = feeding.map((r) => getAtt(logicalIds.rule(r.name)));
  return {
    [id]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: queueName(ctx, q.name),
        VisibilityTimeout: q.visibilityTimeoutSeconds,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId), maxReceiveCount: q.maxReceiveCount },
      },
    },
    [dlqId]: deadLetterQueue(dlqName(ctx, q.name), q.dlqRetentionSeconds),
    [logicalIds.queuePolicy(q.name)]: queuePolicy(
      id,
      feeding.length ? [allowEventsFrom('AllowEventBridgeRules', getAtt(id), ruleArns)] : [],
    ),
    // Rules that cannot deliver to the queue put the event in its DLQ instead of dropping it.
    [logicalIds.dlqPolicy(q.name)]: queuePolicy(
      dlqId,
      feeding.length
        ? [allowEventsFrom('AllowEventBridgeDeadLetters', getAtt(dlqId), ruleArns)]
        : [],
    ),
  };
}

/** Bucket properties: encrypted, private, owner-enforced, versioned, tidy lifecycle. */
export function bucketProperties(b: BucketSpec): Record<string, unknown> {
  return {
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ],
    },
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
    OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    // Patient files: an overwrite or delete by mistake must be recoverable for a while.
    VersioningConfiguration: { Status: 'Enabled' },
    LifecycleConfiguration: {
      Rules: [
        {
          Id: 'housekeeping',
          Status: 'Enabled',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        },
        ...(b.expirations ?? []).map((e) => ({
          Id: `expire-${e.prefix.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '')}`,
          Status: 'Enabled',
          Prefix: e.prefix,
          ExpirationInDays: e.days,
        })),
      ],
    },
  };
}

/** Serverless's `provider.s3` spells properties in lowerCamelCase and upper-cases them back. */
export const lowerFirstKeys = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k[0].toLowerCase() + k.slice(1), v]));

export function bucketPolicy(ctx: NameContext, b: BucketSpec): CfnResource {
  const name = bucketName(ctx, b.name);
  return {
    Type: 'AWS::S3::BucketPolicy',
    Properties: {
      Bucket: { Ref: logicalIds.bucket(b.name) },
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [
              { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${name}` },
              { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${name}/*` },
            ],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    },
  };
}

export const ruleName = (ctx: NameContext, service: string, rule: string) =>
  resourceName(ctx, `${service}-${rule}`);

/** A rule that feeds one of this service's queues (pattern or schedule, optional fixed input). */
export function ruleResource(
  ctx: NameContext,
  topology: ServiceTopology,
  r: RuleSpec,
): CfnResource {
  const target: Record<string, unknown> = {
    Id: 'queue',
    Arn: getAtt(logicalIds.queue(r.targetQueue)),
    DeadLetterConfig: { Arn: getAtt(logicalIds.dlq(r.targetQueue)) },
    ...(r.input !== undefined ? { Input: JSON.stringify(r.input) } : {}),
  };
  const dependsOn = r.bus === 'custom' && topology.ownsEventBus ? [logicalIds.bus()] : [];
  return {
    Type: 'AWS::Events::Rule',
    ...(dependsOn.length ? { DependsOn: dependsOn } : {}),
    Properties: {
      Name: ruleName(ctx, topology.service, r.name),
      Description: `${topology.service}: ${r.name} -> ${r.targetQueue}`,
      ...(r.bus === 'custom' ? { EventBusName: busName(ctx) } : {}),
      ...(r.pattern ? { EventPattern: r.pattern } : {}),
      ...(r.schedule ? { ScheduleExpression: r.schedule } : {}),
      State: 'ENABLED',
      Targets: [target],
    },
  };
}

export const eventBusResource = (ctx: NameContext): CfnResource => ({
  Type: 'AWS::Events::EventBus',
  Properties: { Name: busName(ctx) },
});
