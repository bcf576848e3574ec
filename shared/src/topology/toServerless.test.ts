import { readFileSync } from 'node:fs';
import { topology as ingest } from '@cancer-mlops/ingest/topology.ts';
import { topology as scoring } from '@cancer-mlops/scoring/topology.ts';
import { topology as training } from '@cancer-mlops/training/topology.ts';
import { topology as inference } from '@cancer-mlops/inference/topology.ts';
import { topology as batch } from '@cancer-mlops/batch/topology.ts';
import { topology as monitor } from '@cancer-mlops/monitor/topology.ts';
import type { NameContext } from './names.ts';
import type { ServiceTopology } from './types.ts';
import type { IamStatement } from './iam.ts';
import { permissionStatements, requiresWildcard } from './iam.ts';
import { logicalIds } from './resources.ts';
import { SERVICES } from './all.ts';
import {
  LIMITS,
  nameContextFromCli,
  roleName,
  toServerless,
  topologyProblems,
} from './toServerless.ts';

const ctx: NameContext = { prefix: 'cancer-mlops', stage: 'test' };
const topologies = { ingest, scoring, training, inference, batch, monitor };
const cases = Object.entries(topologies).map(([name, build]) => [name, build] as const);

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
const build = (t: (c: NameContext) => ServiceTopology, c: NameContext = ctx) => {
  const topology = t(c);
  const config = toServerless(topology, c);
  const resources = config.resources.Resources as Record<string, Resource>;
  return { topology, config, resources };
};
const statementsOf = (resources: Record<string, Resource>, roleId: string) =>
  (resources[roleId].Properties.Policies as { PolicyDocument: { Statement: IamStatement[] } }[])[0]
    .PolicyDocument.Statement;
const sub = (value: unknown) => (value as { 'Fn::Sub': string })['Fn::Sub'];

