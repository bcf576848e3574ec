import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRuntimeDb, type RuntimeDb } from '../db.ts';
import { LocalQueues, QueueNotFoundError } from './localQueues.ts';
import { md5OfMessageAttributes, toSqsEvent } from './sqsEvent.ts';

const Q = 'cancer-mlops-dev-notes-to-score';
const DLQ = 'cancer-mlops-dev-notes-to-score-dlq';

describe('Class: LocalQueues', () => {
  let dir: string;
  let db: RuntimeDb;
  let clock: number;
  let queues: LocalQueues;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-queue-'));
    db = openRuntimeDb(dir);
    clock = 1_700_000_000_000;
    queues = new LocalQueues(db, { now: () => clock });
    queues.createQueue({ name: Q, visibilityTimeoutSeconds: 30, maxReceiveCount: 3, dlqName: DLQ });
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('Method: send / receive', () => {
    it('delivers a sent message once with the SQS attributes and md5 of the body', () => {
      // Prepare
      const [id] = queues.send(Q, ['test']);

      // Act
      const got = queues.receive(Q, 10);
      const again = queues.receive(Q, 10);

      // Assess
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        messageId: id,
        body: 'test',
        md5OfBody: '098f6bcd4621d373cade4e832627b4f6',
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(clock),
          ApproximateFirstReceiveTimestamp: String(clock),
        },
        messageAttributes: {},
      });
      expect(got[0].attributes.SenderId).toBeTruthy();
      expect(again).toEqual([]);
    });

    it('returns at most max messages, oldest first', () => {
      // Prepare
      queues.send(Q, ['a', 'b', 'c']);

      // Act
      const first = queues.receive(Q, 2);
      const second = queues.receive(Q, 2);

      // Assess
      expect(first.map((m) => m.body)).toEqual(['a', 'b']);
      expect(second.map((m) => m.body)).toEqual(['c']);
    });

    it('keeps message attributes and computes md5OfMessageAttributes as SQS does', () => {
      // Prepare
      queues.send(Q, ['x'], {
        messageAttributes: { attribName1: { dataType: 'String', stringValue: 'attribValue 1' } },
      });

      // Act
      const [m] = queues.receive(Q);

      // Assess
      expect(m.messageAttributes).toEqual({
        attribName1: { dataType: 'String', stringValue: 'attribValue 1' },
      });
      // Reference value from SQS's documented algorithm (aws-md5-of-message-attributes).
      expect(m.md5OfMessageAttributes).toBe('19e27d4e946b072f3f58da80d94fd778');
    });

    it('holds a delayed message back until its delay has passed', () => {
      // Prepare
      queues.send(Q, ['later'], { delaySeconds: 5 });

      // Act
      const early = queues.receive(Q);
      const depth = queues.depth(Q);
      clock += 5_000;
      const onTime = queues.receive(Q);

      // Assess
      expect(early).toEqual([]);
      expect(depth).toEqual({ visible: 0, inFlight: 0, delayed: 1, dlq: 0 });
      expect(onTime.map((m) => m.body)).toEqual(['later']);
    });

    it('rejects an unknown queue, an empty body and an oversized body', () => {
      // Act & Assess
      expect(() => queues.send('nope', ['x'])).toThrow(QueueNotFoundError);
      expect(() => queues.send(Q, [''])).toThrow(/non-empty/);
      expect(() => queues.send(Q, ['x'.repeat(1024 * 1024 + 1)])).toThrow(/exceeds/);
      expect(queues.depth(Q).visible).toBe(0);
    });

    it('tells onMessage listeners which queue has new messages', () => {
      // Prepare
      const seen: string[] = [];
      const off = queues.onMessage((q) => seen.push(q));

      // Act
      queues.send(Q, ['a']);
      off();
      queues.send(Q, ['b']);

      // Assess
      expect(seen).toEqual([Q]);
    });
  });

  describe('Method: visibility timeout', () => {
    it('redelivers an undeleted message after the timeout with a new handle and a higher count', () => {
      // Prepare
      queues.send(Q, ['m']);
      const [first] = queues.receive(Q);

      // Act
      clock += 29_999;
      const tooEarly = queues.receive(Q);
      clock += 1;
      const [second] = queues.receive(Q);

      // Assess
      expect(tooEarly).toEqual([]);
      expect(second.messageId).toBe(first.messageId);
      expect(second.receiptHandle).not.toBe(first.receiptHandle);
      expect(second.attributes.ApproximateReceiveCount).toBe('2');
      expect(second.attributes.ApproximateFirstReceiveTimestamp).toBe(
        first.attributes.ApproximateFirstReceiveTimestamp,
      );
    });

    it('honours a per-receive visibility timeout and changeVisibility', () => {
      // Prepare
      queues.send(Q, ['m']);
      const [m] = queues.receive(Q, 1, { visibilityTimeoutSeconds: 1 });

      // Act
      const changed = queues.changeVisibility(Q, m.receiptHandle, 0);
      const [again] = queues.receive(Q);

      // Assess
      expect(changed).toBe(true);
      expect(again.messageId).toBe(m.messageId);
    });

    it('never hands out the same message twice in one receive, even with a zero timeout', () => {
      // Prepare
      queues.send(Q, ['only']);

      // Act
      const got = queues.receive(Q, 10, { visibilityTimeoutSeconds: 0 });

      // Assess
      expect(got).toHaveLength(1);
    });
  });

  describe('Method: delete', () => {
    it('deletes with the latest handle and accepts a stale one without deleting', () => {
      // Prepare
      queues.send(Q, ['m']);
      const [first] = queues.receive(Q);
      clock += 30_000;
      const [second] = queues.receive(Q);

      // Act
      const stale = queues.delete(Q, first.receiptHandle);
      const depthAfterStale = queues.depth(Q);
      const latest = queues.delete(Q, second.receiptHandle);
      const twice = queues.delete(Q, second.receiptHandle);

      // Assess
      expect(stale).toBe(false);
      expect(depthAfterStale.inFlight).toBe(1);
      expect(latest).toBe(true);
      expect(twice).toBe(false);
      expect(queues.depth(Q)).toEqual({ visible: 0, inFlight: 0, delayed: 0, dlq: 0 });
    });
  });

  describe('Method: deleteBatch', () => {
    it('deletes many messages at once and skips stale handles', () => {
      // Prepare
      queues.send(Q, ['a', 'b', 'c']);
      const got = queues.receive(Q, 3);

      // Act
      const deleted = queues.deleteBatch(Q, [got[0].receiptHandle, got[1].receiptHandle, 'stale']);

      // Assess
      expect(deleted).toBe(2);
      expect(queues.depth(Q).inFlight).toBe(1);
    });
  });

  describe('Method: dead-lettering', () => {
    it('moves a message to the DLQ on the receive that would exceed maxReceiveCount, with the last error', () => {
      // Prepare
      const [id] = queues.send(Q, ['poison']);
      for (let i = 1; i <= 3; i++) {
        const [m] = queues.receive(Q);
        expect(m.attributes.ApproximateReceiveCount).toBe(String(i));
        queues.recordFailure(Q, m.receiptHandle, `attempt ${i}: invalid score`);
        clock += 30_000;
      }

      // Act
      const fourth = queues.receive(Q);

      // Assess
      expect(fourth).toEqual([]);
      expect(queues.depth(Q)).toEqual({ visible: 0, inFlight: 0, delayed: 0, dlq: 1 });
      const [dead] = queues.dlqList(Q);
      expect(dead).toMatchObject({
        messageId: id,
        body: 'poison',
        error: 'attempt 3: invalid score',
        receiveCount: 3,
        sourceQueue: Q,
      });
    });

    it('says why when a message died without a recorded failure', () => {
      // Prepare
      queues.send(Q, ['slow']);
      for (let i = 0; i < 3; i++) {
        queues.receive(Q);
        clock += 30_000;
      }

      // Act
      queues.receive(Q);

      // Assess
      expect(queues.dlqList(Q)[0].error).toMatch(/not deleted after 3 receives/);
    });

    it('still delivers the healthy messages behind a dead one in the same receive', () => {
      // Prepare
      queues.send(Q, ['poison']);
      for (let i = 0; i < 3; i++) {
        queues.receive(Q);
        clock += 30_000;
      }
      queues.send(Q, ['ok1', 'ok2']);

      // Act
      const got = queues.receive(Q, 2);

      // Assess
      expect(got.map((m) => m.body)).toEqual(['ok1', 'ok2']);
      expect(queues.depth(Q).dlq).toBe(1);
    });

    it('redrives dead letters back with their receive count reset', () => {
      // Prepare
      const [id] = queues.send(Q, ['poison']);
      for (let i = 0; i < 4; i++) {
        queues.receive(Q);
        clock += 30_000;
      }

      // Act
      const moved = queues.redrive(Q);
      const [m] = queues.receive(Q);

      // Assess
      expect(moved).toBe(1);
      expect(queues.dlqList(Q)).toEqual([]);
      expect(m.messageId).toBe(id);
      expect(m.attributes.ApproximateReceiveCount).toBe('1');
    });

    it('marks a message received from the DLQ with DeadLetterQueueSourceArn', () => {
      // Prepare
      queues.send(Q, ['poison']);
      for (let i = 0; i < 4; i++) {
        queues.receive(Q);
        clock += 30_000;
      }

      // Act
      const [m] = queues.receive(DLQ);

      // Assess
      expect(m.attributes.DeadLetterQueueSourceArn).toBe(`arn:aws:sqs:us-east-1:000000000000:${Q}`);
    });
  });

  describe('Method: createQueue', () => {
    it('is idempotent, updates settings and lists every queue with its DLQ', () => {
      // Act
      queues.createQueue({
        name: Q,
        visibilityTimeoutSeconds: 60,
        maxReceiveCount: 5,
        dlqName: DLQ,
      });

      // Assess
      expect(queues.listQueues()).toEqual([
        { name: Q, visibilityTimeoutSeconds: 60, maxReceiveCount: 5, dlqName: DLQ },
        { name: DLQ, visibilityTimeoutSeconds: 30, maxReceiveCount: 0 },
      ]);
    });

    it('keeps messages across a reopen of the database', () => {
      // Prepare
      queues.send(Q, ['durable']);
      db.close();

      // Act
      db = openRuntimeDb(dir);
      const reopened = new LocalQueues(db, { now: () => clock });

      // Assess
      expect(reopened.receive(Q).map((m) => m.body)).toEqual(['durable']);
    });
  });

  describe('Method: durability across a killed consumer', () => {
    it('redelivers a message whose consumer was SIGKILLed between receive and delete', async () => {
      // Prepare: a real clock, since the consumer is another process.
      const realQueues = new LocalQueues(db);
      const [id] = realQueues.send(Q, ['survives']);
      const script = fileURLToPath(new URL('./fixtures/receiveThenHang.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', script, dir, Q, '1'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const receivedIds = await new Promise<string[]>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]) as string[]);
        });
        child.on('exit', (code) => reject(new Error(`consumer exited early with ${code}`)));
      });

      // Act
      const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      child.kill('SIGKILL');
      const signal = await exited;
      let again: ReturnType<LocalQueues['receive']> = [];
      for (let i = 0; i < 200 && again.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        again = realQueues.receive(Q);
      }

      // Assess
      expect(receivedIds).toEqual([id]);
      expect(signal).toBe('SIGKILL');
      expect(again).toHaveLength(1);
      expect(again[0].messageId).toBe(id);
      expect(again[0].attributes.ApproximateReceiveCount).toBe('2');
    });
  });
});

