/**
 * A service topology -> its osls / Serverless Framework v3-style configuration.
 *
 * One function, one IAM role (raw CloudFormation: the per-function-roles plugin is not used),
 * every queue with a DLQ, every bucket encrypted and TLS-only. Names are derived from
 * `<prefix>-<stage>`, so each service deploys on its own and still finds the others.
 */
import { createHash } from 'node:crypto';
import type { FunctionSpec, ServiceTopology, Trigger } from './types.ts';
import type { NameContext } from './names.ts';
import {
  DEFAULT_PREFIX,
  bucketName,
  busName,
  functionName,
  queueName,
  resourceName,
} from './names.ts';
import type { IamStatement } from './iam.ts';
import { arn, asyncFailureQueueName, functionStatements, isAsync } from './iam.ts';
import type { CfnResource, CfnResources, CfnValue } from './resources.ts';
import {
  allowEventsFrom,
  bucketPolicy,
  bucketProperties,
  deadLetterQueue,
  eventBusResource,
  logicalIds,
  lowerFirstKeys,
  queuePolicy,
  queueResources,
  ruleName,
  ruleResource,
} from './resources.ts';

export interface ServerlessOptions {
  prefix?: string;
  stage?: string;
  /** Default region when `--region` is not given. */
  region?: string;
}

/** The parts of the configuration this module writes; typed loosely on purpose. */
export interface ServerlessConfig {
  service: string;
  frameworkVersion: string;
  configValidationMode: 'error';
  plugins: string[];
  params?: Record<string, Record<string, string>>;
  provider: Record<string, unknown> & { environment: Record<string, string> };
  package: Record<string, unknown>;
  custom: { esbuild: Record<string, unknown> };
  functions: Record<string, ServerlessFunction>;
  resources: {
    Resources: CfnResources;
    Outputs: Record<string, { Description: string; Value: CfnValue }>;
    extensions?: Record<string, Partial<CfnResource>>;
  };
}

export interface ServerlessFunction {
  name: string;
  handler: string;
  description: string;
  timeout: number;
  memorySize: number;
  role: string;
  events: Record<string, unknown>[];
  environment?: Record<string, string | CfnValue>;
  reservedConcurrency?: number;
  destinations?: { onFailure: { type: 'sqs'; arn: CfnValue } };
}

/** Limits AWS enforces on names; checked here so a bad topology fails at `package`, not deploy. */
export const LIMITS = {
  lambdaName: 64,
  roleName: 64,
  ruleName: 64,
  queueName: 80,
  bucketName: 63,
} as const;

/** Stage and prefix as the runtime validates them (shared/src/runtime/config.ts). */
const STAGE_RE = /^[a-z][a-z0-9]{0,9}$/;
const PREFIX_RE = /^[a-z][a-z0-9-]{1,20}$/;

export const JWT_AUTHORIZER = 'doctorsJwt';
/**
 * Placeholders that fail closed: no token from a real issuer validates against them. Set
 * `MLOPS_JWT_ISSUER_URL` / `MLOPS_JWT_AUDIENCE` at package time or pass
 * `--param jwtIssuerUrl=... --param jwtAudience=...`.
 */
export const JWT_PLACEHOLDERS = {
  issuerUrl: 'https://issuer.example.invalid/',
  audience: 'cancer-mlops-api',
} as const;

const getAtt = (id: string, attr = 'Arn'): CfnValue => ({ 'Fn::GetAtt': [id, attr] });