describe('Function: toServerless', () => {
  it('covers every service there is', () => {
    // Assess
    expect(Object.keys(topologies).sort()).toEqual([...SERVICES].sort());
  });

  describe.each(cases)('service %s', (_name, t) => {
    it('gives each function one event per trigger', () => {
      // Act
      const { topology, config } = build(t);

      // Assess
      for (const fn of topology.functions) {
        const events = config.functions[fn.name].events;
        expect(events).toHaveLength(
          fn.triggers.filter((tr) => !(tr.type === 'eventbridge' && tr.bus === 'custom')).length,
        );
        fn.triggers.forEach((tr, i) => {
          const event = events[i];
          switch (tr.type) {
            case 's3':
              expect(event).toEqual({
                s3: {
                  bucket: tr.bucket,
                  event: 's3:ObjectCreated:*',
                  rules: tr.prefix ? [{ prefix: tr.prefix }] : [],
                  existing: false,
                },
              });
              break;
            case 'sqs':
              expect(event.sqs).toMatchObject({
                arn: { 'Fn::GetAtt': [logicalIds.queue(tr.queue), 'Arn'] },
                batchSize: tr.batchSize,
              });
              break;
            case 'eventbridge':
              expect(event.eventBridge).toMatchObject({ pattern: tr.pattern });
              break;
            case 'schedule':
              expect(event.schedule).toMatchObject({ rate: [tr.expression], enabled: true });
              break;
            case 'http':
              expect(event.httpApi).toEqual({
                method: tr.method,
                path: tr.path,
                ...(tr.auth === 'jwt' ? { authorizer: { name: 'doctorsJwt' } } : {}),
              });
              break;
          }
        });
      }
    });

    it('makes every SQS consumer report batch item failures', () => {
      // Act
      const { config } = build(t);

      // Assess
      const sqs = Object.values(config.functions).flatMap((f) =>
        f.events.filter((e) => 'sqs' in e),
      );
      for (const e of sqs)
        expect(e.sqs).toMatchObject({ functionResponseType: 'ReportBatchItemFailures' });
    });

    it('gives every queue a dead-letter queue with the redrive count of the topology', () => {
      // Act
      const { topology, resources } = build(t);

      // Assess
      for (const q of topology.queues) {
        const queue = resources[logicalIds.queue(q.name)];
        const dlq = resources[logicalIds.dlq(q.name)];
        expect(queue.Properties.RedrivePolicy).toEqual({
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalIds.dlq(q.name), 'Arn'] },
          maxReceiveCount: q.maxReceiveCount,
        });
        expect(q.maxReceiveCount).toBeGreaterThanOrEqual(1);
        expect(dlq.Properties).toMatchObject({
          QueueName: `cancer-mlops-test-${q.name}-dlq`,
          SqsManagedSseEnabled: true,
        });
        expect(dlq.Properties.MessageRetentionPeriod).toBeGreaterThanOrEqual(4 * 24 * 3600);
      }
    });

    it('keeps each queue visible for at least six timeouts of the function consuming it', () => {
      // Act
      const { topology, config, resources } = build(t);

      // Assess: computed from the topology's own timeouts, so lowering one fails here.
      for (const fn of topology.functions) {
        for (const tr of fn.triggers) {
          if (tr.type !== 'sqs') continue;
          const visibility = resources[logicalIds.queue(tr.queue)].Properties
            .VisibilityTimeout as number;
          expect(config.functions[fn.name].timeout).toBe(fn.timeoutSeconds);
          expect(visibility).toBeGreaterThanOrEqual(6 * fn.timeoutSeconds);
        }
      }
    });

    it('gives each function its own role, one Sid and one resource per statement', () => {
      // Act
      const { topology, config, resources } = build(t);

      // Assess
      const roles = Object.values(config.functions).map((f) => f.role);
      expect(new Set(roles).size).toBe(topology.functions.length);
      for (const fn of topology.functions) {
        const roleId = config.functions[fn.name].role;
        expect(resources[roleId].Type).toBe('AWS::IAM::Role');
        const statements = statementsOf(resources, roleId);
        const sids = statements.map((s) => s.Sid);
        expect(new Set(sids).size).toBe(sids.length);
        for (const s of statements) {
          expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
          expect(Array.isArray(s.Resource)).toBe(false);
          if (s.Resource === '*') expect(s.Action.every(requiresWildcard)).toBe(true);
          // Anything else names this deployment, the model group, the Bedrock models or Glue.
          else expect(sub(s.Resource)).toMatch(/cancer-mlops-test-|anthropic\.claude|:glue:/);
        }
        const actions = statements.flatMap((s) => s.Action);
        expect(actions).toEqual(
          expect.arrayContaining(['logs:PutLogEvents', 'xray:PutTraceSegments']),
        );
        expect(actions.some((a) => a.endsWith(':*'))).toBe(false);
      }
    });

    it('gives SQS consumers receive rights on their own queue only', () => {
      // Act
      const { topology, config, resources } = build(t);

      // Assess
      for (const fn of topology.functions) {
        const receive = statementsOf(resources, config.functions[fn.name].role).filter((s) =>
          s.Action.includes('sqs:ReceiveMessage'),
        );
        const consumed = fn.triggers.flatMap((tr) => (tr.type === 'sqs' ? [tr.queue] : []));
        expect(receive.map((s) => sub(s.Resource).split(':').pop())).toEqual(
          consumed.map((q) => `cancer-mlops-test-${q}`),
        );
        for (const s of receive)
          expect(s.Action).toEqual(
            expect.arrayContaining(['sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']),
          );
      }
    });

    it('keeps every name within the AWS limits for the longest prefix and stage allowed', () => {
      // Prepare
      const longest: NameContext = { prefix: 'a-twenty-one-chars-xx', stage: 'production' };

      // Act
      const { topology, config, resources } = build(t, longest);

      // Assess
      expect(topologyProblems(topology, longest)).toEqual([]);
      for (const f of Object.values(config.functions))
        expect(f.name.length).toBeLessThanOrEqual(LIMITS.lambdaName);
      for (const r of Object.values(resources)) {
        const p = r.Properties;
        if (r.Type === 'AWS::IAM::Role')
          expect((p.RoleName as string).length).toBeLessThanOrEqual(LIMITS.roleName);
        if (r.Type === 'AWS::SQS::Queue')
          expect((p.QueueName as string).length).toBeLessThanOrEqual(LIMITS.queueName);
        if (r.Type === 'AWS::Events::Rule')
          expect((p.Name as string).length).toBeLessThanOrEqual(LIMITS.ruleName);
        if (r.Type === 'AWS::S3::Bucket')
          expect(p.BucketName as string).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
      }
      const roleNames = Object.values(resources).flatMap((r) =>
        r.Type === 'AWS::IAM::Role' ? [r.Properties.RoleName] : [],
      );
      expect(new Set(roleNames).size).toBe(roleNames.length);
    });

    it('hardens every bucket it owns: encrypted, private, TLS only, retained', () => {
      // Act
      const { topology, config, resources } = build(t);

      // Assess
      const providerS3 = (config.provider.s3 ?? {}) as Record<string, Record<string, unknown>>;
      for (const b of topology.buckets) {
        const id = logicalIds.bucket(b.name);
        const props = providerS3[b.name]
          ? { ...providerS3[b.name], ...config.resources.extensions?.[id]?.Properties }
          : resources[id].Properties;
        const encryption = (props.BucketEncryption ?? props.bucketEncryption) as Record<
          string,
          unknown
        >;
        const publicAccess = (props.PublicAccessBlockConfiguration ??
          props.publicAccessBlockConfiguration) as Record<string, boolean>;
        expect(JSON.stringify(encryption)).toMatch(/AES256|aws:kms/);
        expect(Object.values(publicAccess)).toEqual([true, true, true, true]);
        expect(providerS3[b.name]?.name ?? props.BucketName).toBe(`cancer-mlops-test-${b.name}`);
        expect((config.resources.extensions?.[id] ?? resources[id]).DeletionPolicy).toBe('Retain');
        const policy = resources[logicalIds.bucketPolicy(b.name)];
        expect(policy.Properties.Bucket).toEqual({ Ref: id });
        expect(policy.Properties.PolicyDocument).toMatchObject({
          Statement: [{ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
        });
      }
    });

    it('lets EventBridge feed a queue only from the rules that target it', () => {
      // Act
      const { topology, resources } = build(t);

      // Assess
      for (const r of topology.rules) {
        const rule = resources[logicalIds.rule(r.name)];
        expect(rule.Properties).toMatchObject({
          Name: `cancer-mlops-test-${topology.service}-${r.name}`,
          Targets: [{ Arn: { 'Fn::GetAtt': [logicalIds.queue(r.targetQueue), 'Arn'] } }],
        });
        expect(rule.Properties.EventBusName).toBe(
          r.bus === 'custom' ? 'cancer-mlops-test-bus' : undefined,
        );
        const policy = JSON.stringify(
          resources[logicalIds.queuePolicy(r.targetQueue)].Properties.PolicyDocument,
        );
        expect(policy).toContain('events.amazonaws.com');
        expect(policy).toContain(
          JSON.stringify({ 'Fn::GetAtt': [logicalIds.rule(r.name), 'Arn'] }),
        );
      }
    });

    it('derives other services’ resources from names, never from stack outputs or STS', () => {
      // Act
      const { config } = build(t);

      // Assess
      const text = JSON.stringify(config);
      expect(text).not.toMatch(/Fn::ImportValue|\$\{aws:|\$\{cf:|\$\{ssm:/);
    });

    it('runs on nodejs22.x arm64 with tracing, strict validation and offline-safe esbuild', () => {
      // Act
      const { config } = build(t);

      // Assess
      expect(config.configValidationMode).toBe('error');
      expect(config.provider).toMatchObject({
        name: 'aws',
        runtime: 'nodejs22.x',
        architecture: 'arm64',
        tracing: { lambda: true },
      });
      expect(config.provider.environment).toMatchObject({
        MLOPS_PREFIX: 'cancer-mlops',
        MLOPS_STAGE: 'test',
      });
      expect(config.custom.esbuild).toMatchObject({
        format: 'esm',
        outputFileExtension: '.mjs',
        external: [],
        // Bundled, so packaging and the tested SDK versions match what runs.
        exclude: [],
      });
    });
  });

  it('gives every function that calls SageMaker the image parameter and the derived execution role', () => {
    // Act
    const envs = cases.flatMap(([service, t]) =>
      Object.entries(build(t).config.functions).map(
        ([fn, f]) => [`${service}.${fn}`, f.environment] as const,
      ),
    );
    const withImage = envs.filter(([, e]) => e?.TRAINING_IMAGE_URI).map(([name]) => name);

    // Assess
    expect(withImage).toEqual(
      expect.arrayContaining([
        'training.requestTraining',
        'training.registerModel',
        'inference.deployModel',
        'inference.predict',
        'batch.onBatchObject',
      ]),
    );
    expect(withImage).not.toContain('ingest.onRawObject');
    const [, env] = envs.find(([name]) => name === 'training.requestTraining')!;
    expect(env).toEqual({
      TRAINING_IMAGE_URI: '${param:trainingImageUri}',
      SAGEMAKER_ROLE_ARN: {
        'Fn::Sub':
          'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cancer-mlops-test-sagemaker-execution',
      },
    });
    expect(build(training).config.params?.default.trainingImageUri).toBe(
      "${env:TRAINING_IMAGE_URI, ''}",
    );
    expect(build(ingest).config.params).toBeUndefined();
  });

  it('creates the custom event bus only in the service that owns it', () => {
    // Act
    const owners = cases.filter(([, t]) => build(t).resources.EventBus);

    // Assess
    expect(owners.map(([name]) => name)).toEqual(['ingest']);
    expect(build(ingest).resources.EventBus.Properties).toEqual({ Name: 'cancer-mlops-test-bus' });
  });

  it('refuses a topology whose queue is visible for less than six function timeouts', () => {
    // Prepare
    const t = scoring(ctx);
    const lowered = { ...t, queues: t.queues.map((q) => ({ ...q, visibilityTimeoutSeconds: 59 })) };

    // Act
    const act = () => toServerless(lowered, ctx);

    // Assess
    expect(act).toThrow(/visibility 59s < 6 x scoreNote timeout 60s/);
  });

  it('wires a trigger on the custom bus as a raw rule, so serverless does not create a second bus', () => {
    // Prepare
    const t: ServiceTopology = {
      service: 'probe',
      description: 'custom bus consumer',
      functions: [
        {
          name: 'onThing',
          handler: 'src/handlers/onThing.ts',
          description: 'reacts',
          timeoutSeconds: 10,
          memoryMb: 128,
          triggers: [{ type: 'eventbridge', bus: 'custom', pattern: { 'detail-type': ['Thing'] } }],
          permissions: [],
        },
      ],
      queues: [],
      buckets: [],
      rules: [],
    };

    // Act
    const config = toServerless(t, ctx);

    // Assess
    const resources = config.resources.Resources as Record<string, Resource>;
    expect(config.functions.onThing.events).toEqual([]);
    expect(resources.OnThingBusRule1.Properties).toMatchObject({
      EventBusName: 'cancer-mlops-test-bus',
      EventPattern: { 'detail-type': ['Thing'] },
      Targets: [{ Arn: { 'Fn::GetAtt': ['OnThingLambdaFunction', 'Arn'] } }],
    });
    expect(resources.OnThingBusRule1Permission.Properties).toMatchObject({
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['OnThingBusRule1', 'Arn'] },
    });
  });

  it('sends failed asynchronous invocations to a per-function queue the role may write to', () => {
    // Act
    const { config, resources } = build(ingest);

    // Assess
    expect(config.functions.onRawObject.destinations).toEqual({
      onFailure: { type: 'sqs', arn: { 'Fn::GetAtt': ['OnRawObjectAsyncDlq', 'Arn'] } },
    });
    expect(resources.OnRawObjectAsyncDlq.Properties.QueueName).toBe(
      'cancer-mlops-test-ingest-onRawObject-dlq',
    );
    const send = statementsOf(resources, 'OnRawObjectIamRole').find(
      (s) => s.Sid === 'AsyncFailures',
    );
    expect(sub(send?.Resource)).toMatch(/:cancer-mlops-test-ingest-onRawObject-dlq$/);
  });
});

describe('Function: permissionStatements', () => {
  // What each function's code calls on AWS (its adapters: DescribeEndpoint behind
  // endpoints.current(), DescribeModelPackage behind registry.get, DeleteObject behind
  // state.delete, ...), so a grant that goes missing fails here rather than as AccessDenied.
  it.each([
    ['inference', 'predict', 'sagemaker:InvokeEndpoint', ':endpoint/cancer-mlops-test-'],
    ['inference', 'predict', 'sagemaker:DescribeEndpoint', ':endpoint/cancer-mlops-test-'],
    [
      'inference',
      'predict',
      'sagemaker:DescribeModelPackage',
      ':model-package/cancer-mlops-test-cancer-prediction/',
    ],
    ['inference', 'describe', 'sagemaker:DescribeEndpoint', ':endpoint/cancer-mlops-test-'],
    [
      'inference',
      'describe',
      'sagemaker:DescribeModelPackage',
      ':model-package/cancer-mlops-test-cancer-prediction/',
    ],
    ['inference', 'deployModel', 'sagemaker:CreateEndpoint', ':endpoint/cancer-mlops-test-'],
    ['inference', 'deployModel', 'sagemaker:CreateEndpoint', ':endpoint-config/cancer-mlops-test-'],
    ['inference', 'deployModel', 'sagemaker:UpdateEndpoint', ':endpoint-config/cancer-mlops-test-'],
    ['inference', 'deployModel', 'cloudwatch:DescribeAlarms', ':alarm:cancer-mlops-test-'],
    ['batch', 'onBatchObject', 'sagemaker:DescribeEndpoint', ':endpoint/cancer-mlops-test-'],
    ['batch', 'onBatchObject', 's3:GetObject', ':::cancer-mlops-test-artifacts/batch/*'],
    ['batch', 'onBatchObject', 's3:ListBucket', ':::cancer-mlops-test-artifacts'],
    ['training', 'requestTraining', 's3:DeleteObject', 'artifacts/state/training-*'],
    ['training', 'registerModel', 's3:DeleteObject', 'artifacts/state/training-*'],
  ] as const)('grants %s.%s %s on %s', (service, fn, action, resource) => {
    // Act
    const { config, resources } = build(topologies[service]);

    // Assess
    const granted = statementsOf(resources, config.functions[fn].role).filter(
      (st) => st.Action.includes(action) && st.Resource !== '*',
    );
    expect(granted.map((st) => sub(st.Resource))).toContainEqual(expect.stringContaining(resource));
  });

  it('gives each stage its own model package group, so one stage’s approval never deploys another’s', () => {
    // Prepare: the rules that approve and deploy match on the group's name.
    const groupsOf = (stage: string) => {
      const c = { prefix: 'cancer-mlops', stage };
      const patterns = [training(c), inference(c)]
        .flatMap((t) => [
          ...t.functions.flatMap((f) =>
            f.triggers.flatMap((tr) => (tr.type === 'eventbridge' ? [tr.pattern] : [])),
          ),
          ...t.rules.flatMap((r) => (r.pattern ? [r.pattern] : [])),
        ])
        .filter((p) =>
          (p['detail-type'] as string[] | undefined)?.includes(
            'SageMaker Model Package State Change',
          ),
        )
        .map((p) => p.detail as { ModelPackageGroupName: string[] });
      return patterns.flatMap((p) => p.ModelPackageGroupName);
    };

    // Act
    const dev = groupsOf('dev');
    const prod = groupsOf('prod');

    // Assess
    expect(dev.length).toBeGreaterThanOrEqual(2);
    expect(new Set(dev)).toEqual(new Set(['cancer-mlops-dev-cancer-prediction']));
    expect(new Set(prod)).toEqual(new Set(['cancer-mlops-prod-cancer-prediction']));
  });

  it('lets a reader tell a missing key (404) from a forbidden one: ListBucket without a prefix condition', () => {
    // Act
    const [, list] = permissionStatements(ctx, { kind: 's3:read', bucket: 'raw', prefix: 'x/' });

    // Assess: a GetObject carries no s3:prefix, so a condition on it would leave S3 with no
    // ListBucket right to consult, and every "not there yet" would be a 403.
    expect(list.Condition).toBeUndefined();
  });

  it('limits a prefixed S3 read to the prefix', () => {
    // Act
    const [get, list] = permissionStatements(ctx, {
      kind: 's3:read',
      bucket: 'raw',
      prefix: 'incoming/',
    });

    // Assess
    expect(get).toMatchObject({
      Action: ['s3:GetObject'],
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::cancer-mlops-test-raw/incoming/*' },
    });
    expect(list).toMatchObject({
      Action: ['s3:ListBucket'],
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::cancer-mlops-test-raw' },
    });
  });

  it('passes the SageMaker execution role to SageMaker only', () => {
    // Act
    const [pass] = permissionStatements(ctx, { kind: 'iam:passrole', role: 'sagemaker-execution' });

    // Assess
    expect(pass).toMatchObject({
      Action: ['iam:PassRole'],
      Resource: {
        'Fn::Sub':
          'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cancer-mlops-test-sagemaker-execution',
      },
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    });
  });

  it('scopes SageMaker actions to our names and moves List actions, which take no resource, apart', () => {
    // Act
    const statements = permissionStatements(ctx, {
      kind: 'sagemaker',
      actions: ['sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages'],
      resource: 'model-package',
    });

    // Assess
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['sagemaker:DescribeModelPackage'],
        Resource: {
          'Fn::Sub':
            'arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/cancer-mlops-test-cancer-prediction/*',
        },
      }),
      expect.objectContaining({ Action: ['sagemaker:ListModelPackages'], Resource: '*' }),
    ]);
    const [job] = permissionStatements(ctx, {
      kind: 'sagemaker',
      actions: ['sagemaker:CreateTrainingJob'],
      resource: 'training-job',
    });
    expect(sub(job.Resource)).toMatch(/:training-job\/cancer-mlops-test-\*$/);
  });

  it('allows Bedrock InvokeModel (which Converse uses) on models and inference profiles only', () => {
    // Act
    const statements = permissionStatements(ctx, { kind: 'bedrock:invoke' });

    // Assess
    expect(statements.map((s) => s.Action)).toEqual([
      ['bedrock:InvokeModel'],
      ['bedrock:InvokeModel'],
    ]);
    expect(sub(statements[0].Resource)).toMatch(/:foundation-model\/anthropic\.claude-\*$/);
    expect(sub(statements[1].Resource)).toMatch(/:inference-profile\/\*\.anthropic\.claude-\*$/);
  });

  it('reads only secrets named for this deployment', () => {
    // Act
    const [secret] = permissionStatements(ctx, { kind: 'secrets:read', secret: 'pseudonym-key' });

    // Assess
    expect(sub(secret.Resource)).toMatch(/:secret:cancer-mlops-test-pseudonym-key-\*$/);
    expect(secret.Action).toEqual(['secretsmanager:GetSecretValue']);
  });
});

describe('Function: roleName', () => {
  it('keeps short names readable and hashes long ones under 64 characters, uniquely', () => {
    // Prepare
    const long: NameContext = { prefix: 'a-twenty-one-chars-xx', stage: 'production' };

    // Act
    const short = roleName(ctx, 'training', 'requestTraining');
    const a = roleName(long, 'inference-extended', 'deployModelEverywhere');
    const b = roleName(long, 'inference-extended', 'deployModelEverywhereElse');

    // Assess
    expect(short).toBe('cancer-mlops-test-training-requestTraining');
    expect(a.length).toBeLessThanOrEqual(64);
    expect(b.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
    expect(a.startsWith('a-twenty-one-chars-xx-production-inference')).toBe(true);
  });
});

describe('Function: nameContextFromCli', () => {
  it.each([
    [['node', 'sls', 'package', '--stage', 'prod'], 'prod'],
    [['node', 'sls', 'deploy', '-s', 'qa1'], 'qa1'],
    [['node', 'sls', 'package', '--stage=test'], 'test'],
    [['node', 'sls', 'package'], 'dev'],
  ])('reads the stage from %j', (argv, stage) => {
    // Act
    const result = nameContextFromCli(argv, {});

    // Assess
    expect(result).toEqual({ prefix: 'cancer-mlops', stage });
  });

  it('refuses a stage the runtime would refuse', () => {
    // Act
    const act = () => nameContextFromCli(['node', 'sls', 'package', '--stage', 'Prod'], {});

    // Assess
    expect(act).toThrow(/stage "Prod"/);
  });

  it('takes the prefix from MLOPS_PREFIX', () => {
    // Act
    const result = nameContextFromCli(['node', 'sls'], { MLOPS_PREFIX: 'st-marys-ml' });

    // Assess
    expect(result).toEqual({ prefix: 'st-marys-ml', stage: 'dev' });
  });
});

describe('File: serverless-compose.yml', () => {
  it('lists every service with the dependsOn of its topology', () => {
    // Prepare: the file is flat enough to read without a YAML library.
    const text = readFileSync(new URL('../../../serverless-compose.yml', import.meta.url), 'utf8');
    const services: Record<string, { path?: string; dependsOn: string[] }> = {};
    let current: string | undefined;
    for (const line of text.split('\n')) {
      const service = /^ {2}([a-z-]+):\s*$/.exec(line);
      const path = /^ {4}path:\s*(\S+)/.exec(line);
      const dep = /^ {6}-\s*([a-z-]+)/.exec(line);
      if (service) services[(current = service[1])] = { dependsOn: [] };
      else if (path && current) services[current].path = path[1];
      else if (dep && current) services[current].dependsOn.push(dep[1]);
    }

    // Assess
    expect(Object.keys(services).sort()).toEqual([...SERVICES].sort());
    for (const [name, t] of cases) {
      expect(services[name]).toEqual({
        path: `services/${name}`,
        dependsOn: t(ctx).dependsOn ?? [],
      });
    }
  });
});
