/**
 * Topology permissions -> IAM policy statements, one resource per statement and a Sid on each,
 * so a reviewer reads a role line by line and a test can assert on every grant.
 *
 * ARNs are built from derived names with CloudFormation pseudo-parameters (`Fn::Sub` with
 * `${AWS::Region}` / `${AWS::AccountId}`), never from another stack's outputs, and never from
 * `${aws:accountId}`, which would make `serverless package` call STS.
 */
import type { FunctionSpec, Permission, ServiceTopology } from './types.ts';
import type { NameContext } from './names.ts';
import { bucketName, busName, functionName, queueName, resourceName } from './names.ts';
import { modelPackageGroup } from './common.ts';
import type { CfnValue } from './resources.ts';
import { pascal } from './resources.ts';

export interface IamStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: CfnValue;
  Condition?: Record<string, Record<string, unknown>>;
}

const sub = (template: string): CfnValue => ({ 'Fn::Sub': template });
const ACCOUNT = 'arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}';
const regional = (service: string, rest: string) =>
  sub(`${ACCOUNT.replace('%s', service)}:${rest}`);

export const arn = {
  queue: (name: string) => regional('sqs', name),
  bus: (name: string) => regional('events', `event-bus/${name}`),
  bucket: (name: string) => sub(`arn:\${AWS::Partition}:s3:::${name}`),
  objects: (name: string, prefix = '') => sub(`arn:\${AWS::Partition}:s3:::${name}/${prefix}*`),
  logGroup: (fnName: string) => regional('logs', `log-group:/aws/lambda/${fnName}:*`),
  sagemaker: (rest: string) => regional('sagemaker', rest),
  secret: (name: string) => regional('secretsmanager', `secret:${name}-*`),
  role: (name: string) => sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${name}`),
  rule: (name: string) => regional('events', `rule/${name}`),
};

/**
 * Where the offline feature store and Athena live. Nothing in the topology declares them, so
 * they are fixed conventions here, shared with whoever creates the feature group and workgroup.
 */
export const FEATURE_STORE = {
  /** Glue database SageMaker Feature Store registers offline tables in. */
  glueDatabase: 'sagemaker_featurestore',
  /** Offline store and Athena results live in the training service's artifacts bucket. */
  bucket: 'artifacts',
  offlinePrefix: 'feature-store/',
  athenaResultsPrefix: 'athena-results/',
  athenaWorkgroup: 'features',
} as const;

/**
 * Bedrock model families the scorer may call; Converse is authorised by `bedrock:InvokeModel`.
 * Cross-region inference profiles route to the model in any region, hence `*` for the region.
 */
export const BEDROCK_MODELS = 'anthropic.claude-*';

/** Actions AWS only authorises on `*` (no resource-level permissions). */
export const WILDCARD_ONLY_ACTIONS = [/^xray:Put/, /^sagemaker:(List|Search)/];
export const requiresWildcard = (action: string) =>
  WILDCARD_ONLY_ACTIONS.some((re) => re.test(action));

function statement(
  sid: string,
  actions: string[],
  resource: CfnValue,
  condition?: IamStatement['Condition'],
): IamStatement {
  return {
    Sid: pascal(sid),
    Effect: 'Allow',
    Action: actions,
    Resource: resource,
    ...(condition ? { Condition: condition } : {}),
  };
}

const sagemakerResource = (ctx: NameContext, resource: string): string => {
  if (resource === 'model-package') return `model-package/${modelPackageGroup(ctx)}/*`;
  if (resource === 'model-package-group') return `model-package-group/${modelPackageGroup(ctx)}`;
  // SageMaker lower-cases ARNs; our names are lower-case by construction (see runtime config).
  return `${resource}/${resourceName(ctx, '')}*`;
};

/** Statements for one topology permission. */
export function permissionStatements(ctx: NameContext, p: Permission): IamStatement[] {
  switch (p.kind) {
    case 's3:read': {
      const bucket = bucketName(ctx, p.bucket);
      const prefix = p.prefix ?? '';
      return [
        statement(`S3Read ${p.bucket} ${prefix}`, ['s3:GetObject'], arn.objects(bucket, prefix)),
        // ListBucket turns a missing key into 404 instead of 403, which every "not there yet"
        // (score cache, ledger, locks) relies on. It must not carry an s3:prefix condition: a
        // GetObject has no such key, so S3 would find no ListBucket right and answer 403.
        // Keys name no patient by design (see README), so listing them reveals none.
        statement(`S3List ${p.bucket} ${prefix}`, ['s3:ListBucket'], arn.bucket(bucket)),
      ];
    }
    case 's3:write':
      // lib-storage aborts a failed multipart upload; without the grant the abort masks the error.
      return [
        statement(
          `S3Write ${p.bucket} ${p.prefix ?? ''}`,
          ['s3:PutObject', 's3:AbortMultipartUpload'],
          arn.objects(bucketName(ctx, p.bucket), p.prefix ?? ''),
        ),
      ];
    case 's3:delete':
      return [
        statement(
          `S3Delete ${p.bucket} ${p.prefix ?? ''}`,
          ['s3:DeleteObject'],
          arn.objects(bucketName(ctx, p.bucket), p.prefix ?? ''),
        ),
      ];
    case 'sqs:send':
      return [
        statement(
          `SqsSend ${p.queue}`,
          ['sqs:SendMessage', 'sqs:GetQueueUrl'],
          arn.queue(queueName(ctx, p.queue)),
        ),
      ];
    case 'events:put':
      return [statement('EventsPut', ['events:PutEvents'], arn.bus(busName(ctx)))];
    case 'sagemaker': {
      const scoped = p.actions.filter((a) => !requiresWildcard(a));
      const listing = p.actions.filter(requiresWildcard);
      return [
        ...(scoped.length
          ? [
              statement(
                `SageMaker ${p.resource}`,
                scoped,
                arn.sagemaker(sagemakerResource(ctx, p.resource)),
              ),
            ]
          : []),
        ...(listing.length ? [statement(`SageMaker ${p.resource} List`, listing, '*')] : []),
      ];
    }
    case 'featurestore:put':
      return [
        statement(
          `FeatureStorePut ${p.featureGroup}`,
          ['sagemaker:PutRecord'],
          arn.sagemaker(`feature-group/${resourceName(ctx, p.featureGroup)}`),
        ),
      ];
    case 'featurestore:read': {
      const group = resourceName(ctx, p.featureGroup);
      // Feature Store names the offline table `<group with underscores>_<creation timestamp>`.
      const table = `${group.replace(/-/g, '_')}_*`;
      const db = FEATURE_STORE.glueDatabase;
      const store = bucketName(ctx, FEATURE_STORE.bucket);
      return [
        statement(
          `FeatureStoreGet ${p.featureGroup}`,
          ['sagemaker:GetRecord', 'sagemaker:BatchGetRecord'],
          arn.sagemaker(`feature-group/${group}`),
        ),
        statement(
          `FeatureStoreDescribe ${p.featureGroup}`,
          ['sagemaker:DescribeFeatureGroup'],
          arn.sagemaker(`feature-group/${group}`),
        ),
        statement(
          'GlueCatalog',
          ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
          regional('glue', 'catalog'),
        ),
        statement(
          'GlueDatabase',
          ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
          regional('glue', `database/${db}`),
        ),
        statement(
          `GlueTable ${p.featureGroup}`,
          ['glue:GetTable', 'glue:GetPartitions'],
          regional('glue', `table/${db}/${table}`),
        ),
        statement(
          'OfflineStoreRead',
          ['s3:GetObject'],
          arn.objects(store, FEATURE_STORE.offlinePrefix),
        ),
        statement('OfflineStoreList', ['s3:ListBucket'], arn.bucket(store), {
          StringLike: { 's3:prefix': [`${FEATURE_STORE.offlinePrefix}*`] },
        }),
      ];
    }
    case 'bedrock:invoke':
      return [
        statement(
          'BedrockModel',
          ['bedrock:InvokeModel'],
          sub(`arn:\${AWS::Partition}:bedrock:*::foundation-model/${BEDROCK_MODELS}`),
        ),
        statement(
          'BedrockInferenceProfile',
          ['bedrock:InvokeModel'],
          regional('bedrock', `inference-profile/*.${BEDROCK_MODELS}`),
        ),
      ];
    case 'athena:query': {
      const results = bucketName(ctx, FEATURE_STORE.bucket);
      return [
        statement(
          'AthenaWorkgroup',
          [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
          ],
          regional('athena', `workgroup/${resourceName(ctx, FEATURE_STORE.athenaWorkgroup)}`),
        ),
        // Athena writes results with the caller's credentials.
        statement(
          'AthenaResultsWrite',
          ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
          arn.objects(results, FEATURE_STORE.athenaResultsPrefix),
        ),
        statement('AthenaResultsBucket', ['s3:GetBucketLocation'], arn.bucket(results)),
      ];
    }
    case 'secrets:read':
      return [
        statement(
          `SecretRead ${p.secret}`,
          ['secretsmanager:GetSecretValue'],
          arn.secret(resourceName(ctx, p.secret)),
        ),
      ];
    case 'iam:passrole':
      return [
        statement(`PassRole ${p.role}`, ['iam:PassRole'], arn.role(resourceName(ctx, p.role)), {
          StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
        }),
      ];
    case 'custom':
      return [
        statement(p.sid, p.actions, p.resource.includes('${') ? sub(p.resource) : p.resource),
      ];
  }
}

/** Queue the function's failed asynchronous invocations (S3, EventBridge, schedule) land in. */
export const asyncFailureQueueName = (ctx: NameContext, service: string, fn: string) =>
  resourceName(ctx, `${service}-${fn}-dlq`);

export const isAsync = (fn: FunctionSpec) =>
  fn.triggers.some((t) => t.type === 's3' || t.type === 'eventbridge' || t.type === 'schedule');

/** Every statement of a function's role: its own grants plus what running on Lambda needs. */
export function functionStatements(
  ctx: NameContext,
  topology: ServiceTopology,
  fn: FunctionSpec,
): IamStatement[] {
  const physical = functionName(ctx, topology.service, fn.name);
  const all: IamStatement[] = [
    statement('Logs', ['logs:CreateLogStream', 'logs:PutLogEvents'], arn.logGroup(physical)),
    // X-Ray has no resource-level permissions.
    statement('XRay', ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], '*'),
  ];
  for (const t of fn.triggers) {
    if (t.type === 'sqs') {
      all.push(
        statement(
          `SqsConsume ${t.queue}`,
          [
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:ChangeMessageVisibility',
          ],
          arn.queue(queueName(ctx, t.queue)),
        ),
      );
    }
  }
  if (isAsync(fn)) {
    // Lambda's on-failure destination is written with the function's own role.
    all.push(
      statement(
        'AsyncFailures',
        ['sqs:SendMessage'],
        arn.queue(asyncFailureQueueName(ctx, topology.service, fn.name)),
      ),
    );
  }
  for (const p of fn.permissions) all.push(...permissionStatements(ctx, p));
  return uniqueSids(all);
}

/** IAM rejects duplicate Sids in one policy; keep the first and number the rest. */
function uniqueSids(statements: IamStatement[]): IamStatement[] {
  const seen = new Map<string, number>();
  return statements.map((s) => {
    const n = (seen.get(s.Sid) ?? 0) + 1;
    seen.set(s.Sid, n);
    return n === 1 ? s : { ...s, Sid: `${s.Sid}${n}` };
  });
}