/** IAM role names are capped at 64: keep the readable head, make it unique with a hash. */
export function roleName(ctx: NameContext, service: string, fn: string): string {
  const full = functionName(ctx, service, fn);
  if (full.length <= LIMITS.roleName) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, LIMITS.roleName - hash.length - 1)}-${hash}`;
}

export const eventRuleName = (ctx: NameContext, service: string, fn: string, index: number) =>
  functionName(ctx, service, `${fn}-${index}`);

/**
 * The name context for a `serverless.ts` run: the stage from `--stage`/`-s` (as osls parses it,
 * default `dev`) and the prefix from `MLOPS_PREFIX`. Names are computed here rather than left as
 * `${sls:stage}` because role names must be measured (and hashed) on the real stage.
 */
export function nameContextFromCli(
  argv: string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): NameContext {
  let stage: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--stage' || a === '-s') stage = argv[i + 1];
    else if (a.startsWith('--stage=')) stage = a.slice('--stage='.length);
  }
  stage ??= 'dev';
  const prefix = env.MLOPS_PREFIX || DEFAULT_PREFIX;
  if (!STAGE_RE.test(stage)) {
    throw new Error(
      `stage "${stage}" must be lowercase letters and digits, at most 10, starting with a letter`,
    );
  }
  if (!PREFIX_RE.test(prefix)) {
    throw new Error(
      `MLOPS_PREFIX "${prefix}" must be lowercase letters, digits and dashes, 2-21 characters`,
    );
  }
  return { prefix, stage };
}

/** Everything wrong with a topology, so one run reports all of it. */
export function topologyProblems(t: ServiceTopology, ctx: NameContext): string[] {
  const problems: string[] = [];
  const queues = new Map(t.queues.map((q) => [q.name, q]));
  const buckets = new Set(t.buckets.map((b) => b.name));
  const check = (what: string, name: string, max: number) => {
    if (name.length > max)
      problems.push(`${what} "${name}" is ${name.length} characters (limit ${max})`);
  };
  for (const fn of t.functions) {
    check('function name', functionName(ctx, t.service, fn.name), LIMITS.lambdaName);
    if (fn.timeoutSeconds > 900)
      problems.push(`${fn.name}: timeout ${fn.timeoutSeconds}s exceeds Lambda's 900s`);
    fn.triggers.forEach((tr, i) => {
      if (tr.type === 'sqs') {
        const q = queues.get(tr.queue);
        if (!q)
          // A consumer owns its queue, so the visibility rule can be checked against it.
          problems.push(`${fn.name}: consumes "${tr.queue}", which ${t.service} does not own`);
        else if (q.visibilityTimeoutSeconds < 6 * fn.timeoutSeconds) {
          problems.push(
            `queue "${q.name}": visibility ${q.visibilityTimeoutSeconds}s < 6 x ${fn.name} timeout ${fn.timeoutSeconds}s`,
          );
        }
      }
      if (tr.type === 's3' && !buckets.has(tr.bucket)) {
        problems.push(`${fn.name}: S3 trigger on "${tr.bucket}", which ${t.service} does not own`);
      }
      if (tr.type === 'http' && fn.timeoutSeconds > 30) {
        problems.push(
          `${fn.name}: HTTP API integrations time out at 30s, function has ${fn.timeoutSeconds}s`,
        );
      }
      if (tr.type === 'eventbridge' || tr.type === 'schedule') {
        check('rule name', eventRuleName(ctx, t.service, fn.name, i + 1), LIMITS.ruleName);
      }
    });
    if (isAsync(fn))
      check('queue name', asyncFailureQueueName(ctx, t.service, fn.name), LIMITS.queueName);
  }
  for (const q of t.queues) {
    check('queue name', queueName(ctx, `${q.name}-dlq`), LIMITS.queueName);
    if (q.maxReceiveCount < 1)
      problems.push(`queue "${q.name}": maxReceiveCount must be at least 1`);
  }
  for (const b of t.buckets) check('bucket name', bucketName(ctx, b.name), LIMITS.bucketName);
  for (const r of t.rules) {
    check('rule name', ruleName(ctx, t.service, r.name), LIMITS.ruleName);
    if (!queues.has(r.targetQueue))
      problems.push(`rule "${r.name}": target "${r.targetQueue}" is not a queue of ${t.service}`);
    if (!r.pattern === !r.schedule)
      problems.push(`rule "${r.name}": needs exactly one of pattern or schedule`);
    if (r.schedule && r.bus !== 'default')
      problems.push(`rule "${r.name}": schedules run on the default bus only`);
  }
  return problems;
}

function esbuildConfig(): Record<string, unknown> {
  return {
    bundle: true,
    minify: false,
    sourcemap: true,
    keepNames: true,
    target: 'node22',
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    outputFileExtension: '.mjs',
    // Bundled CommonJS dependencies still call require(); ESM has none unless we make one.
    banner: {
      js: "import { createRequire as __mlopsCreateRequire } from 'node:module'; const require = __mlopsCreateRequire(import.meta.url);",
    },
    // The SDK is bundled, not taken from the runtime: the runtime's copy lags, may lack
    // lib-storage or the feature-store client, and would make the versions we test drift.
    exclude: [],
    // No externals to install: packaging never runs `npm install`, so it works offline.
    external: [],
    packager: 'npm',
  };
}

