import fs from 'node:fs';
import type { S3Event } from 'aws-lambda';
import {
  decodeS3Key,
  encodeS3Key,
  isS3TestEvent,
  MalformedS3EventError,
  parseS3Records,
} from './s3Event.ts';

const fixture = <T>(name: string): T =>
  JSON.parse(
    fs.readFileSync(new URL(`../../test/fixtures/aws/${name}`, import.meta.url), 'utf8'),
  ) as T;

const testEvent = {
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: '2014-10-13T15:57:02.089Z',
  Bucket: 'bucketname',
  RequestId: '5582815E1AEA5ADF',
  HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
};

describe('Function: decodeS3Key', () => {
  it('turns + into spaces and decodes escapes', () => {
    // Act & Assess
    expect(decodeS3Key('raw/incoming/Jan+2026/batch%231.csv')).toBe(
      'raw/incoming/Jan 2026/batch#1.csv',
    );
    expect(decodeS3Key('a%2Bb+c')).toBe('a+b c');
    expect(decodeS3Key('dt%3D2026-01-01/part%3A1.csv')).toBe('dt=2026-01-01/part:1.csv');
  });
});

describe('Function: encodeS3Key', () => {
  it('encodes like S3 notifications: form encoding with / kept', () => {
    // Act & Assess
    expect(encodeS3Key('raw/incoming/Jan 2026/batch#1.csv')).toBe(
      'raw/incoming/Jan+2026/batch%231.csv',
    );
    expect(encodeS3Key('dt=2026-01-01/a+b (1).csv')).toBe('dt%3D2026-01-01/a%2Bb+%281%29.csv');
    expect(encodeS3Key('notes/été.csv')).toBe('notes/%C3%A9t%C3%A9.csv');
  });

  it('round-trips through decodeS3Key', () => {
    // Prepare
    const keys = [
      "a b/c+d/e#f?g&h=i/j%k/l~m!n'o(p)q*r/ü€😀.csv",
      'plain/key.jsonl',
      ' lead/trail ',
    ];

    // Act & Assess
    for (const key of keys) expect(decodeS3Key(encodeS3Key(key))).toBe(key);
  });
});

describe('Function: isS3TestEvent', () => {
  it('recognises the test event and nothing else', () => {
    // Act & Assess
    expect(isS3TestEvent(testEvent)).toBe(true);
    expect(isS3TestEvent(fixture<S3Event>('s3-object-created.json'))).toBe(false);
    expect(isS3TestEvent(null)).toBe(false);
  });
});

describe('Function: parseS3Records', () => {
  it('reads bucket, decoded key, size and event name from a real notification', () => {
    // Prepare
    const event = fixture<S3Event>('s3-object-created.json');
    event.Records[0].s3.bucket.name = 'cancer-mlops-dev-raw';
    event.Records[0].s3.object.key = 'incoming/Jan+2026/batch%231.csv';

    // Act
    const refs = parseS3Records(event);

    // Assess
    expect(refs).toEqual([
      {
        bucket: 'cancer-mlops-dev-raw',
        key: 'incoming/Jan 2026/batch#1.csv',
        size: 1024,
        eventName: 'ObjectCreated:Put',
        eTag: 'd41d8cd98f00b204e9800998ecf8427e',
        sequencer: '0055AED6DCD90281E5',
      },
    ]);
  });

  it('returns nothing for the test event', () => {
    // Act & Assess
    expect(parseS3Records(testEvent)).toEqual([]);
  });

  it('throws on anything that is not an S3 notification', () => {
    // Act & Assess
    expect(() => parseS3Records({})).toThrow(MalformedS3EventError);
    expect(() => parseS3Records({ Records: [{ eventSource: 'aws:sqs' }] })).toThrow(/record 0/);
    const event = fixture<S3Event>('s3-object-created.json');
    event.Records[0].s3.object.key = 'bad%E0%A4%A';
    expect(() => parseS3Records(event)).toThrow(/not URL-encoded/);
  });
});
