import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { StateStore } from '../ports/stateStore.ts';
import { bucketName, type NameContext } from '../topology/names.ts';
import { isAwsError } from './awsErrors.ts';

export interface S3StateStoreOptions {
  /** Logical bucket; `artifacts` by default. */
  bucket?: string;
  /** Key prefix of every document; `state/` by default. */
  prefix?: string;
}

/**
 * The state store as JSON documents `state/<namespace>/<key>.json` in the artifacts bucket.
 * putIfAbsent is S3's conditional write (`If-None-Match: *`): exactly one of two racing
 * writers gets true, which is what idempotency keys and cooldowns need. A 409
 * (ConditionalRequestConflict: another conditional write to the key is in flight) is the
 * same answer, the other writer wins.
 */
export function buildS3StateStore(
  client: S3Client,
  names: NameContext,
  options: S3StateStoreOptions = {},
): StateStore {
  const Bucket = bucketName(names, options.bucket ?? 'artifacts');
  const root = options.prefix ?? 'state/';
  const dir = (namespace: string) => `${root}${segment(namespace)}/`;
  const keyOf = (namespace: string, key: string) => `${dir(namespace)}${segment(key)}.json`;

  const get = async <T>(namespace: string, key: string): Promise<T | undefined> => {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket, Key: keyOf(namespace, key) }));
      const text = out.Body ? await out.Body.transformToString('utf-8') : '';
      return JSON.parse(text) as T;
    } catch (e) {
      if (isAwsError(e, ['NoSuchKey', 'NotFound'], 404)) return undefined;
      throw e;
    }
  };

  return {
    get,

    async put(namespace, key, value) {
      await client.send(
        new PutObjectCommand({
          Bucket,
          Key: keyOf(namespace, key),
          Body: JSON.stringify(value),
          ContentType: 'application/json',
        }),
      );
    },

    async putIfAbsent(namespace, key, value) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket,
            Key: keyOf(namespace, key),
            Body: JSON.stringify(value),
            ContentType: 'application/json',
            IfNoneMatch: '*',
          }),
        );
        return true;
      } catch (e) {
        if (isAwsError(e, ['PreconditionFailed', 'ConditionalRequestConflict'], 412)) return false;
        if (isAwsError(e, [], 409)) return false;
        throw e;
      }
    },

    async delete(namespace, key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(namespace, key) }));
    },

    async list<T>(namespace: string, prefix = '') {
      const base = dir(namespace);
      const out: { key: string; value: T }[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket,
            Prefix: `${base}${segment(prefix)}`,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const o of page.Contents ?? []) {
          if (!o.Key?.endsWith('.json')) continue;
          const key = decodeURIComponent(o.Key.slice(base.length, -'.json'.length));
          const value = await get<T>(namespace, key);
          // Deleted between the listing and the read: it is simply no longer there.
          if (value !== undefined) out.push({ key, value });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out;
    },
  };
}

/**
 * Keys are encoded so any string is one path segment (no `/` nesting, no `..`), yet plain
 * keys such as hashes and ids stay readable in the console.
 */
const segment = (s: string) => encodeURIComponent(s);
