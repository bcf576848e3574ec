import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { FeatureWriteMessage } from '@cancer-mlops/shared/contracts/messages.ts';
import type { FeatureRecord } from '@cancer-mlops/shared/contracts/record.ts';
import { FAILURE_REASONS, type SqsBatchResult } from '@cancer-mlops/shared/runtime/sqsConsumer.ts';
import { setLogSink, type LogEntry } from '@cancer-mlops/shared/runtime/logger.ts';
import { lambdaContext, sqsEventFactory } from '@cancer-mlops/shared/testing/factories.ts';
import { MemoryEvents, MemoryFeatureStore, MemoryMetrics } from '../testing/fakes.ts';
import type { WriteFeaturesDeps } from '../writeFeatures.ts';
import { createHandler } from './writeFeatures.ts';

const message = (id: string, over: Partial<FeatureRecord> = {}): FeatureWriteMessage => ({
  kind: 'feature-write',
  record: {
    record_id: id,
    event_time: '2026-01-15T09:00:00.000Z',
    diagnosis: 'B',
    malignancy_risk_score: 3,
    score_source: 'local',
    scorer_id: 'local-clinical-text',
    is_deleted: false,
    ...Object.fromEntries(WDBC_FEATURES.map((f) => [f, 1])),
    ...over,
  } as FeatureRecord,
  evidence: [],
  source: { bucket: 'cancer-mlops-test-raw', key: 'incoming/a.csv', row: 1, ingest_id: 'ing_1' },
});

function setup() {
  const features = new MemoryFeatureStore();
  const events = new MemoryEvents();
  const metrics = new MemoryMetrics();
  const deps: WriteFeaturesDeps = { features, events, metrics };
  const handler = createHandler(async () => deps);
  return { features, events, metrics, handler };
}

describe('Handler: scoring.writeFeatures', () => {
  let logs: LogEntry[];
  beforeEach(() => {
    logs = [];
    setLogSink((e) => logs.push(e));
  });
  afterEach(() => setLogSink(undefined));

  it('writes each record and emits one FeaturesWritten for the batch', async () => {
    // Prepare
    const t = setup();
    const event = sqsEventFactory([
      message('a'),
      message('b', { diagnosis: undefined }),
      message('c', { diagnosis: 'M' }),
    ]);
    // Act
    const result = (await t.handler(event, lambdaContext())) as SqsBatchResult;
    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(t.features.rows.size).toBe(3);
    expect(t.events.published).toEqual([
      {
        source: 'cancer-mlops.scoring',
        'detail-type': 'FeaturesWritten',
        detail: {
          written: 3,
          duplicates: 0,
          labelled: 2,
          feature_group: 'wdbc-patient-records',
          feature_group_version: 1,
        },
      },
    ]);
  });

  it('counts a replayed batch as duplicates with nothing new labelled', async () => {
    const t = setup();
    await t.handler(sqsEventFactory([message('a'), message('b')]), lambdaContext());
    await t.handler(sqsEventFactory([message('a'), message('b')]), lambdaContext());
    expect(t.features.rows.size).toBe(2);
    expect(t.events.published[1].detail).toMatchObject({ written: 0, duplicates: 2, labelled: 0 });
  });

  it('fails a record that contradicts the stored one at the same event time, with the fields', async () => {
    // Prepare: the two rows of /tmp/attack/ingest/31-dup-id-same-time.csv.
    const t = setup();
    await t.handler(sqsEventFactory([message('a')]), lambdaContext());
    // Act
    const event = sqsEventFactory([message('a', { diagnosis: 'M', radius_mean: 25 })]);
    const result = (await t.handler(event, lambdaContext())) as SqsBatchResult;
    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0].messageId }]);
    expect(result[FAILURE_REASONS]?.get(event.Records[0].messageId)).toBe(
      'PermanentError: conflicting record: the feature store already holds this record at the same event_time with other values (radius_mean, diagnosis); send a correction with a later event_time',
    );
    expect([...t.features.rows.values()][0].diagnosis).toBe('B');
  });

  it('fails only the record the store throttled; the event counts what was written', async () => {
    const t = setup();
    t.features.failFor = (r) =>
      r.record_id === 'b'
        ? Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })
        : undefined;
    const event = sqsEventFactory([message('a'), message('b'), message('c')]);
    const result = (await t.handler(event, lambdaContext())) as SqsBatchResult;
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1].messageId }]);
    expect(result[FAILURE_REASONS]?.get(event.Records[1].messageId)).toBe(
      'ThrottlingException: Rate exceeded',
    );
    expect(t.events.published[0].detail).toMatchObject({ written: 2, labelled: 2 });
  });

  it('emits nothing when every record failed', async () => {
    const t = setup();
    t.features.failFor = () => new Error('down');
    await t.handler(sqsEventFactory([message('a')]), lambdaContext());
    expect(t.events.published).toEqual([]);
  });

  it('refuses a message that still carries note text', async () => {
    const t = setup();
    const leaky = {
      ...message('a'),
      record: { ...message('a').record, pathology_note: 'Invasive carcinoma' },
    };
    const event = sqsEventFactory([leaky]);
    const result = (await t.handler(event, lambdaContext())) as SqsBatchResult;
    expect(result[FAILURE_REASONS]?.get(event.Records[0].messageId)).toBe(
      'invalid message: record: unknown field(s) pathology_note',
    );
    expect(t.features.rows.size).toBe(0);
  });

  it('does not fail a written batch when the event cannot be published', async () => {
    const t = setup();
    t.events.failWith = new Error('EventPublishError: 1 of 1 event(s) rejected');
    const result = (await t.handler(
      sqsEventFactory([message('a')]),
      lambdaContext(),
    )) as SqsBatchResult;
    expect(result.batchItemFailures).toEqual([]);
    expect(t.metrics.counts.EventPublishFailures).toBe(1);
    expect(
      logs.some((l) => l.level === 'error' && l.message === 'FeaturesWritten event not published'),
    ).toBe(true);
  });

  it('keeps the tallies of concurrent invocations apart', async () => {
    const t = setup();
    await Promise.all([
      t.handler(sqsEventFactory([message('a'), message('b')]), lambdaContext()),
      t.handler(sqsEventFactory([message('c', { diagnosis: undefined })]), lambdaContext()),
    ]);
    expect(
      t.events.published
        .map((e) => e.detail as { written: number; labelled: number })
        .sort((x, y) => x.written - y.written),
    ).toEqual([
      expect.objectContaining({ written: 1, labelled: 0 }),
      expect.objectContaining({ written: 2, labelled: 2 }),
    ]);
  });
});
