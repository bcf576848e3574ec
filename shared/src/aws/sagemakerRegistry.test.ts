import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  SageMakerClient,
  SageMakerServiceException,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import type { NewModelPackage } from '../ports/sagemaker.ts';
import { buildSageMakerRegistry, clientToken, encodeMetadata } from './sagemakerRegistry.ts';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/cancer-mlops:abc123';
const ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/cancer-prediction/3';
const notFound = (message: string) =>
  new SageMakerServiceException({
    name: 'ValidationException',
    message,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });

const input: NewModelPackage = {
  group: 'cancer-prediction',
  description:
    'Random forest trained by cancer-mlops-test-train-20260105030000-ab12 on ds-20260105T030000Z (drift)',
  modelDataUrl:
    's3://cancer-mlops-test-artifacts/training-jobs/cancer-mlops-test-train-20260105030000-ab12/output/model.tar.gz',
  metrics: { roc_auc: 0.9931, sensitivity: 0.9762, threshold: 0.3125, validation_rows: 114 },
  reports: {
    modelQuality: 's3://cancer-mlops-test-artifacts/models/job/model_quality.json',
    dataStatistics: 's3://cancer-mlops-test-artifacts/models/job/statistics.json',
    dataConstraints: 's3://cancer-mlops-test-artifacts/models/job/constraints.json',
  },
  lineage: {
    datasetId: 'ds-20260105T030000Z',
    datasetUri: 's3://cancer-mlops-test-artifacts/datasets/ds-20260105T030000Z/',
    codeVersion: 'abc123',
    trainingJob: 'cancer-mlops-test-train-20260105030000-ab12',
    hyperparameters: { n_estimators: '200', class_weight: '{"benign":1,"malignant":2}' },
    featureGroupVersion: 1,
  },
  customerMetadata: { training_reason: 'drift' },
};

