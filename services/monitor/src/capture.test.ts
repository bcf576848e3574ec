import { readFileSync } from 'node:fs';
import { modelFeatureNames } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { parseCaptureKey, parseCaptureLine, readCaptureFiles } from './capture.ts';
import { MemoryObjectStore } from './testing/fakes.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const FEATURES = modelFeatureNames();

describe('Module: capture', () => {
  describe('Function: parseCaptureKey', () => {
    it('reads endpoint, variant and hour from a data-capture key', () => {
      expect(
        parseCaptureKey('capture/cancer-mlops-dev-ep/AllTraffic/2026/12/03/19/a-b.jsonl'),
      ).toEqual({
        key: 'capture/cancer-mlops-dev-ep/AllTraffic/2026/12/03/19/a-b.jsonl',
        endpoint: 'cancer-mlops-dev-ep',
        variant: 'AllTraffic',
        hour: new Date('2026-12-03T19:00:00Z'),
      });
    });

    it('ignores keys of another shape', () => {
      expect(parseCaptureKey('capture/ep/AllTraffic/2026/12/03/file.jsonl')).toBeUndefined();
      expect(parseCaptureKey('monitoring/x/report.json')).toBeUndefined();
    });
  });

  describe('Function: parseCaptureLine', () => {
    it("reads SageMaker's own CSV sample (AWS documentation): inputs by position, probability from the CSV output", () => {
      // Prepare
      const [line] = fixture('sagemaker-capture-csv.jsonl').trim().split('\n');
      const order = Array.from({ length: 69 }, (_, i) => `c${i}`);

      // Act
      const r = parseCaptureLine(line, order);

      // Assess
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.rows).toHaveLength(1);
      expect(r.rows[0]).toMatchObject({
        inferenceId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
        time: '2022-02-14T17:25:49Z',
        prediction: { probability: 0.0254181120544672 },
      });
      expect(r.rows[0].values.c0).toBe(69);
      expect(r.rows[0].values.c2).toBe(153.7);
    });

    it('skips a CSV record whose column count is not the model’s, with the reason', () => {
      // Prepare
      const [line] = fixture('sagemaker-capture-csv.jsonl').trim().split('\n');

      // Act
      const r = parseCaptureLine(line, FEATURES);

      // Assess
      expect(r).toEqual({ ok: false, reason: 'CSV instance has 69 values, the model takes 31' });
    });

    it('reads JSON instances, CSV in model order and BASE64, with predictions and inference ids', () => {
      // Prepare
      const lines = fixture('capture-wdbc.jsonl').trim().split('\n');

      // Act
      const rows = lines
        .map((l) => parseCaptureLine(l, FEATURES))
        .flatMap((r) => (r.ok ? r.rows : []));

      // Assess
      expect(rows.map((r) => r.inferenceId)).toEqual(['inf-0001', 'inf-0002', 'inf-0003']);
      expect(rows[0].values.radius_mean).toBe(17.99);
      expect(rows[0].values.malignancy_risk_score).toBe(8);
      expect(rows[0].prediction).toEqual({ probability: 0.93, label: 1 });
      expect(rows[1].values.radius_mean).toBe(20.57);
      expect(rows[1].values.malignancy_risk_score).toBe(3);
      expect(rows[1].prediction).toEqual({ probability: 0.12 });
      expect(rows[2].values.radius_mean).toBe(19.69);
      expect(rows[2].prediction).toEqual({ probability: 0.88, label: 1 });
    });

    it('gives each instance of a multi-instance request its own id', () => {
      // Prepare
      const line = JSON.stringify({
        captureData: {
          endpointInput: {
            observedContentType: 'application/json',
            mode: 'INPUT',
            data: '{"instances":[{"radius_mean":1},{"radius_mean":2}]}',
            encoding: 'JSON',
          },
          endpointOutput: {
            observedContentType: 'application/json',
            mode: 'OUTPUT',
            data: '{"predictions":[{"probability_malignant":0.1},{"probability_malignant":0.9}]}',
            encoding: 'JSON',
          },
        },
        eventMetadata: { eventId: 'e1', inferenceTime: '2026-12-03T19:00:00Z' },
        eventVersion: '0',
      });

      // Act
      const r = parseCaptureLine(line, FEATURES);

      // Assess
      expect(r.ok && r.rows.map((x) => [x.inferenceId, x.prediction?.probability])).toEqual([
        ['e1#0', 0.1],
        ['e1#1', 0.9],
      ]);
    });

    it.each([
      [
        '{"captureData":{"endpointInput":{"observedContentType":"application/json","mode":"INPUT","da',
        'malformed JSON line (truncated or corrupted)',
      ],
      ['{"hello":"world"}', 'not a capture record (no captureData.endpointInput)'],
      [
        '{"captureData":{"endpointInput":{"data":"{\\"instances\\":[]}","encoding":"JSON"}}}',
        'input payload holds no instance',
      ],
      [
        '{"captureData":{"endpointInput":{"data":"not json","encoding":"JSON"}}}',
        'input payload is not valid JSON',
      ],
      [
        '{"captureData":{"endpointInput":{"data":"x","encoding":"PROTOBUF"}}}',
        'unsupported input encoding',
      ],
    ])('skips %s with a reason', (line, reason) => {
      expect(parseCaptureLine(line, FEATURES)).toEqual({ ok: false, reason });
    });

    it('skips, with a reason, an instance nested 10,000 deep instead of overflowing the stack', () => {
      // Prepare: the shape of /tmp/attack/capture/deep-nesting-10k.jsonl, which stopped every run.
      const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
      const line = JSON.stringify({
        captureData: {
          endpointInput: {
            observedContentType: 'application/json',
            mode: 'INPUT',
            data: `{"instances":[${deep}]}`,
            encoding: 'JSON',
          },
        },
        eventMetadata: { eventId: 'e1' },
      });

      // Act
      const r = parseCaptureLine(line, FEATURES);

      // Assess
      expect(r).toEqual({ ok: false, reason: 'an instance holds nested arrays or objects' });
    });
  });

  describe('Function: readCaptureFiles', () => {
    it('skips truncated and malformed files with a count and a reason, and reads the rest', async () => {
      // Prepare
      const objects = new MemoryObjectStore();
      const good = fixture('capture-wdbc.jsonl');
      const truncated = good.slice(0, good.length - 40);
      await objects.put('artifacts', 'capture/ep/AllTraffic/2026/12/03/19/good.jsonl', good);
      await objects.put(
        'artifacts',
        'capture/ep/AllTraffic/2026/12/03/19/truncated.jsonl',
        truncated,
      );
      await objects.put(
        'artifacts',
        'capture/ep/AllTraffic/2026/12/03/19/binary.jsonl',
        Buffer.from([0xff, 0xfe, 0x00, 0x12]),
      );
      objects.failing.add('artifacts/capture/ep/AllTraffic/2026/12/03/19/locked.jsonl');

      // Act
      const r = await readCaptureFiles(
        objects,
        ['good', 'truncated', 'binary', 'locked', 'gone'].map((n) => ({
          key: `capture/ep/AllTraffic/2026/12/03/19/${n}.jsonl`,
          skipLines: 0,
        })),
        FEATURES,
      );

      // Assess
      expect(r.rows).toHaveLength(5);
      expect(r.filesRead).toBe(3);
      expect(r.recordsRead).toBe(7);
      expect(r.recordsSkipped).toBe(2);
      expect(r.skippedReasons).toEqual({ 'malformed JSON line (truncated or corrupted)': 2 });
      expect(r.problems.map((p) => [p.key.split('/').pop(), p.reason])).toEqual([
        [
          'truncated.jsonl',
          '1 of 3 records skipped (first: malformed JSON line (truncated or corrupted))',
        ],
        ['binary.jsonl', 'no valid capture record (malformed JSON line (truncated or corrupted))'],
        ['locked.jsonl', 'unreadable: Error: simulated read failure'],
        ['gone.jsonl', 'deleted before it could be read'],
      ]);
    });

    it('reads only the lines a file gained since it was last consumed', async () => {
      // Prepare
      const objects = new MemoryObjectStore();
      await objects.put(
        'artifacts',
        'capture/ep/AllTraffic/2026/12/03/19/grow.jsonl',
        fixture('capture-wdbc.jsonl'),
      );

      // Act
      const r = await readCaptureFiles(
        objects,
        [{ key: 'capture/ep/AllTraffic/2026/12/03/19/grow.jsonl', skipLines: 2 }],
        FEATURES,
      );

      // Assess
      expect(r.rows.map((x) => x.inferenceId)).toEqual(['inf-0003']);
      expect(r.consumed.get('capture/ep/AllTraffic/2026/12/03/19/grow.jsonl')?.lines).toBe(3);
    });
  });
});
