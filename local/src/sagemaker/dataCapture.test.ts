import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { z } from 'zod';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import {
  captureHourPrefix,
  DataCaptureWriter,
  folderCaptureSink,
  objectStoreCaptureSink,
  type CaptureSink,
} from './dataCapture.ts';

/** SageMaker's data-capture record, as Model Monitor reads it. */
const CaptureDataSchema = z
  .object({
    observedContentType: z.string(),
    mode: z.enum(['INPUT', 'OUTPUT']),
    data: z.string(),
    encoding: z.enum(['JSON', 'CSV', 'BASE64']),
  })
  .strict();
const CaptureRecordSchema = z
  .object({
    captureData: z
      .object({
        endpointInput: CaptureDataSchema.extend({ mode: z.literal('INPUT') }),
        endpointOutput: CaptureDataSchema.extend({ mode: z.literal('OUTPUT') }),
      })
      .strict(),
    eventMetadata: z
      .object({
        eventId: z.string().uuid(),
        inferenceId: z.string().optional(),
        inferenceTime: z.string().datetime(),
      })
      .strict(),
    eventVersion: z.literal('0'),
  })
  .strict();
const CAPTURE_KEY =
  /^capture\/cancer-mlops-test-endpoint\/AllTraffic\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.jsonl$/;

const input = JSON.stringify({ instances: [{ radius_mean: 17.99, malignancy_risk_score: 7 }] });
const output = JSON.stringify({
  predictions: [{ probability_malignant: 0.93, prediction: 'malignant' }],
});

/** An in-memory object store with just what the sink uses. */
function memoryObjects(): ObjectStore & { objects: Map<string, string> } {
  const objects = new Map<string, string>();
  return {
    objects,
    get: async (b, k) =>
      objects.has(`${b}/${k}`) ? Buffer.from(objects.get(`${b}/${k}`) as string) : undefined,
    getStream: async () => {
      throw new Error('unused');
    },
    put: async (b, k, body) => {
      objects.set(`${b}/${k}`, String(body));
    },
    head: async () => undefined,
    list: async function* () {},
    delete: async () => {},
  };
}

