import { createHash } from 'node:crypto';
import type { SQSEvent, SQSMessageAttribute, SQSRecord } from 'aws-lambda';
import type { ReceivedMessage } from './localQueues.ts';

export const md5Hex = (data: string | Uint8Array) => createHash('md5').update(data).digest('hex');

/** The ARN SQS gives a queue; the Lambda event source mapping puts it in every record. */
export const sqsQueueArn = (region: string, accountId: string, name: string) =>
  `arn:aws:sqs:${region}:${accountId}:${name}`;

/**
 * MD5OfMessageAttributes as SQS computes it: attributes sorted by name, each encoded as
 * length-prefixed (4-byte big-endian) name, length-prefixed data type, one transport byte
 * (1 for String/Number, 2 for Binary) and the length-prefixed value bytes.
 */
export function md5OfMessageAttributes(
  attributes: Record<string, SQSMessageAttribute>,
): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  const lengthPrefixed = (bytes: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    parts.push(len, bytes);
  };
  for (const name of names) {
    const a = attributes[name];
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(a.dataType, 'utf8'));
    if (a.binaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      lengthPrefixed(Buffer.from(a.binaryValue, 'base64'));
    } else {
      parts.push(Buffer.from([1]));
      lengthPrefixed(Buffer.from(a.stringValue ?? '', 'utf8'));
    }
  }
  return md5Hex(Buffer.concat(parts));
}

/**
 * The event the Lambda SQS event source mapping hands a function: one record per received
 * message, with the attribute and field names (camelCase) of the real event, not of the
 * ReceiveMessage API.
 */
export function toSqsEvent(
  messages: readonly ReceivedMessage[],
  queueArn: string,
  region: string,
): SQSEvent {
  return {
    Records: messages.map((m): SQSRecord => ({
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: { ...m.attributes },
      messageAttributes: Object.fromEntries(
        Object.entries(m.messageAttributes).map(([k, v]) => [
          k,
          { stringListValues: [], binaryListValues: [], ...v },
        ]),
      ),
      md5OfBody: m.md5OfBody,
      ...(m.md5OfMessageAttributes ? { md5OfMessageAttributes: m.md5OfMessageAttributes } : {}),
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: region,
    })),
  };
}
