import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ObjectExistsError, ObjectNotFoundError } from '../ports/objectStore.ts';
import { buildS3ObjectStore } from './s3ObjectStore.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };

/** A GetObject body as the SDK returns it in Node: a Readable with the transform helpers. */
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

const text = async (stream: Readable) => {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString('utf8');
};

describe('Adapter: buildS3ObjectStore', () => {
  const s3 = mockClient(S3Client);
  const store = buildS3ObjectStore(new S3Client({ region: 'us-east-1' }), names);

  afterEach(() => s3.reset());

  describe('Method: get', () => {
    it('reads the object from the physical bucket', async () => {
      // Prepare
      s3.on(GetObjectCommand).resolves({ Body: sdkBody('hello') });
      // Act
      const out = await store.get('raw', 'incoming/a.csv');
      // Assess
      expect(out?.toString()).toBe('hello');
      expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({
        Bucket: 'cancer-mlops-test-raw',
        Key: 'incoming/a.csv',
      });
    });

    it('answers undefined for a missing key', async () => {
      s3.on(GetObjectCommand).rejects(serviceError('NoSuchKey', 404));
      await expect(store.get('raw', 'nope')).resolves.toBeUndefined();
    });

    it('passes other errors on', async () => {
      s3.on(GetObjectCommand).rejects(serviceError('AccessDenied', 403));
      await expect(store.get('raw', 'x')).rejects.toThrow('AccessDenied');
    });
  });

  describe('Method: getStream', () => {
    it('streams the body', async () => {
      s3.on(GetObjectCommand).resolves({ Body: sdkBody('a,b\n1,2\n') });
      const stream = await store.getStream('raw', 'incoming/a.csv');
      expect(await text(stream)).toBe('a,b\n1,2\n');
    });

    it('rejects with ObjectNotFoundError for a missing key', async () => {
      s3.on(GetObjectCommand).rejects(serviceError('NoSuchKey', 404));
      await expect(store.getStream('raw', 'gone')).rejects.toBeInstanceOf(ObjectNotFoundError);
    });
  });

  describe('Method: put', () => {
    it('puts a string body with its content type', async () => {
      s3.on(PutObjectCommand).resolves({});
      await store.put('raw', 'quarantine/a.csv.summary.json', '{}', {
        contentType: 'application/json',
      });
      expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).toEqual({
        Bucket: 'cancer-mlops-test-raw',
        Key: 'quarantine/a.csv.summary.json',
        Body: '{}',
        ContentType: 'application/json',
      });
    });

    it('creates only when absent with If-None-Match, and says so when it exists', async () => {
      s3.on(PutObjectCommand).rejects(serviceError('PreconditionFailed', 412));
      await expect(store.put('artifacts', 'k', 'v', { ifNoneMatch: true })).rejects.toBeInstanceOf(
        ObjectExistsError,
      );
      expect(s3.commandCalls(PutObjectCommand)[0].args[0].input.IfNoneMatch).toBe('*');
    });

    it('uploads a stream through lib-storage (one PutObject for a small body)', async () => {
      s3.on(PutObjectCommand).resolves({ ETag: '"e"' });
      await store.put(
        'raw',
        'quarantine/a.errors.jsonl',
        Readable.from(['{"row":1}\n', '{"row":2}\n']),
        {
          contentType: 'application/x-ndjson',
        },
      );
      const input = s3.commandCalls(PutObjectCommand)[0].args[0].input;
      expect(input.Bucket).toBe('cancer-mlops-test-raw');
      expect(input.Key).toBe('quarantine/a.errors.jsonl');
      expect(input.ContentType).toBe('application/x-ndjson');
      expect(Buffer.from(input.Body as Uint8Array).toString()).toBe('{"row":1}\n{"row":2}\n');
    });
  });

  describe('Method: head', () => {
    it('returns size, time and the unquoted ETag', async () => {
      const lastModified = new Date('2024-03-01T10:00:00Z');
      s3.on(HeadObjectCommand).resolves({
        ContentLength: 42,
        LastModified: lastModified,
        ETag: '"abc"',
      });
      await expect(store.head('raw', 'incoming/a.csv')).resolves.toEqual({
        key: 'incoming/a.csv',
        size: 42,
        lastModified,
        etag: 'abc',
      });
    });

    it('answers undefined on 404 (HEAD errors have no code, only the status)', async () => {
      s3.on(HeadObjectCommand).rejects(serviceError('NotFound', 404));
      await expect(store.head('raw', 'x')).resolves.toBeUndefined();
    });
  });

  describe('Method: list', () => {
    it('follows continuation tokens', async () => {
      s3.on(ListObjectsV2Command, { ContinuationToken: undefined })
        .resolves({
          IsTruncated: true,
          NextContinuationToken: 't1',
          Contents: [{ Key: 'p/a', Size: 1, LastModified: new Date(0) }],
        })
        .on(ListObjectsV2Command, { ContinuationToken: 't1' })
        .resolves({
          IsTruncated: false,
          Contents: [{ Key: 'p/b', Size: 2, LastModified: new Date(0) }],
        });
      const keys: string[] = [];
      for await (const o of store.list('raw', 'p/')) keys.push(o.key);
      expect(keys).toEqual(['p/a', 'p/b']);
      expect(s3.commandCalls(ListObjectsV2Command)[1].args[0].input).toEqual({
        Bucket: 'cancer-mlops-test-raw',
        Prefix: 'p/',
        ContinuationToken: 't1',
      });
    });
  });

  describe('Method: delete', () => {
    it('deletes by physical bucket and key', async () => {
      s3.on(DeleteObjectCommand).resolves({});
      await store.delete('raw', 'incoming/a.csv');
      expect(s3.commandCalls(DeleteObjectCommand)[0].args[0].input).toEqual({
        Bucket: 'cancer-mlops-test-raw',
        Key: 'incoming/a.csv',
      });
    });
  });
});