describe('Function: toSqsEvent', () => {
  it('builds the record shape the Lambda SQS event source delivers', () => {
    // Prepare
    const msg = {
      messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
      receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a',
      body: 'test',
      md5OfBody: '098f6bcd4621d373cade4e832627b4f6',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1545082649183',
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: '1545082649185',
      },
      messageAttributes: { 'req-id': { dataType: 'String', stringValue: 'abc' } },
    };

    // Act
    const event = toSqsEvent([msg], 'arn:aws:sqs:us-east-2:123456789012:my-queue', 'us-east-2');

    // Assess
    expect(event).toEqual({
      Records: [
        {
          ...msg,
          messageAttributes: {
            'req-id': {
              dataType: 'String',
              stringValue: 'abc',
              stringListValues: [],
              binaryListValues: [],
            },
          },
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-2:123456789012:my-queue',
          awsRegion: 'us-east-2',
        },
      ],
    });
  });
});

describe('Function: md5OfMessageAttributes', () => {
  it('matches the reference digests for binary and custom number types', () => {
    // Act & Assess (reference values published with aws-md5-of-message-attributes)
    expect(
      md5OfMessageAttributes({
        binaryAttribute: {
          dataType: 'Binary',
          binaryValue: Buffer.from('Hello binary world!').toString('base64'),
        },
      }),
    ).toBe('31a92b15d92f8db860eda32aceb656c3');
    expect(
      md5OfMessageAttributes({
        customNumberTypeAttrib: {
          dataType: 'Number.float',
          stringValue: '4563442423554324324264524243.32543234',
        },
      }),
    ).toBe('9fe1b90bbd9965bdf77bac517c7d2495');
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});
