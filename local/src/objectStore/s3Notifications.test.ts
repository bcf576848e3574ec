import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { S3Event } from 'aws-lambda';
import { parseS3Records } from '@cancer-mlops/shared/runtime/s3Event.ts';
import { openRuntimeDb, type RuntimeDb } from '../db.ts';
import type { RuntimeLog } from '../log.ts';
import { LocalObjectStore } from './localObjectStore.ts';
import { S3NotificationSource } from './s3Notifications.ts';

const names = { prefix: 'cancer-mlops', stage: 'dev' };
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('Class: S3NotificationSource', () => {
  let dir: string;
  let root: string;
  let db: RuntimeDb;
  let store: LocalObjectStore;
  let sources: S3NotificationSource[];
  let errors: { message: string; extra?: Record<string, unknown> }[];
  const log: RuntimeLog = {
    info: () => {},
    warn: () => {},
    error: (message, extra) => errors.push({ message, extra }),
  };
  // Files copied "by hand" are old enough to count as settled on the second scan.
  const later = () => Date.now() + 60_000;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-s3n-'));
    root = path.join(dir, 'buckets');
    db = openRuntimeDb(path.join(dir, 'state'));
    store = new LocalObjectStore(root, names, { db });
    sources = [];
    errors = [];
  });

  afterEach(async () => {
    for (const s of sources) await s.stop();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function source(options: { now?: () => number; scanIntervalMs?: number } = {}) {
    const s = new S3NotificationSource(store, db, { log, now: later, ...options });
    sources.push(s);
    return s;
  }

  function listen(
    s: S3NotificationSource,
    filter: Parameters<S3NotificationSource['onObjectCreated']>[0],
  ) {
    const events: S3Event[] = [];
    s.onObjectCreated(filter, (e) => void events.push(e));
    return events;
  }

  const copyByHand = (bucket: string, key: string, content: string) => {
    const file = path.join(root, bucket, ...key.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  };

  describe('Method: puts through the port', () => {
    it('raises one real-shaped ObjectCreated:Put event with the physical bucket and the S3-encoded key', async () => {
      // Prepare
      const s = source();
      const events = listen(s, { bucket: 'raw', prefix: 'incoming/', id: 'ingest-onRawObject' });
      await s.start();

      // Act
      await store.put('raw', 'incoming/Jan 2026/batch#1.csv', 'id,x\n');
      await s.idle();

      // Assess
      expect(events).toHaveLength(1);
      const [record] = events[0].Records;
      expect(record).toMatchObject({
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'ingest-onRawObject',
          bucket: { name: 'cancer-mlops-dev-raw', arn: 'arn:aws:s3:::cancer-mlops-dev-raw' },
          object: { key: 'incoming/Jan+2026/batch%231.csv', size: 5, eTag: md5('id,x\n') },
        },
      });
      expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
      expect(new Date(record.eventTime).toISOString()).toBe(record.eventTime);
      expect(parseS3Records(events[0])).toEqual([
        expect.objectContaining({
          bucket: 'cancer-mlops-dev-raw',
          key: 'incoming/Jan 2026/batch#1.csv',
        }),
      ]);
    });

    it('filters by bucket, prefix and suffix', async () => {
      // Prepare
      const s = source();
      const csv = listen(s, { bucket: 'raw', prefix: 'incoming/', suffix: '.csv' });
      const batch = listen(s, { bucket: 'batch-in' });
      await s.start();

      // Act
      await store.put('raw', 'incoming/a.csv', 'a');
      await store.put('raw', 'incoming/a.jsonl', 'a');
      await store.put('raw', 'quarantine/a.csv', 'a');
      await store.put('batch-in', 'nightly.csv', 'a');
      await s.idle();

      // Assess
      expect(csv.map((e) => e.Records[0].s3.object.key)).toEqual(['incoming/a.csv']);
      expect(batch.map((e) => e.Records[0].s3.object.key)).toEqual(['nightly.csv']);
    });

    it('never announces a put twice, however often the folders are scanned', async () => {
      // Prepare
      const s = source();
      const events = listen(s, { bucket: 'raw', prefix: 'incoming/' });
      await s.start();

      // Act
      await store.put('raw', 'incoming/a.csv', 'a');
      await s.idle();
      await s.scanOnce();
      await s.scanOnce();
      await s.idle();

      // Assess
      expect(events).toHaveLength(1);
    });

    it('announces again when the same key is written again', async () => {
      // Prepare
      const s = source();
      const events = listen(s, { bucket: 'raw', prefix: 'incoming/' });
      await s.start();

      // Act
      await store.put('raw', 'incoming/a.csv', 'v1');
      await s.idle();
      await store.put('raw', 'incoming/a.csv', 'version 2');
      await s.idle();

      // Assess
      expect(events.map((e) => e.Records[0].s3.object.size)).toEqual([2, 9]);
    });

    it('announces puts made while it was not running (another process, or a crash) on the next start', async () => {
      // Prepare: a put with nobody announcing it
      await store.put('raw', 'incoming/from-cli.csv', 'x');
      const s = source();
      const events = listen(s, { bucket: 'raw', prefix: 'incoming/' });

      // Act
      await s.start();
      await s.idle();
      const afterFirst = events.length;
      await s.stop();
      const again = source();
      const eventsAgain = listen(again, { bucket: 'raw', prefix: 'incoming/' });
      await again.start();
      await again.scanOnce();
      await again.idle();

      // Assess
      expect(afterFirst).toBe(1);
      expect(eventsAgain).toEqual([]);
    });
    it('announces a put by another process (the CLI) at once, not at the next timed scan', async () => {
      // Prepare: a timer that would not scan again within the test
      const s = source({ scanIntervalMs: 3_600_000 });
      const events = listen(s, { bucket: 'batch-in', prefix: '', id: 'batch-onBatchObject' });
      await s.start();
      const cli = new LocalObjectStore(root, names, { db });

      // Act
      await cli.put('batch-in', 'nightly.csv', 'record_id,x\n1,2\n');
      const deadline = Date.now() + 10_000;
      while (events.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      await s.idle();

      // Assess
      expect(events).toHaveLength(1);
      expect(events[0].Records[0].s3.object).toMatchObject({
        key: 'nightly.csv',
        eTag: md5('record_id,x\n1,2\n'),
      });
      expect(events[0].Records[0].userIdentity.principalId).toBe('AWS:LOCAL-RUNTIME');
    });
  });

  describe('Method: files copied in by hand', () => {
    it('announces a copied file once, when it is unchanged on two scans', async () => {
      // Prepare
      const s = source();
      const events = listen(s, { bucket: 'raw', prefix: 'incoming/' });
      copyByHand('raw', 'incoming/hospital A.csv', 'id,radius_mean\n1,17.99\n');

      // Act
      await s.scanOnce();
      await s.idle();
      const afterOne = events.length;
      await s.scanOnce();
      await s.idle();
      await s.scanOnce();
      await s.idle();

      // Assess
      expect(afterOne).toBe(0);
      expect(events).toHaveLength(1);
      expect(events[0].Records[0].s3.object).toMatchObject({
        key: 'incoming/hospital+A.csv',
        size: 23,
        eTag: md5('id,radius_mean\n1,17.99\n'),
      });
      expect(events[0].Records[0].userIdentity.principalId).toBe('AWS:LOCAL-FILESYSTEM');
    });

    it('waits while a file is still growing', async () => {
      // Prepare
      const s = source();
      const events = listen(s, { bucket: 'raw', prefix: 'incoming/' });
      const file = copyByHand('raw', 'incoming/big.csv', 'part 1,');

      // Act
      await s.scanOnce();
      fs.appendFileSync(file, 'part 2');
      fs.utimesSync(file, new Date(), new Date(Date.now() + 1000));
      await s.scanOnce();
      await s.idle();
      const whileGrowing = events.length;
      await s.scanOnce();
      await s.idle();

      // Assess
      expect(whileGrowing).toBe(0);
      expect(events.map((e) => e.Records[0].s3.object.size)).toEqual([13]);
    });

    it('does not announce a file whose mtime is too recent to be trusted as complete', async () => {
      // Prepare: the clock says the file was modified just now
      const s = source({ now: Date.now, scanIntervalMs: 60_000 });
      const events = listen(s, { bucket: 'raw', prefix: 'incoming/' });
      copyByHand('raw', 'incoming/fresh.csv', 'x');

      // Act
      await s.scanOnce();
      await s.scanOnce();
      await s.idle();

      // Assess
      expect(events).toEqual([]);
    });

    it('picks up files copied while the runtime was not running, and remembers them across restarts', async () => {
      // Prepare
      copyByHand('raw', 'incoming/overnight.csv', 'x');
      const first = source();
      const events = listen(first, { bucket: 'raw', prefix: 'incoming/' });

      // Act
      await first.start();
      await first.scanOnce();
      await first.idle();
      await first.stop();
      const second = source();
      const eventsAfterRestart = listen(second, { bucket: 'raw', prefix: 'incoming/' });
      await second.start();
      await second.scanOnce();
      await second.scanOnce();
      await second.idle();

      // Assess
      expect(events).toHaveLength(1);
      expect(eventsAfterRestart).toEqual([]);
    });

    it('announces a file again after it was changed, or removed and copied in again', async () => {
      // Prepare
      const s = source();
      const events = listen(s, { bucket: 'raw', prefix: 'incoming/' });
      const file = copyByHand('raw', 'incoming/a.csv', 'v1');
      const old = new Date('2026-01-01T00:00:00Z');
      fs.utimesSync(file, old, old);
      const settle = async () => {
        await s.scanOnce();
        await s.scanOnce();
        await s.idle();
      };
      await settle();

      // Act: edited in place, then deleted and copied back with its old mtime (cp -p)
      fs.writeFileSync(file, 'v2!');
      await settle();
      fs.rmSync(file);
      await settle();
      copyByHand('raw', 'incoming/a.csv', 'v1');
      fs.utimesSync(file, old, old);
      await settle();

      // Assess
      expect(events.map((e) => e.Records[0].s3.object.size)).toEqual([2, 3, 2]);
    });

    it('ignores dot-files and other buckets and prefixes', async () => {
      // Prepare
      const s = source();
      const events = listen(s, { bucket: 'raw', prefix: 'incoming/' });
      copyByHand('raw', 'incoming/.DS_Store', 'x');
      copyByHand('raw', 'incoming/.hidden/a.csv', 'x');
      copyByHand('raw', 'ground-truth/labels.csv', 'x');
      copyByHand('artifacts', 'models/m.json', 'x');

      // Act
      await s.scanOnce();
      await s.scanOnce();
      await s.idle();

      // Assess
      expect(events).toEqual([]);
    });

    it('is found by the running scanner without manual scans', async () => {
      // Prepare
      const s = source({ now: () => Date.now() + 60_000, scanIntervalMs: 20 });
      const events = listen(s, { bucket: 'raw', prefix: 'incoming/' });
      await s.start();

      // Act
      copyByHand('raw', 'incoming/live.csv', 'x');
      for (let i = 0; i < 250 && events.length === 0; i++)
        await new Promise((r) => setTimeout(r, 20));

      // Assess
      expect(events).toHaveLength(1);
    });
  });

  describe('Method: failing listeners', () => {
    it('logs a listener failure, still serves the other listeners, and does not repeat the event', async () => {
      // Prepare
      const s = source();
      s.onObjectCreated({ bucket: 'raw', id: 'broken' }, () => {
        throw new Error('handler crashed');
      });
      const events = listen(s, { bucket: 'raw', id: 'healthy' });
      await s.start();

      // Act
      await store.put('raw', 'incoming/a.csv', 'a');
      await s.idle();
      await s.scanOnce();
      await s.idle();

      // Assess
      expect(events).toHaveLength(1);
      expect(errors).toEqual([
        {
          message: 'S3 notification listener failed',
          extra: { listener: 'broken', bucket: 'raw', error: 'Error: handler crashed' },
        },
      ]);
    });
  });
});
