import { DriftDetectedSchema } from '@cancer-mlops/shared/contracts/events.ts';
import {
  ConstraintsSchema,
  StatisticsSchema,
  type ConstraintViolations,
} from '@cancer-mlops/shared/domain/drift/sagemaker.ts';
import { analyzeDrift, analyzeDriftDeps } from './analyzeDrift.ts';
import type { DriftReport } from './report/types.ts';
import { captureKey } from './testing/capture.ts';
import { createWorld, ENDPOINT } from './testing/world.ts';
import { SIZE_FEATURES } from './testing/wdbc.ts';
import {
  MemoryObjectStore,
  MemoryStateStore,
  RecordingPublisher,
  CountingMetrics,
} from './testing/fakes.ts';

const report = (objects: MemoryObjectStore, prefix: string) =>
  objects.json<DriftReport>('artifacts', `${prefix}report.json`);

describe('Service: analyzeDrift', () => {
  it('finds no drift on 100 captured WDBC rows, writes the four files and emits nothing', async () => {
    // Prepare
    const w = await createWorld();
    await w.capture(100, { at: '2026-12-03T19:30:00Z' });

    // Act
    const summary = await analyzeDrift(w.deps, { trigger: 'manual' });

    // Assess
    expect(summary).toMatchObject({
      samples: 100,
      data: { status: 'no-drift' },
      window_closed: true,
      events: [],
      model_version: 'v1',
    });
    expect(summary.run_id).toBe('2026-12-03T20-05-00Z');
    expect(w.objects.keys('artifacts', summary.report_prefix)).toEqual(
      ['constraint_violations.json', 'report.html', 'report.json', 'statistics.json'].map(
        (f) => `monitoring/2026-12-03T20-05-00Z/${f}`,
      ),
    );
    expect(summary.report_uri).toBe(
      's3://cancer-mlops-test-artifacts/monitoring/2026-12-03T20-05-00Z/report.json',
    );
    expect(w.events.published).toEqual([]);
    const r = report(w.objects, summary.report_prefix);
    expect(r.data_drift?.tested_features).toBe(31);
    expect(r.histograms).toHaveLength(31);
    expect(
      StatisticsSchema.safeParse(
        w.objects.json('artifacts', `${summary.report_prefix}statistics.json`),
      ).success,
    ).toBe(true);
    expect(
      w.objects.json<ConstraintViolations>(
        'artifacts',
        `${summary.report_prefix}constraint_violations.json`,
      ).violations,
    ).toEqual([]);
  });

  it('emits DriftDetected with the report location when the size features are 40% larger', async () => {
    // Prepare
    const w = await createWorld();
    await w.capture(100, { at: '2026-12-03T19:30:00Z', shift: true });

    // Act
    const summary = await analyzeDrift(w.deps);

    // Assess
    expect(summary.data.status).toBe('drift');
    expect(summary.events).toEqual(['data']);
    const [event] = w.events.ofType('DriftDetected');
    expect(event.source).toBe('cancer-mlops.monitor');
    const detail = DriftDetectedSchema.parse(event.detail);
    expect(detail).toMatchObject({
      kind: 'data',
      model_version: 'v1',
      samples: 100,
      report_uri: summary.report_uri,
      window_start: '2026-12-03T19:30:00.000Z',
    });
    expect(new Set(detail.drifted_features)).toEqual(new Set(SIZE_FEATURES));
    const violations = w.objects.json<ConstraintViolations>(
      'artifacts',
      `${summary.report_prefix}constraint_violations.json`,
    ).violations;
    expect(
      violations
        .filter((v) => v.constraint_check_type === 'baseline_drift_check')
        .map((v) => v.feature_name)
        .sort(),
    ).toEqual([...SIZE_FEATURES].sort());
    expect(w.metrics.get('DataDriftDetected')).toBe(1);
    expect(w.metrics.flushes).toBe(1);
  });

  it('gives no verdict on too few rows and says so, then decides once the window has enough', async () => {
    // Prepare
    const w = await createWorld();
    await w.capture(20, { at: '2026-12-03T19:30:00Z' });

    // Act
    const first = await analyzeDrift(w.deps);
    w.clock.advanceMinutes(60);
    await w.capture(40, { at: '2026-12-03T20:40:00Z' });
    const second = await analyzeDrift(w.deps);
    w.clock.advanceMinutes(60);
    const third = await analyzeDrift(w.deps);

    // Assess
    expect(first).toMatchObject({
      samples: 20,
      window_closed: false,
      data: {
        status: 'insufficient-samples',
        reason: 'no verdict: 20 captured row(s) in the window, at least 50 needed',
      },
    });
    expect(report(w.objects, first.report_prefix).window.reason).toMatch(/kept open/);
    expect(second).toMatchObject({
      samples: 60,
      window_closed: true,
      data: { status: 'no-drift' },
    });
    expect(third).toMatchObject({ samples: 0, data: { status: 'insufficient-samples' } });
  });

  it('closes a window that never reaches the minimum after DRIFT_MAX_WINDOW_HOURS', async () => {
    // Prepare
    const w = await createWorld({ maxWindowHours: 2, initialLookbackHours: 1 });
    await w.capture(10, { at: '2026-12-03T20:00:00Z' });

    // Act
    const first = await analyzeDrift(w.deps);
    w.clock.advanceMinutes(150);
    const second = await analyzeDrift(w.deps);
    w.clock.advanceMinutes(60);
    const third = await analyzeDrift(w.deps);

    // Assess
    expect(first.window_closed).toBe(false);
    expect(second).toMatchObject({
      samples: 10,
      window_closed: true,
      data: { status: 'insufficient-samples' },
    });
    expect(third.samples).toBe(0);
  });

  it('reads a file only for the lines it gained (a capture file appended to locally)', async () => {
    // Prepare
    const w = await createWorld();
    const { key } = await w.capture(60, { at: '2026-12-03T19:30:00Z' });
    await analyzeDrift(w.deps);
    const more = await w.capture(55, { at: '2026-12-03T19:31:00Z' });
    await w.objects.put(
      'artifacts',
      key,
      (w.objects.text('artifacts', key) ?? '') + (w.objects.text('artifacts', more.key) ?? ''),
    );
    await w.objects.delete('artifacts', more.key);
    w.clock.advanceMinutes(60);

    // Act
    const second = await analyzeDrift(w.deps);

    // Assess
    expect(second.samples).toBe(55);
  });

  it('reads a capture file that lands late in an hour already analysed, and only that file', async () => {
    // Prepare
    const w = await createWorld();
    await w.capture(60, { at: '2026-12-03T19:30:00Z' });
    await analyzeDrift(w.deps);
    await w.capture(55, { at: '2026-12-03T19:59:00Z' });
    w.clock.advanceMinutes(60);

    // Act
    const second = await analyzeDrift(w.deps);

    // Assess
    expect(second).toMatchObject({ samples: 55, window_closed: true });
  });

  it('does not skip captures stamped by a clock behind the monitor’s', async () => {
    // Prepare
    const w = await createWorld({}, '2026-12-04T08:00:00Z');
    await w.capture(60, { at: '2026-12-03T19:30:00Z' });
    await analyzeDrift(w.deps);
    await w.capture(60, { at: '2026-12-03T19:45:00Z', shift: true });
    w.clock.advanceMinutes(60);

    // Act
    const second = await analyzeDrift(w.deps);

    // Assess
    expect(second).toMatchObject({ samples: 60, data: { status: 'drift' } });
  });

  it('skips truncated and malformed capture files with a count and a reason in the report', async () => {
    // Prepare
    const w = await createWorld();
    await w.capture(80, { at: '2026-12-03T19:30:00Z' });
    const { key } = await w.capture(10, { at: '2026-12-03T19:31:00Z' });
    const text = w.objects.text('artifacts', key) ?? '';
    await w.objects.put('artifacts', key, text.slice(0, text.length - 100));
    await w.objects.put(
      'artifacts',
      captureKey(ENDPOINT, '2026-12-03T19:32:00Z', 'junk.jsonl'),
      'this is not json\n{"also": "not a capture"}\n',
    );

    // Act
    const summary = await analyzeDrift(w.deps);

    // Assess
    const r = report(w.objects, summary.report_prefix);
    expect(summary.samples).toBe(89);
    expect(r.input).toMatchObject({
      files_listed: 3,
      files_read: 3,
      records_read: 92,
      records_skipped: 3,
      rows: 89,
    });
    expect(r.input.skipped_reasons).toEqual({
      'malformed JSON line (truncated or corrupted)': 2,
      'not a capture record (no captureData.endpointInput)': 1,
    });
    expect(r.input.files_with_problems.map((p) => [p.key.split('/').pop(), p.reason])).toEqual([
      ['junk.jsonl', 'no valid capture record (malformed JSON line (truncated or corrupted))'],
      [
        'part-0001.jsonl',
        '1 of 10 records skipped (first: malformed JSON line (truncated or corrupted))',
      ],
    ]);
    expect(w.metrics.get('CaptureRecordsSkipped')).toBe(3);
  });

  it('reports missing and extra columns and mistyped values as SageMaker violations', async () => {
    // Prepare
    const w = await createWorld();
    const { key } = await w.capture(60, { at: '2026-12-03T19:30:00Z' });
    const lines = (w.objects.text('artifacts', key) ?? '')
      .trim()
      .split('\n')
      .map((l) => {
        const rec = JSON.parse(l);
        const input = JSON.parse(rec.captureData.endpointInput.data);
        delete input.instances[0].malignancy_risk_score;
        input.instances[0].clinic_code = 'K7';
        input.instances[0].texture_mean = 'n/a';
        rec.captureData.endpointInput.data = JSON.stringify(input);
        return JSON.stringify(rec);
      });
    await w.objects.put('artifacts', key, lines.join('\n'));

    // Act
    const summary = await analyzeDrift(w.deps);

    // Assess
    const violations = w.objects.json<ConstraintViolations>(
      'artifacts',
      `${summary.report_prefix}constraint_violations.json`,
    ).violations;
    expect(violations.map((v) => `${v.constraint_check_type}:${v.feature_name}`)).toEqual([
      'missing_column_check:malignancy_risk_score',
      'extra_column_check:clinic_code',
      'data_type_check:texture_mean',
    ]);
    expect(JSON.stringify(violations)).not.toContain('K7');
    const r = report(w.objects, summary.report_prefix);
    expect(r.data_drift?.tested_features).toBe(29);
  });

  it('says so when no model is deployed, and keeps the captures for later', async () => {
    // Prepare
    const w = await createWorld();
    await w.state.delete('deployment', 'current');
    await w.capture(100, { at: '2026-12-03T19:30:00Z' });

    // Act
    const summary = await analyzeDrift(w.deps);
    await w.state.put('deployment', 'current', { version: 'v1', packageArn: 'arn' });
    w.clock.advanceMinutes(60);
    const later = await analyzeDrift(w.deps);

    // Assess
    expect(summary).toMatchObject({
      model_version: null,
      data: { status: 'skipped', reason: 'no verdict: no model is deployed' },
      window_closed: false,
    });
    expect(report(w.objects, summary.report_prefix).baseline).toMatchObject({
      status: 'missing',
      reason: 'no model is deployed',
    });
    expect(report(w.objects, summary.report_prefix).window.reason).toBe(
      'kept open until there is a baseline to compare with (no model is deployed)',
    );
    expect(later).toMatchObject({
      model_version: 'v1',
      samples: 100,
      data: { status: 'no-drift' },
    });
  });

  it('compares live quality with validation when ground truth arrives, reporting unknown ids', async () => {
    // Prepare
    const w = await createWorld({ minLabels: 30 });
    const { rows, ids } = await w.capture(60, { at: '2026-12-03T19:30:00Z' });
    const csv = [
      'inference_id,diagnosis',
      ...rows.map((r, i) => `${ids[i]},${r.diagnosis}`),
      '4f9c2d7e-0b1a-4c3d-9e8f-1a2b3c4d5e6f,M',
      // A hospital that puts patient ids in the id column must not see them in the report.
      'MRN-900777 ZEBRAQUOKKA,B',
      `${ids[0]},maybe`,
      ',M',
    ].join('\n');
    await w.objects.put('raw', 'ground-truth/2026-12-03.csv', csv);

    // Act
    const summary = await analyzeDrift(w.deps);
    w.clock.advanceMinutes(60);
    const again = await analyzeDrift(w.deps);

    // Assess
    expect(summary.concept).toMatchObject({ status: 'no-drift' });
    const r = report(w.objects, summary.report_prefix);
    expect(r.quality).toMatchObject({
      new_labels: 62,
      matched: 60,
      unknown_ids: {
        count: 2,
        examples: ['4f9c2d7e-0b1a-4c3d-9e8f-1a2b3c4d5e6f', '(not an inference id: 22 characters)'],
      },
    });
    expect(JSON.stringify(r)).not.toContain('MRN-900777');
    expect(summary.ground_truth).toEqual({
      files: 1,
      new_labels: 62,
      matched: 60,
      unknown_ids: 2,
      rows_skipped: 2,
      skipped_reasons: { 'diagnosis is not M or B': 1, 'no inference id': 1 },
      refused: [],
    });
    expect(JSON.stringify(summary)).not.toContain('MRN-900777');
    expect(r.quality.comparison?.live.roc_auc).toBe(1);
    expect(r.history.at(-1)?.quality).toMatchObject({ n: 60, roc_auc: 1 });
    expect(again.concept).toBeNull();
    expect(w.metrics.get('GroundTruthUnknown')).toBe(2);
  });

  it('reads a ground-truth file again when it is replaced under the same key', async () => {
    // Prepare: the first upload has a bad header (the shape of /tmp/attack/gt/gt3-badheader.csv).
    const w = await createWorld({ minLabels: 30 });
    const { rows, ids } = await w.capture(40, { at: '2026-12-03T19:30:00Z' });
    await w.objects.put('raw', 'ground-truth/fix.csv', 'id;label\nx;M\n');
    const first = await analyzeDrift(w.deps);
    w.clock.advanceMinutes(60);

    // Act: the hospital fixes the file and drops it again under the same name.
    const fixed = ['inference_id,diagnosis', ...rows.map((r, i) => `${ids[i]},${r.diagnosis}`)];
    await w.objects.put('raw', 'ground-truth/fix.csv', fixed.join('\n'));
    const second = await analyzeDrift(w.deps);
    w.clock.advanceMinutes(60);
    const third = await analyzeDrift(w.deps);

    // Assess
    expect(report(w.objects, first.report_prefix).quality.new_labels).toBe(0);
    expect(first.ground_truth.refused).toEqual([
      {
        key: 'ground-truth/fix.csv',
        reason: 'CSV header needs an inference_id and a diagnosis column',
      },
    ]);
    expect(report(w.objects, second.report_prefix).quality).toMatchObject({
      new_labels: 40,
      matched: 40,
    });
    expect(report(w.objects, third.report_prefix).quality.new_labels).toBe(0);
  });

  it('emits concept drift when the labelled predictions are no better than chance', async () => {
    // Prepare
    const w = await createWorld({ minLabels: 30 });
    const { rows, ids } = await w.capture(80, {
      at: '2026-12-03T19:30:00Z',
      probability: (r) => ((r.id * 7919) % 100) / 100,
    });
    const jsonl = rows
      .map((r, i) => JSON.stringify({ inference_id: ids[i], diagnosis: r.diagnosis }))
      .join('\n');
    await w.objects.put('raw', 'ground-truth/batch-1.jsonl', jsonl);

    // Act
    const summary = await analyzeDrift(w.deps);

    // Assess
    expect(summary.events).toEqual(['concept']);
    const detail = DriftDetectedSchema.parse(w.events.ofType('DriftDetected')[0].detail);
    expect(detail).toMatchObject({
      kind: 'concept',
      samples: 80,
      drifted_features: [],
      model_version: 'v1',
    });
    const violations = w.objects.json<ConstraintViolations>(
      'artifacts',
      `${summary.report_prefix}constraint_violations.json`,
    ).violations;
    expect(violations.find((v) => v.metric_name === 'auc')).toMatchObject({
      constraint_check_type: 'LessThanThreshold',
    });
  });

  it('leaves the window and the ground truth to the next run when publishing fails', async () => {
    // Prepare
    const w = await createWorld();
    await w.capture(100, { at: '2026-12-03T19:30:00Z', shift: true });
    w.events.failWith = new Error('bus unavailable');

    // Act
    await expect(analyzeDrift(w.deps)).rejects.toThrow('bus unavailable');
    w.events.failWith = undefined;
    w.clock.advanceMinutes(5);
    const retry = await analyzeDrift(w.deps);

    // Assess
    expect(retry).toMatchObject({ samples: 100, events: ['data'] });
    expect(w.log.entries.find((e) => e.level === 'error')).toMatchObject({
      message: 'drift analysis failed',
      extra: { reason: 'Error: bus unavailable' },
    });
    expect(w.metrics.flushes).toBe(2);
  });

  it('never writes a captured value of an unknown column into its files', async () => {
    // Prepare
    const w = await createWorld();
    const { key } = await w.capture(60, { at: '2026-12-03T19:30:00Z' });
    const text = (w.objects.text('artifacts', key) ?? '').replace(
      /\\"radius_mean\\"/g,
      '\\"patient_name\\":\\"Jane Q Public\\",\\"radius_mean\\"',
    );
    await w.objects.put('artifacts', key, text);

    // Act
    const summary = await analyzeDrift(w.deps);

    // Assess
    for (const k of w.objects.keys('artifacts', summary.report_prefix))
      expect(w.objects.text('artifacts', k)).not.toContain('Jane');
    expect(report(w.objects, summary.report_prefix).schema.extra_columns).toEqual([
      { column: 'patient_name', rows: 60 },
    ]);
  });

  describe('Function: analyzeDriftDeps', () => {
    it('wires the platform and asks the endpoint which version serves', async () => {
      // Prepare
      const state = new MemoryStateStore();
      let serving: { version: number } | null = { version: 7 };
      const p = {
        endpoints: { current: async () => serving },
        objects: new MemoryObjectStore(),
        events: new RecordingPublisher(),
        state,
        metrics: new CountingMetrics(),
        names: { prefix: 'cancer-mlops', stage: 'dev' },
        now: () => new Date(),
      } as unknown as Parameters<typeof analyzeDriftDeps>[0];

      // Act
      const deps = analyzeDriftDeps(p, { DRIFT_MIN_SAMPLES: '80' });

      // Assess
      expect(deps.config.minSamples).toBe(80);
      expect(await deps.currentModel()).toEqual({ version: '7' });
      const withRegistry = analyzeDriftDeps({
        ...p,
        registry: {
          get: async () => ({ reports: { dataStatistics: 's3://b/models/job-7/statistics.json' } }),
        },
      } as unknown as Parameters<typeof analyzeDriftDeps>[0]);
      expect(await withRegistry.currentModel()).toEqual({
        version: '7',
        baselinePrefix: 'models/job-7/',
      });
      serving = null;
      expect(await deps.currentModel()).toBeNull();
      expect(() => analyzeDriftDeps(p, { DRIFT_ALPHA: '2' })).toThrow(/DRIFT_ALPHA/);
    });
  });

  it('writes a baseline the training service can produce with buildBaseline (constraints in the SageMaker schema)', async () => {
    const w = await createWorld();
    expect(
      ConstraintsSchema.safeParse(w.objects.json('artifacts', 'models/v1/constraints.json'))
        .success,
    ).toBe(true);
  });
});
