import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { buildS3StateStore } from './stateStore.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const BUCKET = 'cancer-mlops-test-artifacts';

const sdkBody = (text: string) =>
  Object.assign(Readable.from([Buffer.from(text)]), {
    transformToByteArray: async () => new Uint8Array(Buffer.from(text)),
    transformToString: async () => text,
  }) as never;

const serviceError = (name: string, status: number) =>
  new S3ServiceException({
    name,
    message: name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
  });

describe('Adapter: buildS3StateStore', () => {
  const s3 = mockClient(S3Client);
  const state = buildS3StateStore(new S3Client({ region: 'us-east-1' }), names);
  afterEach(() => s3.reset());

  describe('Method: get', () => {
    it('reads state/<namespace>/<key>.json from the artifacts bucket', async () => {
      s3.on(GetObjectCommand).resolves({ Body: sdkBody('{"score":7}') });
      await expect(state.get('score-cache', 'abc')).resolves.toEqual({ score: 7 });
      expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'state/score-cache/abc.json',
      });
    });

    it('answers undefined when absent', async () => {
      s3.on(GetObjectCommand).rejects(serviceError('NoSuchKey', 404));
      await expect(state.get('score-cache', 'abc')).resolves.toBeUndefined();
    });

    it('encodes keys so they stay one path segment', async () => {
      s3.on(GetObjectCommand).resolves({ Body: sdkBody('1') });
      await state.get('ns', 'a/../b');
      expect(s3.commandCalls(GetObjectCommand)[0].args[0].input.Key).toBe(
        'state/ns/a%2F..%2Fb.json',
      );
    });
  });

  describe('Method: put', () => {
    it('writes JSON', async () => {
      s3.on(PutObjectCommand).resolves({});
      await state.put('ingest-files', 'k', { event_time: '2024-01-01T00:00:00.000Z' });
      expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'state/ingest-files/k.json',
        Body: '{"event_time":"2024-01-01T00:00:00.000Z"}',
        ContentType: 'application/json',
      });
    });
  });

  describe('Method: putIfAbsent', () => {
    it('writes with If-None-Match: * and answers true', async () => {
      s3.on(PutObjectCommand).resolves({});
      await expect(state.putIfAbsent('ns', 'k', 1)).resolves.toBe(true);
      expect(s3.commandCalls(PutObjectCommand)[0].args[0].input.IfNoneMatch).toBe('*');
    });

    it('answers false on PreconditionFailed', async () => {
      s3.on(PutObjectCommand).rejects(serviceError('PreconditionFailed', 412));
      await expect(state.putIfAbsent('ns', 'k', 1)).resolves.toBe(false);
    });

    it('answers false on a concurrent conditional write (409)', async () => {
      s3.on(PutObjectCommand).rejects(serviceError('ConditionalRequestConflict', 409));
      await expect(state.putIfAbsent('ns', 'k', 1)).resolves.toBe(false);
    });

    it('passes other errors on', async () => {
      s3.on(PutObjectCommand).rejects(serviceError('SlowDown', 503));
      await expect(state.putIfAbsent('ns', 'k', 1)).rejects.toThrow('SlowDown');
    });
  });

  describe('Method: delete and list', () => {
    it('deletes the document', async () => {
      s3.on(DeleteObjectCommand).resolves({});
      await state.delete('ns', 'k');
      expect(s3.commandCalls(DeleteObjectCommand)[0].args[0].input).toEqual({
        Bucket: BUCKET,
        Key: 'state/ns/k.json',
      });
    });

    it('lists documents under a key prefix with their values', async () => {
      s3.on(ListObjectsV2Command).resolves({
        IsTruncated: false,
        Contents: [{ Key: 'state/ns/a%2Fb.json' }, { Key: 'state/ns/ab.json' }],
      });
      s3.on(GetObjectCommand, { Key: 'state/ns/a%2Fb.json' }).resolves({ Body: sdkBody('1') });
      s3.on(GetObjectCommand, { Key: 'state/ns/ab.json' }).resolves({ Body: sdkBody('2') });
      await expect(state.list('ns', 'a')).resolves.toEqual([
        { key: 'a/b', value: 1 },
        { key: 'ab', value: 2 },
      ]);
      expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input).toEqual({
        Bucket: BUCKET,
        Prefix: 'state/ns/a',
      });
    });
  });
});
