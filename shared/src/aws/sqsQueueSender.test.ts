import {
  GetQueueUrlCommand,
  SendMessageBatchCommand,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { batches, buildSqsQueueSender, QueueSendError, SQS_BATCH_BYTES } from './sqsQueueSender.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/cancer-mlops-test-notes-to-score';

describe('Adapter: buildSqsQueueSender', () => {
  const sqs = mockClient(SQSClient);

  beforeEach(() => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: URL });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  });
  afterEach(() => sqs.reset());

  describe('Method: send', () => {
    it('resolves the physical queue URL once and sends JSON bodies in batches of 10', async () => {
      // Prepare
      const sender = buildSqsQueueSender(new SQSClient({ region: 'us-east-1' }), names);
      const messages = Array.from({ length: 23 }, (_, i) => ({ n: i }));
      // Act
      await sender.send('notes-to-score', messages);
      await sender.send('notes-to-score', [{ n: 99 }]);
      // Assess
      expect(sqs.commandCalls(GetQueueUrlCommand)).toHaveLength(1);
      expect(sqs.commandCalls(GetQueueUrlCommand)[0].args[0].input).toEqual({
        QueueName: 'cancer-mlops-test-notes-to-score',
      });
      const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
      expect(calls.map((c) => c.Entries?.length)).toEqual([10, 10, 3, 1]);
      expect(calls[0]).toEqual({
        QueueUrl: URL,
        Entries: Array.from({ length: 10 }, (_, i) => ({
          Id: String(i),
          MessageBody: JSON.stringify({ n: i }),
        })),
      });
    });

    it('sends nothing for no messages', async () => {
      const sender = buildSqsQueueSender(new SQSClient({ region: 'us-east-1' }), names);
      await sender.send('notes-to-score', []);
      expect(sqs.calls()).toHaveLength(0);
    });

    it('treats Failed entries as an error naming the count and codes, never the bodies', async () => {
      sqs.on(SendMessageBatchCommand).resolves({
        Successful: [],
        Failed: [
          { Id: '0', Code: 'InternalError', SenderFault: false },
          { Id: '1', Code: 'InternalError', SenderFault: false },
        ],
      });
      const sender = buildSqsQueueSender(new SQSClient({ region: 'us-east-1' }), names);
      const err = await sender
        .send('notes-to-score', [{ note: 'secret text' }, { note: 'more' }])
        .catch((e: Error) => e);
      expect(err).toBeInstanceOf(QueueSendError);
      expect((err as Error).message).toBe(
        '2 of 2 message(s) not accepted by cancer-mlops-test-notes-to-score (InternalError)',
      );
      expect((err as Error).message).not.toContain('secret');
    });

    it('retries the URL lookup after a failed one instead of caching the failure', async () => {
      sqs
        .on(GetQueueUrlCommand)
        .rejectsOnce(
          new SQSServiceException({
            name: 'ThrottlingException',
            message: 'slow down',
            $fault: 'client',
            $metadata: {},
          }),
        )
        .resolves({ QueueUrl: URL });
      const sender = buildSqsQueueSender(new SQSClient({ region: 'us-east-1' }), names);
      await expect(sender.send('notes-to-score', [{}])).rejects.toThrow('slow down');
      await sender.send('notes-to-score', [{}]);
      expect(sqs.commandCalls(GetQueueUrlCommand)).toHaveLength(2);
    });
  });

  describe('Function: batches', () => {
    it('also splits by the 256 KiB batch limit', () => {
      const big = 'x'.repeat(100 * 1024);
      expect(batches([big, big, big, 'a']).map((b) => b.length)).toEqual([2, 2]);
      expect(
        batches([big, big, big]).every(
          (b) => b.reduce((n, s) => n + s.length, 0) <= SQS_BATCH_BYTES,
        ),
      ).toBe(true);
    });
  });
});
