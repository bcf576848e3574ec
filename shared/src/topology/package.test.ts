/**
 * Runs `serverless package` for every service, offline, and reads the CloudFormation it
 * generates: what AWS would deploy, not what we meant to configure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topology as ingest } from '@cancer-mlops/ingest/topology.ts';
import { topology as scoring } from '@cancer-mlops/scoring/topology.ts';
import { topology as training } from '@cancer-mlops/training/topology.ts';
import { topology as inference } from '@cancer-mlops/inference/topology.ts';
import { topology as batch } from '@cancer-mlops/batch/topology.ts';
import { topology as monitor } from '@cancer-mlops/monitor/topology.ts';
import type { NameContext } from './names.ts';
import type { ServiceTopology } from './types.ts';
import type { IamStatement } from './iam.ts';
import { logicalIds } from './resources.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OSLS = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
const ctx: NameContext = { prefix: 'cancer-mlops', stage: 'test' };
const topologies: Record<string, ServiceTopology> = Object.fromEntries(
  [ingest, scoring, training, inference, batch, monitor].map((t) => [t(ctx).service, t(ctx)]),
);
const PARALLEL = 2;

/**
 * No credentials, no telemetry, and every proxy pointing at a closed port: if packaging tried
 * to reach AWS or a registry it would fail instead of quietly depending on the network.
 */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^AWS_|^MLOPS_|^SLS_|_proxy$/i.test(key)) delete env[key];
  }
  const blackHole = 'http://127.0.0.1:9';
  return {
    ...env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DISABLE_AUTO_UPDATE: '1',
    AWS_ACCESS_KEY_ID: 'AKIAOFFLINEPACKAGING',
    AWS_SECRET_ACCESS_KEY: 'offline-packaging-does-not-call-aws',
    AWS_EC2_METADATA_DISABLED: 'true',
    HTTP_PROXY: blackHole,
    HTTPS_PROXY: blackHole,
    http_proxy: blackHole,
    https_proxy: blackHole,
    npm_config_offline: 'true',
  };
}

interface Packaged {
  code: number | null;
  output: string;
  dir: string;
}

function packageService(service: string, dir: string): Promise<Packaged> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [OSLS, 'package', '--stage', ctx.stage, '--package', dir],
      {
        cwd: join(ROOT, 'services', service),
        env: offlineEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output, dir }));
  });
}

/** Names of the files in a zip, from its central directory (no unzip dependency). */
function zipEntries(file: string): string[] {
  const buf = readFileSync(file);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extra + comment;
  }
  return names;
}

