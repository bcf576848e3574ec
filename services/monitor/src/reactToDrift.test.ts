import {
  RetrainingRequestedSchema,
  type OurEventDetail,
} from '@cancer-mlops/shared/contracts/events.ts';
import { eventBridgeEventFactory } from '@cancer-mlops/shared/testing/factories.ts';
import { DEFAULT_MONITOR_CONFIG } from './config.ts';
import {
  DriftDetectedEnvelopeSchema,
  reactToDrift,
  type ReactToDriftDeps,
} from './reactToDrift.ts';
import {
  CountingMetrics,
  MemoryStateStore,
  memoryLog,
  RecordingPublisher,
  testClock,
} from './testing/fakes.ts';

function driftEnvelope(detail: Partial<OurEventDetail<'DriftDetected'>> = {}) {
  return DriftDetectedEnvelopeSchema.parse(
    eventBridgeEventFactory({
      source: 'cancer-mlops.monitor',
      detailType: 'DriftDetected',
      detail: {
        run_id: '2026-12-03T20-00-00Z',
        kind: 'data',
        report_uri: 's3://cancer-mlops-test-artifacts/monitoring/2026-12-03T20-00-00Z/report.json',
        model_version: 'v1',
        samples: 300,
        drifted_features: ['radius_mean', 'area_mean', 'perimeter_mean'],
        drifted_share: 3 / 31,
        window_start: '2026-12-03T19:00:00.000Z',
        window_end: '2026-12-03T20:00:00.000Z',
        ...detail,
      },
    }),
  );
}

function setup(deployed: string | null = 'v1') {
  const clock = testClock('2026-12-03T20:05:00Z');
  const deps: ReactToDriftDeps & {
    events: RecordingPublisher;
    metrics: CountingMetrics;
    state: MemoryStateStore;
  } = {
    events: new RecordingPublisher(),
    state: new MemoryStateStore(),
    metrics: new CountingMetrics(),
    now: clock.now,
    config: DEFAULT_MONITOR_CONFIG,
    currentModel: async () => (deployed ? { version: deployed } : null),
    log: memoryLog(),
  };
  return { deps, clock };
}

describe('Service: reactToDrift', () => {
  it('requests retraining with the reason and the report', async () => {
    // Prepare
    const { deps } = setup();

    // Act
    const result = await reactToDrift(deps, driftEnvelope());

    // Assess
    expect(result).toMatchObject({ outcome: 'requested', idempotency_key: 'drift-retraining-1' });
    expect(deps.events.published).toHaveLength(1);
    const [event] = deps.events.published;
    expect(event).toMatchObject({
      source: 'cancer-mlops.monitor',
      'detail-type': 'RetrainingRequested',
    });
    expect(RetrainingRequestedSchema.parse(event.detail)).toEqual({
      reason: 'drift',
      idempotency_key: 'drift-retraining-1',
      detail:
        'data drift on 300 captured rows: 3 feature(s) drifted (radius_mean, area_mean, perimeter_mean); model v1; monitoring run 2026-12-03T20-00-00Z',
      report_uri: 's3://cancer-mlops-test-artifacts/monitoring/2026-12-03T20-00-00Z/report.json',
    });
    expect(deps.metrics.get('DriftReactions{outcome=requested}')).toBe(1);
    expect(deps.metrics.flushes).toBe(1);
  });

  it('handles a redelivered alarm once', async () => {
    // Prepare
    const { deps } = setup();
    const envelope = driftEnvelope();

    // Act
    await reactToDrift(deps, envelope);
    const again = await reactToDrift(deps, envelope);

    // Assess
    expect(again).toMatchObject({
      outcome: 'duplicate',
      reason: 'alarm 2026-12-03T20-00-00Z:data was already handled (requested)',
    });
    expect(deps.events.published).toHaveLength(1);
  });

  it('starts no second retraining within the cooldown, and one after it', async () => {
    // Prepare
    const { deps, clock } = setup();
    await reactToDrift(deps, driftEnvelope());

    // Act
    clock.advanceMinutes(60);
    const within = await reactToDrift(deps, driftEnvelope({ run_id: 'run-2' }));
    clock.advanceMinutes(DEFAULT_MONITOR_CONFIG.cooldownMinutes);
    const after = await reactToDrift(deps, driftEnvelope({ run_id: 'run-3' }));

    // Assess
    expect(within.outcome).toBe('cooldown');
    expect(within.reason).toBe(
      'a retraining was requested at 2026-12-03T20:05:00.000Z (alarm 2026-12-03T20-00-00Z:data); cooldown until 2026-12-04T02:05:00.000Z',
    );
    expect(after).toMatchObject({ outcome: 'requested', idempotency_key: 'drift-retraining-2' });
    expect(deps.events.published).toHaveLength(2);
  });

  it('lets only one of two alarms racing past the cooldown check through', async () => {
    // Prepare
    const { deps } = setup();

    // Act
    const [a, b] = await Promise.all([
      reactToDrift(deps, driftEnvelope({ run_id: 'a' })),
      reactToDrift(deps, driftEnvelope({ run_id: 'b', kind: 'concept' })),
    ]);

    // Assess
    expect([a.outcome, b.outcome].sort()).toEqual(['cooldown', 'requested']);
    expect(deps.events.published).toHaveLength(1);
  });

  it('retries its own claim after a failed publish instead of losing the retraining', async () => {
    // Prepare
    const { deps } = setup();
    deps.events.failWith = new Error('bus unavailable');
    const envelope = driftEnvelope();

    // Act
    await expect(reactToDrift(deps, envelope)).rejects.toThrow('bus unavailable');
    deps.events.failWith = undefined;
    const retry = await reactToDrift(deps, envelope);

    // Assess
    expect(retry).toMatchObject({ outcome: 'requested', idempotency_key: 'drift-retraining-1' });
  });

  it.each([
    [
      { drifted_features: ['radius_mean'] },
      'not enough evidence: 1 drifted feature(s), DRIFT_MIN_EVIDENCE is 2',
    ],
    [{ samples: 20 }, 'not enough evidence: 20 rows, DRIFT_MIN_SAMPLES is 50'],
  ])('needs minimum evidence: %j', async (detail, reason) => {
    // Prepare
    const { deps } = setup();

    // Act
    const result = await reactToDrift(deps, driftEnvelope(detail));

    // Assess
    expect(result).toEqual({ outcome: 'insufficient-evidence', reason });
    expect(deps.events.published).toEqual([]);
  });

  it('accepts concept drift as evidence on its own', async () => {
    const { deps } = setup();
    const result = await reactToDrift(
      deps,
      driftEnvelope({
        kind: 'concept',
        drifted_features: [],
        drifted_share: 0,
        samples: 80,
        window_start: null,
      }),
    );
    expect(result.outcome).toBe('requested');
  });

  it('ignores an alarm about a model that has since been replaced', async () => {
    // Prepare
    const { deps } = setup('v2');

    // Act
    const result = await reactToDrift(deps, driftEnvelope());

    // Assess
    expect(result).toEqual({
      outcome: 'stale-model',
      reason: 'the alarm is about model v1, model v2 is deployed now',
    });
  });
});