describe('Class: DataCaptureWriter', () => {
  const endpointName = 'cancer-mlops-test-endpoint';
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'capture-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('Method: record', () => {
    it('writes files that parse as SageMaker capture records, inferenceId kept', async () => {
      // Prepare
      const store = memoryObjects();
      const writer = new DataCaptureWriter({ sink: objectStoreCaptureSink(store), endpointName });
      const time = new Date('2026-03-04T05:06:07.089Z');
      // Act
      writer.record({ inferenceId: 'inf-1', input, output, time });
      writer.record({ inferenceId: 'inf-2', input, output, time });
      await writer.close();
      // Assess
      const keys = [...store.objects.keys()];
      expect(keys).toHaveLength(1);
      const key = keys[0].slice('artifacts/'.length);
      expect(key).toMatch(CAPTURE_KEY);
      expect(key.startsWith('capture/cancer-mlops-test-endpoint/AllTraffic/2026/03/04/05/')).toBe(
        true,
      );
      const lines = (store.objects.get(keys[0]) as string).trimEnd().split('\n');
      const records = lines.map((l) => CaptureRecordSchema.parse(JSON.parse(l)));
      expect(records.map((r) => r.eventMetadata.inferenceId)).toEqual(['inf-1', 'inf-2']);
      expect(records[0].eventMetadata.inferenceTime).toBe('2026-03-04T05:06:07.089Z');
      expect(records[0].captureData.endpointInput).toEqual({
        observedContentType: 'application/json',
        mode: 'INPUT',
        data: input,
        encoding: 'JSON',
      });
      expect(JSON.parse(records[0].captureData.endpointOutput.data)).toEqual(JSON.parse(output));
      expect(writer.written).toBe(2);
    });

    it('encodes CSV as CSV and anything else as BASE64', async () => {
      // Prepare
      const store = memoryObjects();
      const writer = new DataCaptureWriter({ sink: objectStoreCaptureSink(store), endpointName });
      // Act
      writer.record({
        input: Buffer.from('17.99,10.38\n'),
        inputContentType: 'text/csv',
        output: Buffer.from([1, 2, 3]),
        outputContentType: 'application/octet-stream',
      });
      await writer.close();
      // Assess
      const record = CaptureRecordSchema.parse(JSON.parse([...store.objects.values()][0]));
      expect(record.captureData.endpointInput).toMatchObject({
        data: '17.99,10.38\n',
        encoding: 'CSV',
      });
      expect(record.captureData.endpointOutput).toMatchObject({ data: 'AQID', encoding: 'BASE64' });
      expect(record.eventMetadata.inferenceId).toBeUndefined();
    });

    it('never touches the sink per record: one write per hour folder per flush', async () => {
      // Prepare
      const writes: { prefix: string; lines: number }[] = [];
      const sink: CaptureSink = {
        write: async (prefix, body) => {
          writes.push({ prefix, lines: Buffer.from(body).toString().trimEnd().split('\n').length });
        },
      };
      const writer = new DataCaptureWriter({ sink, endpointName, flushIntervalMs: 1000 });
      // Act
      for (let i = 0; i < 1000; i++)
        writer.record({ input, output, time: new Date('2026-03-04T05:59:59Z') });
      writer.record({ input, output, time: new Date('2026-03-04T06:00:00Z') });
      const before = writes.length;
      await writer.flush();
      // Assess
      expect(before).toBe(0);
      expect(writes).toEqual([
        { prefix: captureHourPrefix(endpointName, new Date('2026-03-04T05:00:00Z')), lines: 1000 },
        { prefix: 'capture/cancer-mlops-test-endpoint/AllTraffic/2026/03/04/06/', lines: 1 },
      ]);
      await writer.close();
    });

    it('reuses its buffers from flush to flush without mixing records up', async () => {
      // Prepare: a sink that reads the bytes while they are its own, as the object store does.
      const written: string[] = [];
      const sink: CaptureSink = {
        write: async (_prefix, body) => {
          await new Promise((r) => setTimeout(r, 1));
          written.push(Buffer.from(body).toString('utf8'));
        },
      };
      const writer = new DataCaptureWriter({ sink, endpointName, maxBufferBytes: 256 * 1024 });
      const big = JSON.stringify({ instances: [{ note_free: 'x'.repeat(20_000) }] });
      const time = new Date('2026-03-04T05:00:00Z');
      const batches = [
        Array.from({ length: 100 }, (_, i) => ({ id: `first-${i}`, input })), // within 64 KiB
        [{ id: 'accents-é-漢字-🙂', input: JSON.stringify({ instances: [{ v: 'é漢🙂' }] }) }],
        Array.from({ length: 12 }, (_, i) => ({ id: `big-${i}`, input: big })), // grows past it
        Array.from({ length: 300 }, (_, i) => ({ id: `small-${i}`, input })),
      ];

      // Act
      for (const batch of batches) {
        for (const r of batch) writer.record({ inferenceId: r.id, input: r.input, output, time });
        void writer.flush();
        // The next records arrive while this write is in flight.
        await new Promise((r) => setImmediate(r));
      }
      await writer.close();

      // Assess: every record whole, in order, each batch in its own write.
      const ids = written.map((body) =>
        body
          .trimEnd()
          .split('\n')
          .map((line) => CaptureRecordSchema.parse(JSON.parse(line)).eventMetadata.inferenceId),
      );
      expect(ids).toEqual(batches.map((b) => b.map((r) => r.id)));
      expect(JSON.parse(written[1]).captureData.endpointInput.data).toBe(batches[1][0].input);
      expect(writer.written).toBe(413);
      expect(writer.dropped).toBe(0);
    });

    it('flushes on its own within the interval', async () => {
      // Prepare
      const store = memoryObjects();
      const writer = new DataCaptureWriter({
        sink: objectStoreCaptureSink(store),
        endpointName,
        flushIntervalMs: 20,
      });
      // Act
      writer.record({ input, output });
      await new Promise((r) => setTimeout(r, 80));
      // Assess
      expect(store.objects.size).toBe(1);
      await writer.close();
    });

    it('counts records it could not write instead of throwing at the caller', async () => {
      // Prepare
      const writer = new DataCaptureWriter({
        sink: { write: async () => Promise.reject(new Error('disk full')) },
        endpointName,
      });
      // Act
      writer.record({ input, output });
      await writer.close();
      writer.record({ input, output });
      // Assess
      expect(writer.dropped).toBe(2);
      expect(writer.written).toBe(0);
    });
  });

  describe('Function: folderCaptureSink', () => {
    it('appends an hour of flushes to one file in the hour folder', async () => {
      // Prepare
      const writer = new DataCaptureWriter({ sink: folderCaptureSink(dir), endpointName });
      const time = new Date('2026-03-04T05:06:07Z');
      // Act
      writer.record({ inferenceId: 'a', input, output, time });
      await writer.flush();
      writer.record({ inferenceId: 'b', input, output, time });
      await writer.close();
      // Assess
      const hourDir = join(dir, 'capture', endpointName, 'AllTraffic', '2026', '03', '04', '05');
      const files = await readdir(hourDir);
      expect(files).toHaveLength(1);
      expect(relative(dir, join(hourDir, files[0])).split('\\').join('/')).toMatch(CAPTURE_KEY);
      const text = await readFile(join(hourDir, files[0]), 'utf8');
      const ids = text
        .trimEnd()
        .split('\n')
        .map((l) => CaptureRecordSchema.parse(JSON.parse(l)).eventMetadata.inferenceId);
      expect(ids).toEqual(['a', 'b']);
    });
  });
});