type Resource = {
  Type: string;
  Properties: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  DeletionPolicy?: string;
};
const results = new Map<string, Packaged>();
const work = mkdtempSync(join(tmpdir(), 'mlops-package-'));
const template = (service: string): Record<string, Resource> => {
  const r = results.get(service);
  if (!r || r.code !== 0)
    throw new Error(`serverless package failed for ${service}:\n${r?.output}`);
  return JSON.parse(readFileSync(join(r.dir, 'cloudformation-template-update-stack.json'), 'utf8'))
    .Resources;
};
const ofType = (resources: Record<string, Resource>, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

beforeAll(async () => {
  const queue = Object.keys(topologies);
  const worker = async () => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      results.set(s, await packageService(s, join(work, s)));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('Function: serverless package (offline, every service)', () => {
  describe.each(Object.keys(topologies))('service %s', (service) => {
    const t = topologies[service];

    it('packages without network or credentials', () => {
      // Assess
      const r = results.get(service);
      expect(r?.output).toContain('Service packaged');
      expect(r?.code).toBe(0);
    });

    it('bundles each function alone, as ESM with its source map and no node_modules', () => {
      // Act
      const zips = readdirSync(join(work, service)).filter((f) => f.endsWith('.zip'));

      // Assess
      expect(zips.sort()).toEqual(t.functions.map((f) => `${f.name}.zip`).sort());
      for (const fn of t.functions) {
        const base = fn.handler.replace(/\.ts$/, '');
        const entries = zipEntries(join(work, service, `${fn.name}.zip`));
        expect(entries).toEqual(expect.arrayContaining([`${base}.mjs`, `${base}.mjs.map`]));
        expect(
          entries.filter((e) => e.includes('node_modules/') || e.endsWith('package.json')),
        ).toEqual([]);
      }
    });

    it('deploys each function on nodejs22.x arm64 with its own role and tracing', () => {
      // Act
      const resources = template(service);

      // Assess
      expect(resources.IamRoleLambdaExecution).toBeUndefined();
      expect(ofType(resources, 'AWS::IAM::Role')).toHaveLength(t.functions.length);
      for (const fn of t.functions) {
        const lambda = resources[logicalIds.lambda(fn.name)];
        expect(lambda.Properties).toMatchObject({
          FunctionName: `cancer-mlops-test-${service}-${fn.name}`,
          Handler: `${fn.handler.replace(/\.ts$/, '')}.${fn.export ?? 'handler'}`,
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Timeout: fn.timeoutSeconds,
          Role: getAtt(logicalIds.role(fn.name)),
          TracingConfig: { Mode: 'Active' },
        });
        const statements: IamStatement[] =
          resources[logicalIds.role(fn.name)].Properties.Policies[0].PolicyDocument.Statement;
        expect(statements.length).toBeGreaterThan(2);
        for (const s of statements) {
          expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
          expect(Array.isArray(s.Resource)).toBe(false);
        }
      }
    });

    it('wires every trigger of every function', () => {
      // Act
      const resources = template(service);

      // Assess
      const permissions = ofType(resources, 'AWS::Lambda::Permission').map(([, r]) => r.Properties);
      for (const fn of t.functions) {
        const lambda = getAtt(logicalIds.lambda(fn.name));
        const invokedBy = (principal: string) =>
          permissions.filter(
            (p) =>
              JSON.stringify(p.FunctionName) === JSON.stringify(lambda) &&
              p.Principal === principal,
          );
        for (const tr of fn.triggers) {
          switch (tr.type) {
            case 'sqs': {
              const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping').map(
                ([, r]) => r.Properties,
              );
              expect(mappings).toContainEqual(
                expect.objectContaining({
                  FunctionName: lambda,
                  EventSourceArn: getAtt(logicalIds.queue(tr.queue)),
                  BatchSize: tr.batchSize,
                  FunctionResponseTypes: ['ReportBatchItemFailures'],
                }),
              );
              break;
            }
            case 's3': {
              const bucket = resources[logicalIds.bucket(tr.bucket)];
              expect(
                bucket.Properties.NotificationConfiguration.LambdaConfigurations,
              ).toContainEqual(
                expect.objectContaining({
                  Event: 's3:ObjectCreated:*',
                  Function: lambda,
                  ...(tr.prefix
                    ? { Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: tr.prefix }] } } }
                    : {}),
                }),
              );
              expect(invokedBy('s3.amazonaws.com')).toHaveLength(1);
              break;
            }
            case 'eventbridge':
            case 'schedule': {
              const rules = ofType(resources, 'AWS::Events::Rule').map(([, r]) => r.Properties);
              const rule = rules.find(
                (r) => JSON.stringify(r.Targets?.[0]?.Arn) === JSON.stringify(lambda),
              );
              if (tr.type === 'eventbridge') {
                expect(rule).toMatchObject({ EventPattern: tr.pattern, State: 'ENABLED' });
                expect(rule?.Targets[0].DeadLetterConfig).toEqual({
                  Arn: getAtt(logicalIds.asyncDlq(fn.name)),
                });
              } else {
                expect(rule).toMatchObject({ ScheduleExpression: tr.expression, State: 'ENABLED' });
              }
              expect(invokedBy('events.amazonaws.com').length).toBeGreaterThanOrEqual(1);
              break;
            }
            case 'http': {
              const route = ofType(resources, 'AWS::ApiGatewayV2::Route').find(
                ([, r]) => r.Properties.RouteKey === `${tr.method} ${tr.path}`,
              );
              expect(route).toBeDefined();
              expect(route?.[1].Properties.AuthorizationType).toBe(
                tr.auth === 'jwt' ? 'JWT' : undefined,
              );
              expect(invokedBy('apigateway.amazonaws.com')).toHaveLength(1);
              break;
            }
          }
        }
        const asyncTriggered = fn.triggers.some((tr) => tr.type !== 'sqs' && tr.type !== 'http');
        if (asyncTriggered) {
          const invokeConfig = ofType(resources, 'AWS::Lambda::EventInvokeConfig').find(
            ([, r]) => r.Properties.FunctionName.Ref === logicalIds.lambda(fn.name),
          );
          expect(invokeConfig?.[1].Properties.DestinationConfig).toEqual({
            OnFailure: { Destination: getAtt(logicalIds.asyncDlq(fn.name)) },
          });
        }
      }
    });

    it('redrives every queue to its DLQ and keeps it visible for six consumer timeouts', () => {
      // Act
      const resources = template(service);

      // Assess
      for (const q of t.queues) {
        const queue = resources[logicalIds.queue(q.name)];
        expect(queue.Properties.RedrivePolicy).toEqual({
          deadLetterTargetArn: getAtt(logicalIds.dlq(q.name)),
          maxReceiveCount: q.maxReceiveCount,
        });
        expect(resources[logicalIds.dlq(q.name)].Type).toBe('AWS::SQS::Queue');
        const consumers = t.functions.filter((f) =>
          f.triggers.some((tr) => tr.type === 'sqs' && tr.queue === q.name),
        );
        for (const fn of consumers) {
          expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
            6 * resources[logicalIds.lambda(fn.name)].Properties.Timeout,
          );
        }
      }
      for (const [, q] of ofType(resources, 'AWS::SQS::Queue'))
        expect(q.Properties.SqsManagedSseEnabled).toBe(true);
      for (const [id] of ofType(resources, 'AWS::SQS::Queue')) {
        const policy = ofType(resources, 'AWS::SQS::QueuePolicy').find(
          ([, p]) => p.Properties.Queues[0].Ref === id,
        );
        expect(policy?.[1].Properties.PolicyDocument.Statement[0]).toMatchObject({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        });
      }
    });

    it('creates every bucket encrypted, private, versioned, retained and TLS-only', () => {
      // Act
      const resources = template(service);

      // Assess
      for (const b of t.buckets) {
        const bucket = resources[logicalIds.bucket(b.name)];
        expect(bucket.DeletionPolicy).toBe('Retain');
        expect(bucket.Properties).toMatchObject({
          BucketName: `cancer-mlops-test-${b.name}`,
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
          VersioningConfiguration: { Status: 'Enabled' },
        });
        const policy = resources[logicalIds.bucketPolicy(b.name)];
        expect(policy.Properties.Bucket).toEqual({ Ref: logicalIds.bucket(b.name) });
        expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
      }
      // Only the framework's own deployment bucket besides ours.
      expect(
        ofType(resources, 'AWS::S3::Bucket')
          .map(([id]) => id)
          .sort(),
      ).toEqual(
        ['ServerlessDeploymentBucket', ...t.buckets.map((b) => logicalIds.bucket(b.name))].sort(),
      );
    });

    it('routes each rule to its queue, with the queue accepting only that rule', () => {
      // Act
      const resources = template(service);

      // Assess
      for (const r of t.rules) {
        const rule = resources[logicalIds.rule(r.name)];
        expect(rule.Properties.Targets[0]).toMatchObject({
          Arn: getAtt(logicalIds.queue(r.targetQueue)),
          DeadLetterConfig: { Arn: getAtt(logicalIds.dlq(r.targetQueue)) },
        });
        const allow = resources[
          logicalIds.queuePolicy(r.targetQueue)
        ].Properties.PolicyDocument.Statement.find((s: { Effect: string }) => s.Effect === 'Allow');
        expect(allow.Principal).toEqual({ Service: 'events.amazonaws.com' });
        expect(JSON.stringify(allow.Condition.ArnEquals['aws:SourceArn'])).toContain(
          logicalIds.rule(r.name),
        );
      }
      expect(Boolean(resources.EventBus)).toBe(Boolean(t.ownsEventBus));
    });
  });
});