interface Built {
  events: Record<string, unknown>[];
  resources: CfnResources;
  /** EventBridge rules that may dead-letter into the function's async failure queue. */
  deadLetterRuleArns: CfnValue[];
}

function buildEvents(ctx: NameContext, t: ServiceTopology, fn: FunctionSpec): Built {
  const out: Built = { events: [], resources: {}, deadLetterRuleArns: [] };
  const asyncDlq = getAtt(logicalIds.asyncDlq(fn.name));
  fn.triggers.forEach((tr: Trigger, i) => {
    const index = i + 1;
    switch (tr.type) {
      case 's3':
        out.events.push({
          s3: {
            bucket: tr.bucket,
            event: 's3:ObjectCreated:*',
            rules: [
              ...(tr.prefix ? [{ prefix: tr.prefix }] : []),
              ...(tr.suffix ? [{ suffix: tr.suffix }] : []),
            ],
            existing: false,
          },
        });
        break;
      case 'sqs':
        out.events.push({
          sqs: {
            // Each service consumes only queues it owns (checked in topologyProblems).
            arn: getAtt(logicalIds.queue(tr.queue)),
            batchSize: tr.batchSize,
            ...(tr.maximumBatchingWindow !== undefined
              ? { maximumBatchingWindow: tr.maximumBatchingWindow }
              : {}),
            functionResponseType: 'ReportBatchItemFailures',
          },
        });
        break;
      case 'eventbridge': {
        const name = eventRuleName(ctx, t.service, fn.name, index);
        if (tr.bus === 'default') {
          out.events.push({
            eventBridge: { name, pattern: tr.pattern, deadLetterQueueArn: asyncDlq },
          });
          out.deadLetterRuleArns.push(arn.rule(name));
        } else {
          // A bus *name* in a serverless eventBridge event makes serverless create the bus, and
          // an ARN would need the account id at package time: the rule is raw CloudFormation.
          const ruleId = logicalIds.busRule(fn.name, index);
          out.resources[ruleId] = {
            Type: 'AWS::Events::Rule',
            ...(t.ownsEventBus ? { DependsOn: [logicalIds.bus()] } : {}),
            Properties: {
              Name: name,
              EventBusName: busName(ctx),
              EventPattern: tr.pattern,
              State: 'ENABLED',
              Targets: [
                {
                  Id: 'lambda',
                  Arn: getAtt(logicalIds.lambda(fn.name)),
                  DeadLetterConfig: { Arn: asyncDlq },
                },
              ],
            },
          };
          out.resources[`${ruleId}Permission`] = {
            Type: 'AWS::Lambda::Permission',
            Properties: {
              Action: 'lambda:InvokeFunction',
              FunctionName: getAtt(logicalIds.lambda(fn.name)),
              Principal: 'events.amazonaws.com',
              SourceArn: getAtt(ruleId),
            },
          };
          out.deadLetterRuleArns.push(getAtt(ruleId));
        }
        break;
      }
      case 'schedule':
        out.events.push({
          schedule: {
            name: eventRuleName(ctx, t.service, fn.name, index),
            rate: [tr.expression],
            enabled: tr.enabled ?? true,
          },
        });
        break;
      case 'http':
        out.events.push({
          httpApi: {
            method: tr.method,
            path: tr.path,
            ...(tr.auth === 'jwt' ? { authorizer: { name: JWT_AUTHORIZER } } : {}),
          },
        });
        break;
    }
  });
  return out;
}

function roleResource(
  ctx: NameContext,
  t: ServiceTopology,
  fn: FunctionSpec,
  statements: IamStatement[],
): CfnResource {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      RoleName: roleName(ctx, t.service, fn.name),
      Description: `${t.service}.${fn.name}: ${fn.description}`.slice(0, 1000),
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'lambda.amazonaws.com' },
            Action: 'sts:AssumeRole',
          },
        ],
      },
      Policies: [
        { PolicyName: fn.name, PolicyDocument: { Version: '2012-10-17', Statement: statements } },
      ],
    },
  };
}