describe('Adapter: buildSageMakerRegistry', () => {
  const sm = mockClient(SageMakerClient);
  const registry = buildSageMakerRegistry(new SageMakerClient({ region: 'us-east-1' }), {
    image: IMAGE,
    group: 'cancer-prediction',
    realtimeInstanceTypes: ['ml.m5.large'],
  });
  afterEach(() => sm.reset());

  describe('Method: createPackage', () => {
    it('registers a pending package with its image, model data, content types, metrics reports, baselines and lineage', async () => {
      // Prepare
      sm.on(DescribeModelPackageGroupCommand).resolves({
        ModelPackageGroupName: 'cancer-prediction',
      });
      sm.on(CreateModelPackageCommand).resolves({ ModelPackageArn: ARN });

      // Act
      const out = await registry.createPackage(input);

      // Assess
      expect(out).toEqual({ arn: ARN, version: 3 });
      expect(sm.commandCalls(CreateModelPackageCommand)[0].args[0].input).toEqual({
        ModelPackageGroupName: 'cancer-prediction',
        ModelPackageDescription: input.description,
        ModelApprovalStatus: 'PendingManualApproval',
        InferenceSpecification: {
          Containers: [{ Image: IMAGE, ModelDataUrl: input.modelDataUrl }],
          SupportedContentTypes: ['text/csv', 'application/json'],
          SupportedResponseMIMETypes: ['application/json', 'text/csv'],
          SupportedRealtimeInferenceInstanceTypes: ['ml.m5.large'],
        },
        ModelMetrics: {
          ModelQuality: {
            Statistics: { ContentType: 'application/json', S3Uri: input.reports.modelQuality },
          },
          ModelDataQuality: {
            Statistics: { ContentType: 'application/json', S3Uri: input.reports.dataStatistics },
            Constraints: { ContentType: 'application/json', S3Uri: input.reports.dataConstraints },
          },
        },
        DriftCheckBaselines: {
          ModelDataQuality: {
            Statistics: { ContentType: 'application/json', S3Uri: input.reports.dataStatistics },
            Constraints: { ContentType: 'application/json', S3Uri: input.reports.dataConstraints },
          },
        },
        MetadataProperties: {
          CommitId: 'abc123',
          GeneratedBy: 'cancer-mlops-test-train-20260105030000-ab12',
        },
        CustomerMetadataProperties: {
          'metric:roc_auc': '0.9931',
          'metric:sensitivity': '0.9762',
          'metric:threshold': '0.3125',
          'metric:validation_rows': '114',
          'lineage:dataset_id': 'ds-20260105T030000Z',
          'lineage:dataset_uri': 's3://cancer-mlops-test-artifacts/datasets/ds-20260105T030000Z/',
          'lineage:code_version': 'abc123',
          'lineage:training_job': 'cancer-mlops-test-train-20260105030000-ab12',
          'lineage:feature_group_version': '1',
          'hp:n_estimators': '200',
          'hp:class_weight': `b64:${Buffer.from('{"benign":1,"malignant":2}').toString('base64')}`,
          'meta:training_reason': 'drift',
        },
        Domain: 'MACHINE_LEARNING',
        Task: 'CLASSIFICATION',
        ClientToken: clientToken('cancer-mlops-test-train-20260105030000-ab12'),
      });
      expect(sm.commandCalls(CreateModelPackageGroupCommand)).toHaveLength(0);
    });

    it('creates the model package group the first time', async () => {
      // Prepare
      sm.on(DescribeModelPackageGroupCommand).rejects(
        notFound('ModelPackageGroup cancer-prediction does not exist.'),
      );
      sm.on(CreateModelPackageGroupCommand).resolves({});
      sm.on(CreateModelPackageCommand).resolves({ ModelPackageArn: ARN });
      const fresh = buildSageMakerRegistry(new SageMakerClient({ region: 'us-east-1' }), {
        image: IMAGE,
        group: 'cancer-prediction',
      });

      // Act
      await fresh.createPackage(input);
      await fresh.createPackage(input);

      // Assess
      expect(sm.commandCalls(DescribeModelPackageGroupCommand)).toHaveLength(1);
      expect(sm.commandCalls(CreateModelPackageGroupCommand)[0].args[0].input).toEqual({
        ModelPackageGroupName: 'cancer-prediction',
        ModelPackageGroupDescription:
          'Cancer prediction models: every training, its metrics, lineage and approval',
      });
    });

    it('keeps the client token within SageMaker limits', () => {
      expect(clientToken('x'.repeat(63))).toMatch(/^[a-zA-Z0-9-]{1,36}$/);
    });
  });

  describe('Method: updateApproval', () => {
    it('sets the status with the reason as the approval description', async () => {
      // Prepare
      sm.on(UpdateModelPackageCommand).resolves({ ModelPackageArn: ARN });

      // Act
      await registry.updateApproval(
        ARN,
        'Rejected',
        'policy rejected v3: sensitivity 0.9100 < 0.95 at threshold 0.5000',
      );

      // Assess
      expect(sm.commandCalls(UpdateModelPackageCommand)[0].args[0].input).toEqual({
        ModelPackageArn: ARN,
        ModelApprovalStatus: 'Rejected',
        ApprovalDescription: 'policy rejected v3: sensitivity 0.9100 < 0.95 at threshold 0.5000',
      });
    });
  });

  describe('Method: get', () => {
    it('reads metrics, lineage and reports back from DescribeModelPackage', async () => {
      // Prepare
      sm.on(DescribeModelPackageCommand, { ModelPackageName: ARN }).resolves({
        ModelPackageName: 'cancer-prediction',
        ModelPackageGroupName: 'cancer-prediction',
        ModelPackageVersion: 3,
        ModelPackageArn: ARN,
        ModelPackageDescription: input.description,
        CreationTime: new Date('2026-01-05T03:10:00Z'),
        LastModifiedTime: new Date('2026-01-05T03:11:00Z'),
        ModelPackageStatus: 'Completed',
        ModelPackageStatusDetails: { ValidationStatuses: [] },
        ModelApprovalStatus: 'Approved',
        ApprovalDescription: 'policy approved v3',
        InferenceSpecification: {
          Containers: [{ Image: IMAGE, ModelDataUrl: input.modelDataUrl }],
          SupportedContentTypes: [],
          SupportedResponseMIMETypes: [],
        },
        ModelMetrics: {
          ModelQuality: {
            Statistics: { ContentType: 'application/json', S3Uri: input.reports.modelQuality },
          },
          ModelDataQuality: {
            Statistics: { ContentType: 'application/json', S3Uri: input.reports.dataStatistics },
            Constraints: { ContentType: 'application/json', S3Uri: input.reports.dataConstraints },
          },
        },
        CustomerMetadataProperties: encodeMetadata(input),
      });

      // Act
      const pkg = await registry.get(ARN);

      // Assess
      expect(pkg).toEqual({
        arn: ARN,
        group: 'cancer-prediction',
        version: 3,
        status: 'Approved',
        approvalDescription: 'policy approved v3',
        description: input.description,
        modelDataUrl: input.modelDataUrl,
        metrics: input.metrics,
        reports: input.reports,
        lineage: input.lineage,
        customerMetadata: input.customerMetadata,
        createdAt: new Date('2026-01-05T03:10:00Z'),
        updatedAt: new Date('2026-01-05T03:11:00Z'),
      });
    });

    it('finds a version number in the group, and answers undefined for an unknown package', async () => {
      // Prepare
      sm.on(ListModelPackagesCommand).resolves({
        ModelPackageSummaryList: [
          {
            ModelPackageArn: ARN,
            ModelPackageName: 'cancer-prediction',
            CreationTime: new Date(),
            ModelPackageStatus: 'Completed',
          },
        ],
      });
      sm.on(DescribeModelPackageCommand).rejects(notFound(`ModelPackage ${ARN} does not exist.`));

      // Act
      const byVersion = await registry.get(3);
      const missing = await registry.get(7);

      // Assess
      expect(sm.commandCalls(ListModelPackagesCommand)[0].args[0].input).toEqual({
        ModelPackageGroupName: 'cancer-prediction',
        ModelPackageType: 'Versioned',
        SortBy: 'CreationTime',
        SortOrder: 'Descending',
        MaxResults: 100,
      });
      expect(sm.commandCalls(DescribeModelPackageCommand)[0].args[0].input).toEqual({
        ModelPackageName: ARN,
      });
      expect(byVersion).toBeUndefined();
      expect(missing).toBeUndefined();
    });
  });

  describe('Method: list', () => {
    it('pages through the group, newest first', async () => {
      // Prepare
      const arn = (v: number) =>
        `arn:aws:sagemaker:us-east-1:123456789012:model-package/cancer-prediction/${v}`;
      sm.on(ListModelPackagesCommand)
        .resolvesOnce({
          ModelPackageSummaryList: [
            {
              ModelPackageArn: arn(2),
              ModelPackageName: 'c',
              CreationTime: new Date(),
              ModelPackageStatus: 'Completed',
            },
          ],
          NextToken: 't',
        })
        .resolvesOnce({
          ModelPackageSummaryList: [
            {
              ModelPackageArn: arn(1),
              ModelPackageName: 'c',
              CreationTime: new Date(),
              ModelPackageStatus: 'Completed',
            },
          ],
        });
      sm.on(DescribeModelPackageCommand).callsFake((i: { ModelPackageName: string }) => ({
        ModelPackageArn: i.ModelPackageName,
        ModelPackageName: 'cancer-prediction',
        ModelPackageStatus: 'Completed',
        ModelPackageStatusDetails: { ValidationStatuses: [] },
        CreationTime: new Date(),
        ModelApprovalStatus: 'PendingManualApproval',
      }));

      // Act
      const all = await registry.list('cancer-prediction');

      // Assess
      expect(all.map((p) => p.version)).toEqual([2, 1]);
      expect(sm.commandCalls(ListModelPackagesCommand)[1].args[0].input.NextToken).toBe('t');
    });
  });
});
