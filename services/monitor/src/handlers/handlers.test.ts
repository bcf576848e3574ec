import { FAILURE_REASONS, type SqsBatchResult } from '@cancer-mlops/shared/runtime/sqsConsumer.ts';
import {
  eventBridgeEventFactory,
  lambdaContext,
  scheduledEvent,
  sqsEventFactory,
} from '@cancer-mlops/shared/testing/factories.ts';
import { DEFAULT_MONITOR_CONFIG } from '../config.ts';
import type { DriftRunSummary } from '../analyzeDrift.ts';
import { createHandler as analyzeHandler } from './analyzeDrift.ts';
import { createHandler as reactHandler } from './reactToDrift.ts';
import { createWorld } from '../testing/world.ts';
import {
  CountingMetrics,
  MemoryStateStore,
  memoryLog,
  RecordingPublisher,
  testClock,
} from '../testing/fakes.ts';

describe('Handlers: monitor', () => {
  describe('Handler: analyzeDrift', () => {
    it('runs a monitoring run on the real Scheduled Event', async () => {
      // Prepare
      const w = await createWorld();
      await w.capture(100, { at: '2026-12-03T19:30:00Z', shift: true });
      const handler = analyzeHandler(async () => w.deps);

      // Act
      const summary = (await handler(
        scheduledEvent({ time: '2026-12-03T20:00:00Z' }),
        lambdaContext(),
      )) as DriftRunSummary;

      // Assess
      expect(summary).toMatchObject({ samples: 100, events: ['data'] });
      expect(w.events.ofType('DriftDetected')).toHaveLength(1);
    });

    it('refuses an event that is not the schedule', async () => {
      const w = await createWorld();
      const handler = analyzeHandler(async () => w.deps);
      await expect(
        handler(
          eventBridgeEventFactory({ source: 'aws.s3', detailType: 'Object Created', detail: {} }),
          lambdaContext(),
        ),
      ).rejects.toThrow('unexpected detail-type "Object Created"; expected Scheduled Event');
    });
  });

  describe('Handler: reactToDrift', () => {
    const deps = () => ({
      events: new RecordingPublisher(),
      state: new MemoryStateStore(),
      metrics: new CountingMetrics(),
      now: testClock('2026-12-03T20:05:00Z').now,
      config: DEFAULT_MONITOR_CONFIG,
      log: memoryLog(),
    });

    it('turns the EventBridge envelope on SQS into RetrainingRequested, failing only the bad record', async () => {
      // Prepare
      const d = deps();
      const handler = reactHandler(async () => d);
      const envelope = eventBridgeEventFactory({
        source: 'cancer-mlops.monitor',
        detailType: 'DriftDetected',
        detail: {
          run_id: 'r1',
          kind: 'data',
          report_uri: 's3://b/monitoring/r1/report.json',
          model_version: 'v1',
          samples: 300,
          drifted_features: ['radius_mean', 'area_mean'],
          drifted_share: 2 / 31,
          window_start: null,
          window_end: '2026-12-03T20:00:00Z',
        },
      });
      const event = sqsEventFactory([envelope, { not: 'an envelope' }]);

      // Act
      const result = (await handler(event, lambdaContext())) as SqsBatchResult;

      // Assess
      expect(d.events.ofType('RetrainingRequested')).toHaveLength(1);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1].messageId }]);
      expect(result[FAILURE_REASONS]?.get(event.Records[1].messageId)).toMatch(
        /^invalid message: /,
      );
    });
  });
});
