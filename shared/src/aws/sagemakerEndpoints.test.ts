import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
  type DescribeEndpointOutput,
  type EndpointStatus,
  SageMakerServiceException,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import {
  InvokeEndpointCommand,
  ModelError,
  SageMakerRuntimeClient,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DeploymentFailedError,
  ModelInvocationError,
  NoEndpointError,
  type ModelPackage,
} from '../ports/sagemaker.ts';
import { buildSageMakerEndpoints, versionOfConfig } from './sagemakerEndpoints.ts';
import { SageMakerConfigSchema } from './sagemakerTraining.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const config = SageMakerConfigSchema.parse({
  TRAINING_IMAGE_URI: '123456789012.dkr.ecr.us-east-1.amazonaws.com/cancer-mlops:abc123',
  SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/cancer-mlops-test-sagemaker-execution',
});
const ENDPOINT_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/cancer-mlops-test-endpoint';
const pkgArn = (v: number) =>
  `arn:aws:sagemaker:us-east-1:123456789012:model-package/cancer-mlops-test-cancer-prediction/${v}`;
const pkg = (version: number) => ({ arn: pkgArn(version), version }) as ModelPackage;
const notFound = () =>
  new SageMakerServiceException({
    name: 'ValidationException',
    message: 'Could not find endpoint "cancer-mlops-test-endpoint".',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
const endpoint = (
  configName: string,
  status: EndpointStatus,
  extra: Partial<DescribeEndpointOutput> = {},
): DescribeEndpointOutput => ({
  EndpointName: 'cancer-mlops-test-endpoint',
  EndpointArn: ENDPOINT_ARN,
  EndpointConfigName: configName,
  EndpointStatus: status,
  CreationTime: new Date('2026-01-01T00:00:00Z'),
  LastModifiedTime: new Date('2026-01-05T04:10:00Z'),
  ...extra,
});

describe('Adapter: buildSageMakerEndpoints', () => {
  const sm = mockClient(SageMakerClient);
  const rt = mockClient(SageMakerRuntimeClient);
  const now = () => new Date('2026-01-05T04:00:00Z');
  const endpoints = buildSageMakerEndpoints(
    new SageMakerClient({ region: 'us-east-1' }),
    new SageMakerRuntimeClient({ region: 'us-east-1' }),
    names,
    config,
    {
      now,
      sleep: async () => {},
      pollMs: 1,
    },
  );
  afterEach(() => {
    sm.reset();
    rt.reset();
  });

  describe('Method: deploy', () => {
    it('creates the model from the package and an endpoint config with data capture on', async () => {
      // Prepare
      sm.on(DescribeEndpointCommand)
        .rejectsOnce(notFound())
        .rejectsOnce(notFound())
        .resolves(endpoint('cancer-mlops-test-config-v3-20260105040000', 'InService'));
      sm.on(CreateModelCommand).resolves({});
      sm.on(CreateEndpointConfigCommand).resolves({});
      sm.on(CreateEndpointCommand).resolves({});

      // Act
      await endpoints.deploy(pkg(3));

      // Assess
      expect(sm.commandCalls(CreateModelCommand)[0].args[0].input).toEqual({
        ModelName: 'cancer-mlops-test-model-v3',
        ExecutionRoleArn: 'arn:aws:iam::123456789012:role/cancer-mlops-test-sagemaker-execution',
        PrimaryContainer: { ModelPackageName: pkgArn(3) },
        EnableNetworkIsolation: true,
      });
      expect(sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input).toEqual({
        EndpointConfigName: 'cancer-mlops-test-config-v3-20260105040000',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: 'cancer-mlops-test-model-v3',
            InitialInstanceCount: 1,
            InstanceType: 'ml.m5.large',
            InitialVariantWeight: 1,
          },
        ],
        DataCaptureConfig: {
          EnableCapture: true,
          InitialSamplingPercentage: 100,
          DestinationS3Uri: 's3://cancer-mlops-test-artifacts/capture',
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
          CaptureContentTypeHeader: {
            CsvContentTypes: ['text/csv'],
            JsonContentTypes: ['application/json'],
          },
        },
      });
    });

    it('waits for an update of the same version already under way instead of starting another', async () => {
      // Prepare: the retry of a deployment that outlasted its wait; v1 still serves meanwhile.
      const v2Config = 'cancer-mlops-test-config-v2-20260105033000';
      sm.on(DescribeEndpointCommand)
        .resolvesOnce(
          endpoint('cancer-mlops-test-config-v1-20260101000000', 'Updating', {
            PendingDeploymentSummary: { EndpointConfigName: v2Config },
          }),
        )
        .resolves(endpoint(v2Config, 'InService'));

      // Act
      const out = await endpoints.deploy(pkg(2));

      // Assess
      expect(out).toMatchObject({
        status: 'InService',
        current: { version: 2, packageArn: pkgArn(2) },
        previous: { version: 1 },
      });
      expect(sm.commandCalls(CreateEndpointConfigCommand)).toHaveLength(0);
      expect(sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    });

    it('creates the endpoint when none exists, and waits for InService', async () => {
      // Prepare
      sm.on(DescribeEndpointCommand)
        .rejectsOnce(notFound())
        .rejectsOnce(notFound())
        .resolvesOnce(endpoint('cancer-mlops-test-config-v1-20260105040000', 'Creating'))
        .resolves(endpoint('cancer-mlops-test-config-v1-20260105040000', 'InService'));
      sm.on(CreateModelCommand).resolves({});
      sm.on(CreateEndpointConfigCommand).resolves({});
      sm.on(CreateEndpointCommand).resolves({ EndpointArn: ENDPOINT_ARN });

      // Act
      const out = await endpoints.deploy(pkg(1));

      // Assess
      expect(sm.commandCalls(CreateEndpointCommand)[0].args[0].input).toEqual({
        EndpointName: 'cancer-mlops-test-endpoint',
        EndpointConfigName: 'cancer-mlops-test-config-v1-20260105040000',
      });
      expect(sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
      expect(out).toEqual({
        status: 'InService',
        current: {
          endpoint: 'cancer-mlops-test-endpoint',
          version: 1,
          packageArn: pkgArn(1),
          deployedAt: new Date('2026-01-05T04:10:00Z'),
        },
        previous: null,
      });
    });

    it('updates an existing endpoint blue/green, all at once, with alarm-driven automatic rollback', async () => {
      // Prepare
      const old = endpoint('cancer-mlops-test-config-v2-20260101000000', 'InService');
      sm.on(DescribeEndpointCommand)
        .resolvesOnce(old)
        .resolvesOnce(old)
        .resolvesOnce({ ...old, EndpointStatus: 'Updating' })
        .resolves(endpoint('cancer-mlops-test-config-v3-20260105040000', 'InService'));
      sm.on(CreateModelCommand).resolves({});
      sm.on(CreateEndpointConfigCommand).resolves({});
      sm.on(UpdateEndpointCommand).resolves({ EndpointArn: ENDPOINT_ARN });

      // Act
      const out = await endpoints.deploy(pkg(3));

      // Assess
      expect(sm.commandCalls(UpdateEndpointCommand)[0].args[0].input).toEqual({
        EndpointName: 'cancer-mlops-test-endpoint',
        EndpointConfigName: 'cancer-mlops-test-config-v3-20260105040000',
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 300 },
            TerminationWaitInSeconds: 60,
            MaximumExecutionTimeoutInSeconds: 2160,
          },
          AutoRollbackConfiguration: {
            Alarms: [{ AlarmName: 'cancer-mlops-test-endpoint-errors' }],
          },
        },
      });
      expect(sm.commandCalls(CreateEndpointCommand)).toHaveLength(0);
      expect(out.status).toBe('InService');
      expect(out.previous).toEqual({
        endpoint: 'cancer-mlops-test-endpoint',
        version: 2,
        packageArn: pkgArn(2),
        deployedAt: new Date('2026-01-05T04:10:00Z'),
      });
    });

    it('fails with the reason when SageMaker rolled the update back; the old model still serves', async () => {
      // Prepare
      const old = endpoint('cancer-mlops-test-config-v2-20260101000000', 'InService');
      sm.on(DescribeEndpointCommand)
        .resolvesOnce(old)
        .resolvesOnce(old)
        .resolves({
          ...old,
          FailureReason: 'Alarm cancer-mlops-test-endpoint-errors went off during baking',
        });
      sm.on(CreateModelCommand).resolves({});
      sm.on(CreateEndpointConfigCommand).resolves({});
      sm.on(UpdateEndpointCommand).resolves({});

      // Act
      const act = endpoints.deploy(pkg(3));

      // Assess
      await expect(act).rejects.toThrow(DeploymentFailedError);
      await act.catch((e: DeploymentFailedError) => {
        expect(e.message).toBe(
          'v3 did not take over: Alarm cancer-mlops-test-endpoint-errors went off during baking',
        );
        expect(e.previous).toMatchObject({ version: 2 });
      });
    });

    it('reuses the SageMaker model of a version deployed before (a rollback to it)', async () => {
      // Prepare
      const old = endpoint('cancer-mlops-test-config-v3-20260101000000', 'InService');
      sm.on(DescribeEndpointCommand)
        .resolvesOnce(old)
        .resolvesOnce(old)
        .resolves(endpoint('cancer-mlops-test-config-v2-20260105040000', 'InService'));
      sm.on(CreateModelCommand).rejects(
        new SageMakerServiceException({
          name: 'ValidationException',
          message:
            'Cannot create already existing model "arn:aws:sagemaker:us-east-1:123456789012:model/cancer-mlops-test-model-v2".',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      sm.on(CreateEndpointConfigCommand).resolves({});
      sm.on(UpdateEndpointCommand).resolves({});

      // Act
      const out = await endpoints.deploy(pkg(2));

      // Assess
      expect(out.status).toBe('InService');
      expect(
        sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input.ProductionVariants![0]
          .ModelName,
      ).toBe('cancer-mlops-test-model-v2');
    });

    it('answers InProgress when the deployment outlasts the wait budget', async () => {
      // Prepare
      let t = Date.parse('2026-01-05T04:00:00Z');
      const slow = buildSageMakerEndpoints(
        new SageMakerClient({ region: 'us-east-1' }),
        new SageMakerRuntimeClient({ region: 'us-east-1' }),
        names,
        config,
        {
          now: () => new Date(t),
          sleep: async (ms) => {
            t += ms;
          },
          pollMs: 60_000,
        },
      );
      const old = endpoint('cancer-mlops-test-config-v2-20260101000000', 'InService');
      sm.on(DescribeEndpointCommand)
        .resolvesOnce(old)
        .resolvesOnce(old)
        .resolves({ ...old, EndpointStatus: 'Updating' });
      sm.on(CreateModelCommand).resolves({});
      sm.on(CreateEndpointConfigCommand).resolves({});
      sm.on(UpdateEndpointCommand).resolves({});

      // Act
      const out = await slow.deploy(pkg(3));

      // Assess
      expect(out.status).toBe('InProgress');
    });
  });

  describe('Method: current', () => {
    it('reads the serving version from the endpoint config name', async () => {
      // Prepare
      sm.on(DescribeEndpointCommand, { EndpointName: 'cancer-mlops-test-endpoint' }).resolves(
        endpoint('cancer-mlops-test-config-v12-20260105040000', 'InService'),
      );

      // Act / Assess
      await expect(endpoints.current()).resolves.toEqual({
        endpoint: 'cancer-mlops-test-endpoint',
        version: 12,
        packageArn: pkgArn(12),
        deployedAt: new Date('2026-01-05T04:10:00Z'),
      });
    });

    it('answers null before the first deployment', async () => {
      sm.on(DescribeEndpointCommand).rejects(notFound());
      await expect(endpoints.current()).resolves.toBeNull();
    });
  });

  describe('Method: invoke', () => {
    it('calls InvokeEndpoint with the body and content types', async () => {
      // Prepare
      rt.on(InvokeEndpointCommand).resolves({
        Body: Buffer.from('{"probability":0.93}') as never,
        ContentType: 'application/json',
      });

      // Act
      const out = await endpoints.invoke('17.99,10.38', 'text/csv', 'application/json');

      // Assess
      expect(rt.commandCalls(InvokeEndpointCommand)[0].args[0].input).toEqual({
        EndpointName: 'cancer-mlops-test-endpoint',
        Body: Buffer.from('17.99,10.38'),
        ContentType: 'text/csv',
        Accept: 'application/json',
      });
      expect(out).toEqual({
        body: Buffer.from('{"probability":0.93}'),
        contentType: 'application/json',
      });
    });

    it('passes the InferenceId for data capture and asks the container to explain through CustomAttributes', async () => {
      // Prepare
      rt.on(InvokeEndpointCommand).resolves({
        Body: Buffer.from('{"predictions":[]}') as never,
        ContentType: 'application/json',
      });

      // Act
      await endpoints.invoke('{"instances":[[1]]}', 'application/json', 'application/json', {
        inferenceId: 'inf-123',
        explain: true,
      });
      await endpoints.invoke('{"instances":[[1]]}', 'application/json', 'application/json', {});

      // Assess
      const [explained, plain] = rt.commandCalls(InvokeEndpointCommand).map((c) => c.args[0].input);
      expect(explained).toMatchObject({
        InferenceId: 'inf-123',
        CustomAttributes: 'explain=values',
      });
      expect(plain).not.toHaveProperty('InferenceId');
      expect(plain).not.toHaveProperty('CustomAttributes');
    });

    it("passes the container's own error status on", async () => {
      // Prepare
      rt.on(InvokeEndpointCommand).rejects(
        new ModelError({
          message: 'Received client error (400)',
          $metadata: { httpStatusCode: 424 },
          OriginalStatusCode: 400,
          OriginalMessage: 'row 1: expected 31 values',
        }),
      );

      // Act
      const act = endpoints.invoke('1,2', 'text/csv', 'application/json');

      // Assess
      await expect(act).rejects.toThrow(ModelInvocationError);
      await act.catch((e: ModelInvocationError) =>
        expect([e.statusCode, e.message]).toEqual([400, 'row 1: expected 31 values']),
      );
    });

    // What SageMaker Runtime answers for a missing endpoint: ValidationError, not ...Exception.
    it.each([
      [
        'says so when nothing is deployed',
        'Endpoint cancer-mlops-test-endpoint of account 123456789012 not found.',
        NoEndpointError,
      ],
      ['passes other validation errors on as they are', 'Request body too large', ValidationError],
    ] as const)('%s', async (_, message, expected) => {
      rt.on(InvokeEndpointCommand).rejects(
        new ValidationError({ message, $metadata: { httpStatusCode: 400 } }),
      );
      await expect(endpoints.invoke('1', 'text/csv', 'application/json')).rejects.toThrow(expected);
    });
  });
});

describe('Function: versionOfConfig', () => {
  it('reads the version our config names carry', () => {
    expect(versionOfConfig('cancer-mlops-prod-config-v7-20260105040000')).toBe(7);
    expect(versionOfConfig('someone-elses-config')).toBeUndefined();
  });
});