export function toServerless(
  topology: ServiceTopology,
  opts: ServerlessOptions = {},
): ServerlessConfig {
  const ctx: NameContext = { prefix: opts.prefix ?? DEFAULT_PREFIX, stage: opts.stage ?? 'dev' };
  const t = topology;
  const problems = topologyProblems(t, ctx);
  if (problems.length) {
    throw new Error(`topology of ${t.service} cannot be deployed:\n- ${problems.join('\n- ')}`, {
      cause: { service: t.service, problems },
    });
  }

  const resources: CfnResources = {};
  const outputs: ServerlessConfig['resources']['Outputs'] = {};
  const extensions: Record<string, Partial<CfnResource>> = {};
  const functions: Record<string, ServerlessFunction> = {};

  if (t.ownsEventBus) {
    resources[logicalIds.bus()] = eventBusResource(ctx);
    outputs.EventBusName = { Description: 'Custom event bus', Value: { Ref: logicalIds.bus() } };
  }

  for (const q of t.queues) {
    Object.assign(resources, queueResources(ctx, q, t.rules));
    outputs[`${logicalIds.queue(q.name)}Url`] = {
      Description: `Queue ${q.name}`,
      Value: { Ref: logicalIds.queue(q.name) },
    };
  }
  for (const r of t.rules) resources[logicalIds.rule(r.name)] = ruleResource(ctx, t, r);

  // Buckets with an S3 trigger are created by serverless (it wires the notification and the
  // permission); `provider.s3` gives them the same hardening as the plain ones.
  const triggered = new Set(
    t.functions.flatMap((f) => f.triggers.flatMap((tr) => (tr.type === 's3' ? [tr.bucket] : []))),
  );
  const providerS3: Record<string, Record<string, unknown>> = {};
  for (const b of t.buckets) {
    const id = logicalIds.bucket(b.name);
    const retain = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };
    if (triggered.has(b.name)) {
      // `provider.s3` validates only some bucket properties; the rest extend the generated bucket.
      const { BucketEncryption, PublicAccessBlockConfiguration, ...rest } = bucketProperties(b);
      providerS3[b.name] = {
        name: bucketName(ctx, b.name),
        ...lowerFirstKeys({ BucketEncryption, PublicAccessBlockConfiguration }),
      };
      extensions[id] = { ...retain, Properties: rest };
    } else {
      resources[id] = {
        Type: 'AWS::S3::Bucket',
        ...retain,
        Properties: { BucketName: bucketName(ctx, b.name), ...bucketProperties(b) },
      };
    }
    resources[logicalIds.bucketPolicy(b.name)] = bucketPolicy(ctx, b);
    outputs[`${id}Name`] = { Description: `Bucket ${b.name}`, Value: bucketName(ctx, b.name) };
  }

  let jwt = false;
  let http = false;
  let usesImage = false;
  for (const fn of t.functions) {
    const built = buildEvents(ctx, t, fn);
    Object.assign(resources, built.resources);
    resources[logicalIds.role(fn.name)] = roleResource(ctx, t, fn, functionStatements(ctx, t, fn));
    if (isAsync(fn)) {
      const dlqId = logicalIds.asyncDlq(fn.name);
      resources[dlqId] = deadLetterQueue(asyncFailureQueueName(ctx, t.service, fn.name));
      resources[logicalIds.asyncDlqPolicy(fn.name)] = queuePolicy(
        dlqId,
        built.deadLetterRuleArns.length
          ? [
              allowEventsFrom(
                'AllowEventBridgeDeadLetters',
                getAtt(dlqId),
                built.deadLetterRuleArns,
              ),
            ]
          : [],
      );
    }
    http ||= fn.triggers.some((tr) => tr.type === 'http');
    jwt ||= fn.triggers.some((tr) => tr.type === 'http' && tr.auth === 'jwt');
    const sagemaker = usesSageMaker(fn);
    usesImage ||= sagemaker;
    const environment = {
      ...(sagemaker ? sageMakerEnvironment(ctx) : {}),
      ...(fn.environment ?? {}),
    };
    functions[fn.name] = {
      name: functionName(ctx, t.service, fn.name),
      handler: `${fn.handler.replace(/\.ts$/, '')}.${fn.export ?? 'handler'}`,
      description: fn.description.slice(0, 256),
      timeout: fn.timeoutSeconds,
      memorySize: fn.memoryMb,
      role: logicalIds.role(fn.name),
      events: built.events,
      ...(Object.keys(environment).length ? { environment } : {}),
      ...(fn.reservedConcurrency !== undefined
        ? { reservedConcurrency: fn.reservedConcurrency }
        : {}),
      // Failed async invocations (after Lambda's own retries) keep the event and the error.
      ...(isAsync(fn)
        ? {
            destinations: {
              onFailure: { type: 'sqs' as const, arn: getAtt(logicalIds.asyncDlq(fn.name)) },
            },
          }
        : {}),
    };
  }

  const provider: ServerlessConfig['provider'] = {
    name: 'aws',
    runtime: 'nodejs22.x',
    architecture: 'arm64',
    // The names above were computed for this stage; the stack must not be deployed under another.
    stage: ctx.stage,
    region: `\${opt:region, '${opts.region ?? 'us-east-1'}'}`,
    logRetentionInDays: 30,
    tracing: { lambda: true },
    environment: {
      MLOPS_PREFIX: ctx.prefix,
      MLOPS_STAGE: ctx.stage,
      POWERTOOLS_SERVICE_NAME: t.service,
      POWERTOOLS_METRICS_NAMESPACE: ctx.prefix,
      NODE_OPTIONS: '--enable-source-maps',
    },
    stackTags: { project: ctx.prefix, service: t.service },
    ...(Object.keys(providerS3).length ? { s3: providerS3 } : {}),
    ...(http
      ? {
          httpApi: jwt
            ? {
                authorizers: {
                  [JWT_AUTHORIZER]: {
                    type: 'jwt',
                    identitySource: '$request.header.Authorization',
                    issuerUrl: '${param:jwtIssuerUrl}',
                    audience: ['${param:jwtAudience}'],
                  },
                },
              }
            : {},
          // Access logs carry request ids, routes and status codes; bodies are never logged.
          logs: { httpApi: true },
        }
      : {}),
  };

  return {
    service: `${ctx.prefix}-${t.service}`,
    frameworkVersion: '^4',
    configValidationMode: 'error',
    plugins: ['serverless-esbuild'],
    ...(jwt || usesImage
      ? {
          params: {
            default: {
              ...(jwt
                ? {
                    jwtIssuerUrl: `\${env:MLOPS_JWT_ISSUER_URL, '${JWT_PLACEHOLDERS.issuerUrl}'}`,
                    jwtAudience: `\${env:MLOPS_JWT_AUDIENCE, '${JWT_PLACEHOLDERS.audience}'}`,
                  }
                : {}),
              // Empty when not given: the functions then fail at their first SageMaker call
              // with one error naming TRAINING_IMAGE_URI, instead of `package` needing AWS.
              ...(usesImage ? { trainingImageUri: "${env:TRAINING_IMAGE_URI, ''}" } : {}),
            },
          },
        }
      : {}),
    provider,
    package: { individually: true },
    custom: { esbuild: esbuildConfig() },
    functions,
    resources: {
      Resources: resources,
      Outputs: outputs,
      ...(Object.keys(extensions).length ? { extensions } : {}),
    },
  };
}

/** Functions that call SageMaker (its ports need the container image and the execution role). */
const usesSageMaker = (fn: FunctionSpec) =>
  fn.permissions.some((p) => p.kind === 'sagemaker' || p.kind === 'iam:passrole');

/**
 * What the SageMaker ports read: the image (a deploy parameter, `--param trainingImageUri=…`
 * or $TRAINING_IMAGE_URI) and the execution role, whose name is derived like every other.
 */
function sageMakerEnvironment(ctx: NameContext): Record<string, string | CfnValue> {
  return {
    TRAINING_IMAGE_URI: '${param:trainingImageUri}',
    SAGEMAKER_ROLE_ARN: arn.role(resourceName(ctx, 'sagemaker-execution')),
  };
}
