import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type {
  FeatureWriteMessage,
  NoteToScoreMessage,
} from '@cancer-mlops/shared/contracts/messages.ts';
import { scoreCacheKey } from '@cancer-mlops/shared/domain/scoring/cacheKey.ts';
import { createLocalScorer } from '@cancer-mlops/shared/domain/scoring/localScorer.ts';
import {
  InvalidScorerAnswerError,
  RetryableScorerError,
} from '@cancer-mlops/shared/ports/noteScorer.ts';
import { FAILURE_REASONS, type SqsBatchResult } from '@cancer-mlops/shared/runtime/sqsConsumer.ts';
import { setLogSink, type LogEntry } from '@cancer-mlops/shared/runtime/logger.ts';
import {
  lambdaContext,
  sqsEventFactory,
  sqsRecordFactory,
} from '@cancer-mlops/shared/testing/factories.ts';
import { FakeScorer, MemoryMetrics, MemoryQueues, MemoryState } from '../testing/fakes.ts';
import type { ScoreNoteDeps } from '../scoreNote.ts';
import { createHandler } from './scoreNote.ts';

const NOTE = 'FINAL DIAGNOSIS: Left breast, core biopsy:\n  Invasive ductal carcinoma, grade 3.';
/** Words of the note that no rule name contains: finding them downstream means a leak. */
const NOTE_TEXT = /ductal|biopsy|left breast|final diagnosis/i;

const message = (
  over: Partial<NoteToScoreMessage['record']> = {},
  row = 1,
): NoteToScoreMessage => ({
  kind: 'note-to-score',
  record: {
    record_id: `r-${row}`,
    patient_id: 'p_0123456789abcdef0123456789abcdef',
    event_time: '2026-01-15T09:00:00.000Z',
    diagnosis: 'M',
    pathology_note: NOTE,
    ...Object.fromEntries(WDBC_FEATURES.map((f) => [f, 0.5])),
    ...over,
  } as NoteToScoreMessage['record'],
  source: { bucket: 'cancer-mlops-test-raw', key: 'incoming/a.csv', row, ingest_id: 'ing_1' },
});

function setup(scorer = new FakeScorer()) {
  const queues = new MemoryQueues();
  const state = new MemoryState();
  const metrics = new MemoryMetrics();
  const deps: ScoreNoteDeps = {
    scorer,
    state,
    queues,
    metrics,
    now: () => new Date('2026-01-15T10:00:00Z'),
  };
  const handler = createHandler(async () => deps);
  const run = (bodies: unknown[]) =>
    handler(sqsEventFactory(bodies), lambdaContext()) as Promise<SqsBatchResult>;
  const written = () => queues.messages<FeatureWriteMessage>('feature-writes');
  return { scorer, queues, state, metrics, handler, run, written };
}

