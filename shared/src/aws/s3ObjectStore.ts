import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  ObjectExistsError,
  ObjectNotFoundError,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from '../ports/objectStore.ts';
import { bucketName, type NameContext } from '../topology/names.ts';
import { isAwsError } from './awsErrors.ts';

const NOT_FOUND = ['NoSuchKey', 'NotFound', 'NoSuchBucket'] as const;
const PRECONDITION = ['PreconditionFailed'] as const;

export interface S3ObjectStoreOptions {
  /** Part size for streamed uploads (lib-storage); 8 MiB keeps memory flat for big files. */
  partSizeBytes?: number;
}

/**
 * The object store on S3. Buckets are logical (`raw`, `artifacts`) and become
 * `<prefix>-<stage>-<logical>`; string and byte bodies go in one PutObject, streams through
 * lib-storage's multipart Upload so a quarantine file of any size never sits in memory.
 */
export function buildS3ObjectStore(
  client: S3Client,
  names: NameContext,
  options: S3ObjectStoreOptions = {},
): ObjectStore {
  const physical = (bucket: string) => bucketName(names, bucket);
  const partSize = options.partSizeBytes ?? 8 * 1024 * 1024;

  return {
    async get(bucket, key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: physical(bucket), Key: key }));
        if (!out.Body) return Buffer.alloc(0);
        return Buffer.from(await out.Body.transformToByteArray());
      } catch (e) {
        if (isAwsError(e, NOT_FOUND, 404)) return undefined;
        throw e;
      }
    },

    async getStream(bucket, key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: physical(bucket), Key: key }));
        if (!out.Body) return Readable.from([]);
        // In Node the SDK's body is an IncomingMessage, already a Readable.
        return out.Body instanceof Readable
          ? out.Body
          : Readable.from(out.Body as AsyncIterable<Uint8Array>);
      } catch (e) {
        if (isAwsError(e, NOT_FOUND, 404)) throw new ObjectNotFoundError(bucket, key);
        throw e;
      }
    },

    async put(bucket, key, body, opts: PutOptions = {}) {
      const input: PutObjectCommandInput = {
        Bucket: physical(bucket),
        Key: key,
        Body: body,
        ...(opts.contentType ? { ContentType: opts.contentType } : {}),
        ...(opts.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      };
      try {
        if (body instanceof Readable) {
          await new Upload({
            client,
            params: input,
            partSize,
            queueSize: 2,
            leavePartsOnError: false,
          }).done();
        } else {
          await client.send(new PutObjectCommand(input));
        }
      } catch (e) {
        if (opts.ifNoneMatch && isAwsError(e, PRECONDITION, 412))
          throw new ObjectExistsError(bucket, key);
        throw e;
      }
    },

    async head(bucket, key) {
      try {
        const out = await client.send(
          new HeadObjectCommand({ Bucket: physical(bucket), Key: key }),
        );
        const info: ObjectInfo = {
          key,
          size: out.ContentLength ?? 0,
          lastModified: out.LastModified ?? new Date(0),
        };
        if (out.ETag) info.etag = stripQuotes(out.ETag);
        return info;
      } catch (e) {
        if (isAwsError(e, NOT_FOUND, 404)) return undefined;
        throw e;
      }
    },

    async *list(bucket, prefix) {
      let token: string | undefined;
      do {
        const out = await client.send(
          new ListObjectsV2Command({
            Bucket: physical(bucket),
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const o of out.Contents ?? []) {
          if (!o.Key) continue;
          const info: ObjectInfo = {
            key: o.Key,
            size: o.Size ?? 0,
            lastModified: o.LastModified ?? new Date(0),
          };
          if (o.ETag) info.etag = stripQuotes(o.ETag);
          yield info;
        }
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    },

    async delete(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: physical(bucket), Key: key }));
    },
  };
}

/** S3 returns ETags in double quotes; S3 event notifications do not. */
const stripQuotes = (etag: string) => etag.replace(/^"|"$/g, '');
