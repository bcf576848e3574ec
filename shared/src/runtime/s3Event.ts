import type { S3Event } from 'aws-lambda';

/** One object named by an S3 notification, with its key decoded back to the real key. */
export interface S3ObjectRef {
  /** Physical bucket name, as in the notification. */
  bucket: string;
  key: string;
  size: number;
  /** e.g. `ObjectCreated:Put`. */
  eventName: string;
  eTag?: string;
  sequencer?: string;
}

/** What S3 sends once when a notification configuration is saved: no Records, nothing to do. */
export interface S3TestEvent {
  Service: 'Amazon S3';
  Event: 's3:TestEvent';
  Time: string;
  Bucket: string;
  RequestId: string;
  HostId: string;
}

export class MalformedS3EventError extends Error {
  override readonly name = 'MalformedS3EventError';
}

/**
 * Encodes an object key the way S3 writes it into a notification: form-urlencoded (a space
 * is `+`, and `!'()~` are escaped as well), with `/` left as it is.
 */
export function encodeS3Key(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment)
        .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
        .replace(/%20/g, '+'),
    )
    .join('/');
}

/**
 * The real key of a notification's `s3.object.key`. A `+` is a space (a literal plus comes
 * as `%2B`), so decodeURIComponent alone would be wrong for every key with a space.
 */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

export function isS3TestEvent(event: unknown): event is S3TestEvent {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as { Event?: unknown }).Event === 's3:TestEvent' &&
    !('Records' in event)
  );
}

/**
 * The objects of an S3 notification, keys decoded. A test event yields none; anything that
 * is not an S3 notification throws, so a mis-wired trigger fails loudly.
 */
export function parseS3Records(event: unknown): S3ObjectRef[] {
  if (isS3TestEvent(event)) return [];
  const records = (event as Partial<S3Event> | null)?.Records;
  if (!Array.isArray(records))
    throw new MalformedS3EventError('not an S3 notification: Records is missing');
  return records.map((r, i) => {
    const bucket = r?.s3?.bucket?.name;
    const key = r?.s3?.object?.key;
    if (r?.eventSource !== 'aws:s3' || typeof bucket !== 'string' || typeof key !== 'string') {
      throw new MalformedS3EventError(`record ${i} is not an S3 event record`);
    }
    let decoded: string;
    try {
      decoded = decodeS3Key(key);
    } catch {
      throw new MalformedS3EventError(`record ${i} has a key that is not URL-encoded`);
    }
    const size = Number(r.s3.object.size ?? 0);
    return {
      bucket,
      key: decoded,
      size: Number.isFinite(size) ? size : 0,
      eventName: String(r.eventName ?? ''),
      ...(r.s3.object.eTag ? { eTag: r.s3.object.eTag } : {}),
      ...(r.s3.object.sequencer ? { sequencer: r.s3.object.sequencer } : {}),
    };
  });
}