describe('Handler: scoring.scoreNote', () => {
  let logs: LogEntry[];
  beforeEach(() => {
    logs = [];
    setLogSink((e) => logs.push(e));
  });
  afterEach(() => setLogSink(undefined));

  it('scores the note and sends the record without its note to feature-writes', async () => {
    // Prepare
    const t = setup();
    // Act
    const result = await t.run([message()]);
    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(t.scorer.notes).toEqual([NOTE]);
    const [out] = t.written();
    expect(out).toEqual({
      kind: 'feature-write',
      record: {
        record_id: 'r-1',
        patient_id: 'p_0123456789abcdef0123456789abcdef',
        event_time: '2026-01-15T09:00:00.000Z',
        diagnosis: 'M',
        malignancy_risk_score: 8,
        score_source: 'bedrock',
        scorer_id: 'bedrock:anthropic.claude-3-sonnet',
        is_deleted: false,
        ...Object.fromEntries(WDBC_FEATURES.map((f) => [f, 0.5])),
      },
      // The fake quoted in another case than the note: no offsets found, and still no text.
      evidence: [{ quote: '', weight: 1, rule: 'invasive-carcinoma' }],
      source: message().source,
    });
    expect(JSON.stringify(t.queues.sent)).not.toMatch(NOTE_TEXT);
  });

  it('keeps evidence as spans: offsets into the note, rule and weight, never the quote', async () => {
    const t = setup(
      new FakeScorer('bedrock:anthropic.claude-3-sonnet', async () => ({
        malignancy_risk_score: 9,
        evidence: [
          { quote: 'Invasive ductal carcinoma', weight: 2, rule: 'invasive' },
          { quote: 'grade 3', start: 71, end: 78 },
        ],
        rationale: 'Invasive ductal carcinoma, grade 3',
        scorer_id: 'bedrock:anthropic.claude-3-sonnet',
        prompt_version: 'rubric-test-1',
      })),
    );
    await t.run([message()]);
    const start = NOTE.indexOf('Invasive ductal carcinoma');
    expect(t.written()[0].evidence).toEqual([
      { quote: '', start, end: start + 25, weight: 2, rule: 'invasive' },
      { quote: '', start: 71, end: 78 },
    ]);
  });

  it('caches by normalised note + scorer id + prompt version: a re-sent note is not scored again', async () => {
    const t = setup();
    await t.run([message({}, 1)]);
    await t.run([message({ pathology_note: NOTE.replace(/\n/g, '\r\n').replace('  ', '\t') }, 2)]);
    expect(t.scorer.notes).toHaveLength(1);
    expect(t.written().map((m) => m.record.malignancy_risk_score)).toEqual([8, 8]);
    const cached = await t.state.get('score-cache', scoreCacheKey(NOTE, t.scorer));
    expect(cached).toMatchObject({
      malignancy_risk_score: 8,
      scorer_id: t.scorer.id,
      prompt_version: 'rubric-test-1',
    });
    expect(JSON.stringify(cached)).not.toMatch(NOTE_TEXT);
    expect(t.metrics.counts.ScoreCacheHits).toBe(1);
  });

  it('lets a note win over a provided score, so every stored score comes from one scorer', async () => {
    const t = setup();
    await t.run([message({ malignancy_risk_score: 2 })]);
    expect(t.written()[0].record).toMatchObject({
      malignancy_risk_score: 8,
      score_source: 'bedrock',
    });
  });

  it('keeps a provided score when there is no note', async () => {
    const t = setup();
    await t.run([message({ pathology_note: undefined, malignancy_risk_score: 4 })]);
    expect(t.scorer.notes).toEqual([]);
    expect(t.written()[0].record).toMatchObject({
      malignancy_risk_score: 4,
      score_source: 'provided',
    });
    expect(t.written()[0].record.scorer_id).toBeUndefined();
  });

  it('marks a record with neither note nor score as score_source none, with no score', async () => {
    const t = setup();
    await t.run([message({ pathology_note: '   ' })]);
    expect(t.scorer.notes).toEqual([]);
    expect(t.written()[0].record.score_source).toBe('none');
    expect('malignancy_risk_score' in t.written()[0].record).toBe(false);
  });

  it('fails only the throttled record, at once, so SQS redelivers it (no sleeping in the function)', async () => {
    // Prepare
    const scorer = new FakeScorer();
    const ok = scorer.answer;
    scorer.answer = async (note) => {
      if (note.includes('grade 2'))
        throw new RetryableScorerError('ThrottlingException from the model (retry via the queue)');
      return ok(note);
    };
    const t = setup(scorer);
    const event = sqsEventFactory([
      message({}, 1),
      message({ pathology_note: 'Carcinoma, grade 2.' }, 2),
      message({}, 3),
    ]);
    // Act
    const started = Date.now();
    const result = (await t.handler(event, lambdaContext())) as SqsBatchResult;
    // Assess
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1].messageId }]);
    expect(result[FAILURE_REASONS]?.get(event.Records[1].messageId)).toBe(
      'RetryableScorerError: ThrottlingException from the model (retry via the queue)',
    );
    expect(t.written().map((m) => m.record.record_id)).toEqual(['r-1', 'r-3']);
  });

  it('fails a record whose answer is malformed, every time, so it reaches the DLQ with the reason', async () => {
    const t = setup(
      new FakeScorer('bedrock:anthropic.claude-3-sonnet', async () => ({
        malignancy_risk_score: 11,
        evidence: [],
        rationale: '',
        scorer_id: 'x',
        prompt_version: 'y',
      })),
    );
    for (const receive of ['1', '2', '3', '4', '5']) {
      const record = sqsRecordFactory(message(), {
        attributes: { ApproximateReceiveCount: receive },
      });
      const result = (await t.handler({ Records: [record] }, lambdaContext())) as SqsBatchResult;
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(result[FAILURE_REASONS]?.get(record.messageId)).toBe(
        'InvalidScorerAnswerError: scorer bedrock:anthropic.claude-3-sonnet answered outside the contract: malignancy_risk_score: must be <= 10',
      );
    }
    expect(t.written()).toEqual([]);
  });

  it('passes the scorer own InvalidScorerAnswerError on as the failure reason', async () => {
    const t = setup(
      new FakeScorer('bedrock:x', async () => {
        throw new InvalidScorerAnswerError('no JSON object in the answer after one repair attempt');
      }),
    );
    const event = sqsEventFactory([message()]);
    const result = (await t.handler(event, lambdaContext())) as SqsBatchResult;
    expect(result[FAILURE_REASONS]?.get(event.Records[0].messageId)).toMatch(
      /^InvalidScorerAnswerError: no JSON object/,
    );
  });

  it('fails a malformed message with a reason that quotes no values', async () => {
    const t = setup();
    const bad = {
      ...message(),
      record: { ...message().record, radius_mean: 'Invasive carcinoma' },
    };
    const event = sqsEventFactory([bad, 'not json']);
    const result = (await t.handler(event, lambdaContext())) as SqsBatchResult;
    expect(result.batchItemFailures).toHaveLength(2);
    expect(result[FAILURE_REASONS]?.get(event.Records[0].messageId)).toBe(
      'invalid message: record.radius_mean: expected number',
    );
    expect(JSON.stringify(logs)).not.toMatch(/carcinoma/i);
  });

  it('works with the local clinical-text scorer end to end', async () => {
    const t = setup(createLocalScorer() as FakeScorer);
    await t.run([message()]);
    const [out] = t.written();
    expect(out.record.score_source).toBe('local');
    expect(out.record.malignancy_risk_score).toBeGreaterThanOrEqual(7);
    expect(out.evidence.every((e) => e.quote === '')).toBe(true);
    expect(JSON.stringify(out)).not.toMatch(NOTE_TEXT);
  });
});
