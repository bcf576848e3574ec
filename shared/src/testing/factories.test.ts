import { createHash } from 'node:crypto';
import {
  apiGatewayV2Request,
  awsFixture,
  eventBridgeEventFactory,
  lambdaContext,
  modelPackageStateChange,
  s3EventFactory,
  s3NotificationKey,
  s3TestEvent,
  scheduledEvent,
  sqsEventFactory,
  sqsRecordFactory,
  trainingJobStateChange,
  transformJobStateChange,
  type AwsFixtureName,
} from './factories.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
/** How a consumer must read a key from an S3 notification. */
const decodeS3Key = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

describe('Module: testing/factories', () => {
  describe('Function: awsFixture', () => {
    const names: AwsFixtureName[] = [
      's3-object-created.json',
      's3-test-event.json',
      'sqs-event.json',
      'eventbridge-envelope.json',
      'scheduled-event.json',
      'sagemaker-training-job-state-change.json',
      'sagemaker-training-job-failed.json',
      'sagemaker-model-package-state-change.json',
      'sagemaker-transform-job-state-change.json',
      'apigw-v2-post.json',
      'apigw-v2-get.json',
    ];

    it.each(names)('loads %s', (name) => {
      // Act
      const fixture = awsFixture<Record<string, unknown>>(name);

      // Assess
      expect(Object.keys(fixture).length).toBeGreaterThan(0);
    });

    it('returns a fresh copy each time, so a test cannot leak into the next', () => {
      // Prepare
      const first = awsFixture<{ Records: Array<{ s3: { object: { key: string } } }> }>(
        's3-object-created.json',
      );

      // Act
      first.Records[0].s3.object.key = 'changed';
      const second = awsFixture<typeof first>('s3-object-created.json');

      // Assess
      expect(second.Records[0].s3.object.key).toBe('HappyFace.jpg');
    });

    it('keeps the SageMaker samples as AWS documents them', () => {
      // Act
      const completed = awsFixture<{ source: string; detail: object }>(
        'sagemaker-training-job-state-change.json',
      );
      const failed = awsFixture<{ detail: object }>('sagemaker-training-job-failed.json');

      // Assess
      expect(completed.source).toBe('aws.sagemaker');
      expect(completed.detail).not.toHaveProperty('FailureReason');
      expect(completed.detail).toHaveProperty('ModelArtifacts.S3ModelArtifacts');
      expect(failed.detail).toHaveProperty('FailureReason');
      expect(failed.detail).not.toHaveProperty('ModelArtifacts');
    });
  });

  describe('Function: s3EventFactory', () => {
    it('builds an ObjectCreated:Put notification with one record', () => {
      // Act
      const event = s3EventFactory({ bucket: 'cancer-mlops-dev-raw', key: 'raw/incoming/a.csv' });

      // Assess
      expect(event.Records).toHaveLength(1);
      const [record] = event.Records;
      expect(record).toMatchObject({
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: 'cancer-mlops-dev-raw', arn: 'arn:aws:s3:::cancer-mlops-dev-raw' },
          object: { key: 'raw/incoming/a.csv', size: 1024 },
        },
      });
      expect(record.s3.object.eTag).toMatch(/^[0-9a-f]{32}$/);
      expect(record.s3.object.sequencer).toEqual(expect.any(String));
      expect(record.responseElements['x-amz-request-id']).toEqual(expect.any(String));
    });

    it('URL-encodes the key the way S3 does', () => {
      // Act
      const event = s3EventFactory({ bucket: 'b', key: 'Jan 2026/batch#1.csv', size: 42 });

      // Assess
      expect(event.Records[0].s3.object.key).toBe('Jan+2026/batch%231.csv');
      expect(event.Records[0].s3.object.size).toBe(42);
    });

    it.each([
      'raw/incoming/a+b (1).csv',
      "raw/incoming/it's ~100% done!.jsonl",
      'raw/incoming/ünïcødé/日本語 ノート.csv',
      'raw/incoming/a=b&c?d.csv',
    ])('encodes %j so that form-decoding gives it back', (key) => {
      // Act
      const encoded = s3NotificationKey(key);

      // Assess
      expect(encoded).not.toMatch(/[ ()'!~]/);
      expect(encoded.split('/')).toHaveLength(key.split('/').length);
      expect(decodeS3Key(encoded)).toBe(key);
    });
  });

  describe('Function: s3TestEvent', () => {
    it('builds the s3:TestEvent S3 sends when a notification is configured', () => {
      // Act
      const event = s3TestEvent({ bucket: 'cancer-mlops-dev-raw' });

      // Assess
      expect(event).toMatchObject({
        Service: 'Amazon S3',
        Event: 's3:TestEvent',
        Bucket: 'cancer-mlops-dev-raw',
      });
      expect(event).not.toHaveProperty('Records');
    });
  });

  describe('Function: sqsRecordFactory', () => {
    it('sends an object body as JSON with the attributes Lambda delivers', () => {
      // Act
      const record = sqsRecordFactory({ recordId: 'r-1' });

      // Assess
      expect(JSON.parse(record.body)).toEqual({ recordId: 'r-1' });
      expect(record.messageId).toMatch(UUID);
      expect(record.receiptHandle).toMatch(/^AQEB[A-Za-z0-9+/=]{100,}$/);
      expect(record.attributes).toEqual({
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      });
      expect(record.messageAttributes).toEqual({});
      expect(record.md5OfBody).toBe(md5(record.body));
      expect(record.eventSource).toBe('aws:sqs');
      expect(record.eventSourceARN).toMatch(/^arn:aws:sqs:[a-z0-9-]+:\d{12}:[\w-]+$/);
      expect(record.awsRegion).toBe('us-east-2');
    });

    it('sends a string body as is, with the documented MD5', () => {
      // Act
      const record = sqsRecordFactory('test');

      // Assess
      expect(record.body).toBe('test');
      expect(record.md5OfBody).toBe('098f6bcd4621d373cade4e832627b4f6');
    });

    it('applies overrides and merges attributes', () => {
      // Act
      const record = sqsRecordFactory('{not json', {
        messageId: 'm-1',
        eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:cancer-mlops-dev-notes-to-score',
        attributes: { ApproximateReceiveCount: '3' },
      });

      // Assess
      expect(record.messageId).toBe('m-1');
      expect(record.eventSourceARN).toBe(
        'arn:aws:sqs:eu-west-1:123456789012:cancer-mlops-dev-notes-to-score',
      );
      expect(record.attributes.ApproximateReceiveCount).toBe('3');
      expect(record.attributes.SentTimestamp).toBe('1545082649183');
    });
  });

  describe('Function: sqsEventFactory', () => {
    it('builds one record per body, in order, each with its own id and receipt handle', () => {
      // Act
      const event = sqsEventFactory([{ n: 1 }, { n: 2 }]);

      // Assess
      expect(event.Records.map((r) => JSON.parse(r.body))).toEqual([{ n: 1 }, { n: 2 }]);
      expect(new Set(event.Records.map((r) => r.messageId)).size).toBe(2);
      expect(new Set(event.Records.map((r) => r.receiptHandle)).size).toBe(2);
      expect(event.Records.every((r) => r.eventSource === 'aws:sqs')).toBe(true);
    });
  });

  describe('Function: eventBridgeEventFactory', () => {
    it('wraps a detail in the envelope EventBridge delivers', () => {
      // Act
      const event = eventBridgeEventFactory({
        source: 'cancer-mlops.monitor',
        detailType: 'DriftDetected',
        detail: { run_id: 'run-1' },
        time: '2026-01-15T02:00:00Z',
      });

      // Assess
      expect(event).toEqual({
        version: '0',
        id: expect.stringMatching(UUID),
        'detail-type': 'DriftDetected',
        source: 'cancer-mlops.monitor',
        account: expect.stringMatching(/^\d{12}$/),
        time: '2026-01-15T02:00:00Z',
        region: expect.any(String),
        resources: [],
        detail: { run_id: 'run-1' },
      });
    });
  });

  describe('Function: scheduledEvent', () => {
    it('builds the Scheduled Event an EventBridge schedule rule sends', () => {
      // Act
      const event = scheduledEvent({ time: '2026-01-15T02:00:00Z', rule: 'drift-nightly' });

      // Assess
      expect(event).toMatchObject({
        version: '0',
        source: 'aws.events',
        'detail-type': 'Scheduled Event',
        detail: {},
        time: '2026-01-15T02:00:00Z',
        resources: ['arn:aws:events:us-east-2:123456789012:rule/drift-nightly'],
      });
    });
  });

  describe('Function: trainingJobStateChange', () => {
    it('builds a Completed event with model artifacts and no failure reason', () => {
      // Act
      const event = trainingJobStateChange({
        jobName: 'Cancer-RF-20260115',
        status: 'Completed',
        hyperParameters: { n_trees: '200' },
      });

      // Assess
      const arn = 'arn:aws:sagemaker:us-east-1:123456789012:training-job/cancer-rf-20260115';
      expect(event).toMatchObject({
        version: '0',
        source: 'aws.sagemaker',
        'detail-type': 'SageMaker Training Job State Change',
        resources: [arn],
        detail: {
          TrainingJobName: 'Cancer-RF-20260115',
          TrainingJobArn: arn,
          TrainingJobStatus: 'Completed',
          SecondaryStatus: 'Completed',
          HyperParameters: { n_trees: '200' },
          ModelArtifacts: {
            S3ModelArtifacts:
              's3://amzn-s3-demo-bucket/kmeans/output/Cancer-RF-20260115/output/model.tar.gz',
          },
        },
      });
      expect(event.detail).not.toHaveProperty('FailureReason');
      expect(event.detail.AlgorithmSpecification.TrainingInputMode).toBe('File');
      expect(event.detail.InputDataConfig[0].DataSource.S3DataSource.S3Uri).toMatch(/^s3:\/\//);
      expect(event.detail.OutputDataConfig.S3OutputPath).toMatch(/^s3:\/\//);
      expect(event.detail.ResourceConfig.InstanceType).toMatch(/^ml\./);
    });

    it('builds a Failed event with a failure reason and no model artifacts', () => {
      // Act
      const event = trainingJobStateChange({
        jobName: 'rf-1',
        status: 'Failed',
        failureReason: 'AlgorithmError: no labelled rows',
      });

      // Assess
      expect(event.detail).toMatchObject({
        TrainingJobStatus: 'Failed',
        SecondaryStatus: 'Failed',
        FailureReason: 'AlgorithmError: no labelled rows',
      });
      expect(event.detail).not.toHaveProperty('ModelArtifacts');
    });

    it('defaults the failure reason to the one SageMaker gives when the container exits non-zero', () => {
      // Act
      const event = trainingJobStateChange({ jobName: 'rf-1', status: 'Failed' });

      // Assess
      expect(event.detail.FailureReason).toBe('AlgorithmError: See job logs for more information');
    });

    it('builds a Stopped event from the given locations', () => {
      // Act
      const event = trainingJobStateChange({
        jobName: 'rf-2',
        status: 'Stopped',
        trainingDataUri: 's3://data/datasets/snap-1/',
        outputPath: 's3://models/training/',
      });

      // Assess
      expect(event.detail.TrainingJobStatus).toBe('Stopped');
      expect(event.detail).not.toHaveProperty('FailureReason');
      expect(event.detail.InputDataConfig[0].DataSource.S3DataSource.S3Uri).toBe(
        's3://data/datasets/snap-1/',
      );
      expect(event.detail.ModelArtifacts?.S3ModelArtifacts).toBe(
        's3://models/training/rf-2/output/model.tar.gz',
      );
    });
  });

  describe('Function: modelPackageStateChange', () => {
    it('builds a state change for one version of a model package group', () => {
      // Act
      const event = modelPackageStateChange({
        group: 'cancer-mlops-dev-models',
        version: 3,
        status: 'PendingManualApproval',
      });

      // Assess
      const arn =
        'arn:aws:sagemaker:us-east-2:123456789012:model-package/cancer-mlops-dev-models/3';
      expect(event).toMatchObject({
        source: 'aws.sagemaker',
        'detail-type': 'SageMaker Model Package State Change',
        resources: [arn],
        detail: {
          ModelPackageGroupName: 'cancer-mlops-dev-models',
          ModelPackageName: 'cancer-mlops-dev-models',
          ModelPackageVersion: 3,
          ModelPackageArn: arn,
          ModelApprovalStatus: 'PendingManualApproval',
          ModelPackageStatus: 'Completed',
        },
      });
      expect(event.detail.InferenceSpecification.Containers[0].ModelDataUrl).toMatch(/^s3:\/\//);
    });

    it('takes an explicit ARN, model data and approval description', () => {
      // Act
      const event = modelPackageStateChange({
        group: 'g',
        version: 1,
        arn: 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/g/1',
        status: 'Rejected',
        modelDataUrl: 's3://models/g/1/model.tar.gz',
        approvalDescription: 'recall 0.91 below 0.95',
      });

      // Assess
      expect(event.resources).toEqual([
        'arn:aws:sagemaker:eu-west-1:111122223333:model-package/g/1',
      ]);
      expect(event.detail).toMatchObject({
        ModelPackageArn: 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/g/1',
        ModelApprovalStatus: 'Rejected',
        ApprovalDescription: 'recall 0.91 below 0.95',
      });
      expect(event.detail.InferenceSpecification.Containers[0].ModelDataUrl).toBe(
        's3://models/g/1/model.tar.gz',
      );
    });
  });

  describe('Function: transformJobStateChange', () => {
    it('builds a Completed event with the output location and no failure reason', () => {
      // Act
      const event = transformJobStateChange({
        jobName: 'Batch-20260115',
        status: 'Completed',
        outputPath: 's3://batch/batch-out/20260115/',
      });

      // Assess
      const arn = 'arn:aws:sagemaker:us-east-1:123456789012:transform-job/batch-20260115';
      expect(event).toMatchObject({
        source: 'aws.sagemaker',
        'detail-type': 'SageMaker Transform Job State Change',
        resources: [arn],
        detail: {
          TransformJobName: 'Batch-20260115',
          TransformJobArn: arn,
          TransformJobStatus: 'Completed',
          TransformOutput: { S3OutputPath: 's3://batch/batch-out/20260115/' },
        },
      });
      expect(event.detail).not.toHaveProperty('FailureReason');
    });

    it('builds a Failed event with its failure reason', () => {
      // Act
      const event = transformJobStateChange({
        jobName: 'b-1',
        status: 'Failed',
        failureReason: 'ClientError: bad CSV',
      });

      // Assess
      expect(event.detail).toMatchObject({
        TransformJobStatus: 'Failed',
        FailureReason: 'ClientError: bad CSV',
      });
    });
  });

  describe('Function: apiGatewayV2Request', () => {
    it('builds a payload format 2.0 POST with a JSON body', () => {
      // Act
      const event = apiGatewayV2Request({
        method: 'POST',
        path: '/predict',
        body: { radius_mean: 17.99 },
        headers: { 'X-Request-Id': 'abc' },
      });

      // Assess
      expect(event).toMatchObject({
        version: '2.0',
        routeKey: 'POST /predict',
        rawPath: '/predict',
        rawQueryString: '',
        isBase64Encoded: false,
        requestContext: {
          routeKey: 'POST /predict',
          stage: '$default',
          http: { method: 'POST', path: '/predict', protocol: 'HTTP/1.1' },
        },
      });
      expect(JSON.parse(event.body ?? '')).toEqual({ radius_mean: 17.99 });
      expect(event.headers).toEqual({
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(event.body ?? '')),
        'x-request-id': 'abc',
      });
      expect(event).not.toHaveProperty('queryStringParameters');
      expect(event.requestContext.timeEpoch).toEqual(expect.any(Number));
    });

    it('builds a GET with no body and repeated query parameters joined by commas', () => {
      // Act
      const event = apiGatewayV2Request({
        method: 'get',
        path: '/models',
        query: { status: ['Approved', 'Rejected'], limit: '5' },
      });

      // Assess
      expect(event.routeKey).toBe('GET /models');
      expect(event.requestContext.http.method).toBe('GET');
      expect(event).not.toHaveProperty('body');
      expect(event.rawQueryString).toBe('status=Approved&status=Rejected&limit=5');
      expect(event.queryStringParameters).toEqual({ status: 'Approved,Rejected', limit: '5' });
    });
  });

  describe('Function: lambdaContext', () => {
    it('counts the remaining time down from the timeout', async () => {
      // Prepare
      const context = lambdaContext({
        functionName: 'cancer-mlops-dev-ingest-onRawObject',
        timeoutMs: 5_000,
      });

      // Act
      const before = context.getRemainingTimeInMillis();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const after = context.getRemainingTimeInMillis();

      // Assess
      expect(context.functionName).toBe('cancer-mlops-dev-ingest-onRawObject');
      expect(context.invokedFunctionArn).toMatch(/:function:cancer-mlops-dev-ingest-onRawObject$/);
      expect(context.awsRequestId).toMatch(UUID);
      expect(before).toBeLessThanOrEqual(5_000);
      expect(after).toBeLessThan(before);
      expect(after).toBeGreaterThan(0);
    });
  });
});
