import type { ObjectInfo, ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import type { EventPublisher } from '@cancer-mlops/shared/ports/messaging.ts';
import type { MetricsSink, StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import type { Platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { bucketName, type NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { ourEvent } from '@cancer-mlops/shared/contracts/events.ts';
import { modelFeatureNames } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { createLogger, type Log } from '@cancer-mlops/shared/runtime/logger.ts';
import { describeError } from '@cancer-mlops/shared/runtime/errors.ts';
import { buildStatistics } from '@cancer-mlops/shared/domain/drift/baseline.ts';
import {
  checkColumns,
  dataQualityViolations,
  type SchemaCheck,
} from '@cancer-mlops/shared/domain/drift/dataQuality.ts';
import {
  compareQuality,
  type QualityComparison,
} from '@cancer-mlops/shared/domain/drift/quality.ts';
import { equalWidthCounts, quantile, sampleOf } from '@cancer-mlops/shared/domain/drift/sample.ts';
import {
  assessDataDrift,
  type DataDriftAssessment,
  type DataDriftStatus,
} from '@cancer-mlops/shared/domain/drift/verdict.ts';
import type { ConstraintViolation } from '@cancer-mlops/shared/domain/drift/sagemaker.ts';
import {
  CAPTURE_BUCKET,
  CAPTURE_PREFIX,
  parseCaptureKey,
  readCaptureFiles,
  type CapturedRow,
  type CaptureTarget,
} from './capture.ts';
import {
  GROUND_TRUTH_BUCKET,
  GROUND_TRUTH_PREFIX,
  parseGroundTruth,
  type GroundTruthLabel,
} from './groundTruth.ts';
import { loadBaselineCached, type LoadedBaseline } from './baselineStore.ts';
import { readMonitorConfig, type MonitorConfig } from './config.ts';
import {
  floorHour,
  GROUND_TRUTH_NS,
  loadCursor,
  loadHistory,
  loadLabelled,
  mergeLabelled,
  saveCursor,
  saveHistory,
  saveLabelled,
  servingModel,
  type CaptureCursor,
  type LabelledItem,
} from './monitorState.ts';
import { renderReportHtml } from './report/html.ts';
import type {
  DriftReport,
  FeatureHistogram,
  GroundTruthFileReport,
  HistoryEntry,
} from './report/types.ts';

/**
 * monitor.analyzeDrift: one monitoring run. Reads the captured requests since the last
 * closed window, checks them against the deployed model's baseline (schema, completeness,
 * types, per-feature drift), joins any new ground truth to captured predictions (quality),
 * writes constraint_violations.json, statistics.json, report.json and report.html to
 * `artifacts/monitoring/<run>/`, and emits DriftDetected when drift is found.
 *
 * The scheduled handler and `mlops monitor run` both call this function.
 */

export interface AnalyzeDriftDeps {
  objects: ObjectStore;
  events: EventPublisher;
  state: StateStore;
  metrics: MetricsSink;
  names: NameContext;
  now: () => Date;
  config: MonitorConfig;
  /** The deployed model version, or null when no model is deployed. */
  /** What serves now; `baselinePrefix` is its model folder in `artifacts` (from the registry). */
  currentModel: () => Promise<{ version: string; baselinePrefix?: string } | null>;
  log?: Log;
}

export interface AnalyzeDriftOptions {
  trigger?: 'schedule' | 'manual';
}

export interface DriftRunSummary {
  run_id: string;
  /** Key prefix of the run's files in the artifacts bucket. */
  report_prefix: string;
  report_uri: string;
  html_uri: string;
  model_version: string | null;
  samples: number;
  data: { status: DataDriftStatus | 'skipped'; reason: string; drifted_features: string[] };
  concept: { status: QualityComparison['status']; reason: string } | null;
  ground_truth: GroundTruthSummary;
  window_closed: boolean;
  events: ('data' | 'concept')[];
  violations: number;
}

export const MONITORING_PREFIX = 'monitoring/';
const HISTOGRAM_BINS = 20;
const MAX_UNKNOWN_EXAMPLES = 10;

/** The wiring of the platform's ports, shared by the handler and the CLI. */
export function analyzeDriftDeps(
  p: Platform,
  env: NodeJS.ProcessEnv = process.env,
): AnalyzeDriftDeps {
  return {
    objects: p.objects,
    events: p.events,
    state: p.state,
    metrics: p.metrics,
    names: p.names,
    now: p.now,
    config: readMonitorConfig(env),
    currentModel: () => servingModel(p),
  };
}

const compactIso = (d: Date) =>
  d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');

async function uniqueRunId(objects: ObjectStore, now: Date): Promise<string> {
  const base = compactIso(now);
  for (let i = 1; ; i++) {
    const id = i === 1 ? base : `${base}-${i}`;
    if (!(await objects.head('artifacts', `${MONITORING_PREFIX}${id}/report.json`))) return id;
  }
}

interface ListedCapture {
  key: string;
  hour: Date;
  size: number;
}

async function listCaptures(
  objects: ObjectStore,
  prefix: string,
  from: Date,
): Promise<ListedCapture[]> {
  const out: ListedCapture[] = [];
  for await (const info of objects.list(CAPTURE_BUCKET, prefix)) {
    const k = parseCaptureKey(info.key);
    if (k && k.hour.getTime() >= from.getTime())
      out.push({ key: info.key, hour: k.hour, size: info.size });
  }
  return out;
}

function histograms(
  assessment: DataDriftAssessment | null,
  loaded: LoadedBaseline,
  live: SchemaCheck | null,
): FeatureHistogram[] {
  if (!assessment || !loaded.ok || !live) return [];
  return loaded.baseline.features.map((fb) => {
    const liveSample = sampleOf(live.values.get(fb.name) ?? []);
    let lo = quantile(fb.sample, 0.01);
    let hi = quantile(fb.sample, 0.99);
    if (liveSample.total > 0) {
      lo = Math.min(lo, quantile(liveSample, 0.01));
      hi = Math.max(hi, quantile(liveSample, 0.99));
    }
    if (!(hi > lo)) hi = lo + 1;
    const share = (counts: number[], total: number) =>
      counts.map((c) => (total > 0 ? c / total : 0));
    return {
      feature: fb.name,
      lo,
      hi,
      baseline: share(equalWidthCounts(fb.sample, lo, hi, HISTOGRAM_BINS), fb.sample.total),
      live: share(equalWidthCounts(liveSample, lo, hi, HISTOGRAM_BINS), liveSample.total),
    };
  });
}

function qualityViolations(
  q: QualityComparison | null,
  config: MonitorConfig,
): ConstraintViolation[] {
  if (!q || q.status !== 'drift') return [];
  const out: ConstraintViolation[] = [];
  const { baseline, live } = q;
  if (
    q.auc_drop !== null &&
    q.auc_p_value !== null &&
    q.auc_drop >= config.aucDrop &&
    q.auc_p_value < config.alpha &&
    baseline.roc_auc !== undefined
  ) {
    out.push({
      metric_name: 'auc',
      constraint_check_type: 'LessThanThreshold',
      description: `Metric auc with ${live.roc_auc?.toFixed(4)} was LessThanThreshold '${(baseline.roc_auc - config.aucDrop).toFixed(4)}' (p=${q.auc_p_value.toPrecision(3)}, ${live.n} labels)`,
    });
  }
  if (
    q.sensitivity_drop !== null &&
    q.sensitivity_p_value !== null &&
    q.sensitivity_drop >= config.sensitivityDrop &&
    q.sensitivity_p_value < config.alpha &&
    baseline.sensitivity !== undefined
  ) {
    out.push({
      metric_name: 'recall',
      constraint_check_type: 'LessThanThreshold',
      description: `Metric recall with ${live.sensitivity?.toFixed(4)} was LessThanThreshold '${(baseline.sensitivity - config.sensitivityDrop).toFixed(4)}' (p=${q.sensitivity_p_value.toPrecision(3)}, ${live.positives} malignant cases)`,
    });
  }
  return out;
}

export async function analyzeDrift(
  deps: AnalyzeDriftDeps,
  options: AnalyzeDriftOptions = {},
): Promise<DriftRunSummary> {
  const log = deps.log ?? createLogger('monitor');
  const { config, objects, state, metrics } = deps;
  const trigger = options.trigger ?? 'schedule';
  const now = deps.now();
  try {
    metrics.count('MonitorRuns', 1, { trigger });
    const runId = await uniqueRunId(objects, now);
    const prefix = `${MONITORING_PREFIX}${runId}/`;
    const uri = (key: string) => `s3://${bucketName(deps.names, 'artifacts')}/${key}`;

    // --- baseline ------------------------------------------------------------------------
    const model = await deps.currentModel();
    const loaded: LoadedBaseline = model
      ? await loadBaselineCached(objects, model.version, model.baselinePrefix)
      : { ok: false, reason: 'no model is deployed', keys: [] };
    const featureOrder = loaded.ok
      ? loaded.baseline.features.map((f) => f.name)
      : modelFeatureNames();

    // --- captures since the last closed window --------------------------------------------
    const { cursor, fresh } = await loadCursor(state, now, config.initialLookbackHours);
    const capturePrefix = config.endpointName
      ? `${CAPTURE_PREFIX}${config.endpointName}/`
      : CAPTURE_PREFIX;
    const listed = await listCaptures(objects, capturePrefix, new Date(cursor.since));
    const targets: CaptureTarget[] = listed
      .filter((f) => cursor.consumed[f.key]?.size !== f.size)
      .map((f) => ({ key: f.key, skipLines: cursor.consumed[f.key]?.lines ?? 0 }));
    const capture = await readCaptureFiles(objects, targets, featureOrder);
    const rows = capture.rows;
    metrics.count('CaptureFilesRead', capture.filesRead);
    metrics.count('CaptureFilesWithProblems', capture.problems.length);
    metrics.count('CaptureRecordsRead', capture.recordsRead);
    metrics.count('CaptureRecordsSkipped', capture.recordsSkipped);
    metrics.count('CapturedRows', rows.length);

    // --- data quality and drift -------------------------------------------------------------
    const schema = loaded.ok
      ? checkColumns(
          rows.map((r) => r.values),
          loaded.baseline,
        )
      : null;
    const assessment =
      loaded.ok && schema
        ? assessDataDrift(loaded.baseline, schema.values, rows.length, {
            alpha: config.alpha,
            featureShare: config.featureShare,
            minSamples: config.minSamples,
            psiBins: config.psiBins,
          })
        : null;
    const verdict = assessment?.verdict;
    const dataStatus = verdict?.status ?? 'skipped';
    const dataReason =
      verdict?.reason ?? (loaded.ok ? 'no verdict' : `no verdict: ${loaded.reason}`);
    metrics.count('DriftVerdicts', 1, { status: dataStatus });
    if (verdict) metrics.count('DriftedFeatures', verdict.drifted_features.length);

    const windowAgeHours = (now.getTime() - Date.parse(cursor.opened_at)) / 3_600_000;
    const decided = dataStatus === 'drift' || dataStatus === 'no-drift';
    const expired = windowAgeHours >= config.maxWindowHours;
    const closed = decided || expired;
    const windowReason = decided
      ? 'closed with a verdict; its captures are consumed'
      : expired
        ? `closed without a verdict after ${Math.round(windowAgeHours)} h (DRIFT_MAX_WINDOW_HOURS=${config.maxWindowHours})`
        : loaded.ok
          ? `kept open: its captures are read again with the next run's until the window has ${config.minSamples} rows`
          : `kept open until there is a baseline to compare with (${loaded.reason})`;

    let earliest = Number.POSITIVE_INFINITY;
    for (const r of rows) if (r.time) earliest = Math.min(earliest, Date.parse(r.time));
    const windowStart = Number.isFinite(earliest) ? new Date(earliest).toISOString() : null;

    // --- ground truth and quality -----------------------------------------------------------
    const gt = await readNewGroundTruth(deps);
    let matchedItems: LabelledItem[] = [];
    let unknown: string[] = [];
    let comparison: QualityComparison | null = null;
    if (gt.labels.length) {
      const predictions = await predictionsForMatching(deps, now, rows, featureOrder);
      ({ matched: matchedItems, unknown } = matchLabels(
        gt.labels,
        predictions,
        now,
        model?.version ?? null,
      ));
      const labelled = mergeLabelled(
        await loadLabelled(state),
        matchedItems,
        now,
        config.qualityWindowDays,
      );
      await saveLabelled(state, labelled);
      if (matchedItems.length) {
        const current = labelled.filter((i) => i.v === (model?.version ?? null));
        comparison = compareQuality(
          loaded.ok ? loaded.quality : {},
          current.map((i) => ({ probability: i.p, predicted: i.pred, actual: i.y })),
          {
            aucDrop: config.aucDrop,
            sensitivityDrop: config.sensitivityDrop,
            alpha: config.alpha,
            minLabels: config.minLabels,
          },
        );
      }
    }
    metrics.count('GroundTruthLabels', gt.labels.length);
    metrics.count(
      'GroundTruthRowsSkipped',
      gt.files.reduce((a, f) => a + f.skipped, 0),
    );
    metrics.count('GroundTruthMatched', matchedItems.length);
    metrics.count('GroundTruthUnknown', unknown.length);

    // --- violations, report, events ---------------------------------------------------------
    const violations: ConstraintViolation[] = [
      ...(schema && loaded.ok
        ? dataQualityViolations(schema, loaded.baseline, assessment?.features ?? [], config.alpha)
        : []),
      ...qualityViolations(comparison, config),
    ];
    metrics.count('ConstraintViolations', violations.length);

    const kinds: ('data' | 'concept')[] = [];
    if (dataStatus === 'drift') kinds.push('data');
    if (comparison?.status === 'drift') kinds.push('concept');

    const history: HistoryEntry[] = [
      ...(await loadHistory(state)),
      {
        run_id: runId,
        at: now.toISOString(),
        model_version: model?.version ?? null,
        samples: rows.length,
        data_status: dataStatus,
        drifted: verdict?.drifted_features.length ?? 0,
        tested: verdict?.tested_features ?? 0,
        quality: comparison
          ? {
              status: comparison.status,
              n: comparison.live.n,
              roc_auc: comparison.live.roc_auc,
              accuracy: comparison.live.accuracy,
              sensitivity: comparison.live.sensitivity,
            }
          : null,
      },
    ];

    const sources: Record<string, number> = {};
    if (loaded.ok)
      for (const f of loaded.baseline.features) sources[f.source] = (sources[f.source] ?? 0) + 1;
    const report: DriftReport = {
      schema_version: 1,
      run_id: runId,
      generated_at: now.toISOString(),
      trigger,
      model_version: model?.version ?? null,
      baseline: {
        status: loaded.ok ? 'loaded' : 'missing',
        reason: loaded.ok ? null : loaded.reason,
        keys: loaded.keys,
        warnings: loaded.ok ? loaded.warnings : [],
        item_count: loaded.ok ? loaded.baseline.itemCount : null,
        comparison_threshold: loaded.ok ? loaded.baseline.comparisonThreshold : null,
        comparison_method: loaded.ok ? loaded.baseline.comparisonMethod : null,
        sources,
      },
      window: {
        start: windowStart,
        end: now.toISOString(),
        opened_at: cursor.opened_at,
        closed,
        reason: windowReason,
      },
      input: {
        files_listed: listed.length,
        files_read: capture.filesRead,
        files_with_problems: capture.problems,
        records_read: capture.recordsRead,
        records_skipped: capture.recordsSkipped,
        skipped_reasons: capture.skippedReasons,
        rows: rows.length,
      },
      schema: {
        missing_columns: schema?.missing_columns ?? [],
        extra_columns: schema?.extra_columns ?? [],
        columns: schema?.columns ?? [],
      },
      data_drift: assessment ? { ...assessment.verdict, features: assessment.features } : null,
      histograms: histograms(assessment, loaded, schema),
      quality: {
        ground_truth_files: gt.files.map(({ version: _version, ...f }) => f),
        new_labels: gt.labels.length,
        matched: matchedItems.length,
        unknown_ids: {
          count: unknown.length,
          examples: unknown.slice(0, MAX_UNKNOWN_EXAMPLES).map(idExample),
        },
        comparison,
      },
      history,
      violations: violations.length,
      events: kinds.map((kind) => ({ kind, detail_type: 'DriftDetected' as const })),
      config: {
        DRIFT_MIN_SAMPLES: config.minSamples,
        DRIFT_FEATURE_SHARE: config.featureShare,
        DRIFT_ALPHA: config.alpha,
        DRIFT_PSI_BINS: config.psiBins,
        DRIFT_MAX_WINDOW_HOURS: config.maxWindowHours,
        QUALITY_AUC_DROP: config.aucDrop,
        QUALITY_SENSITIVITY_DROP: config.sensitivityDrop,
        QUALITY_MIN_LABELS: config.minLabels,
        MONITOR_ENDPOINT_NAME: config.endpointName ?? null,
      },
    };
    const reportKey = `${prefix}report.json`;
    const htmlKey = `${prefix}report.html`;
    await objects.put(
      'artifacts',
      `${prefix}constraint_violations.json`,
      JSON.stringify({ violations }, null, 2),
      {
        contentType: 'application/json',
      },
    );
    if (rows.length && schema) {
      const liveStats = buildStatistics(
        rows.map((r) => r.values),
        featureOrder,
      );
      await objects.put('artifacts', `${prefix}statistics.json`, JSON.stringify(liveStats), {
        contentType: 'application/json',
      });
    }
    await objects.put('artifacts', reportKey, JSON.stringify(report, null, 2), {
      contentType: 'application/json',
    });
    await objects.put('artifacts', htmlKey, renderReportHtml(report, violations), {
      contentType: 'text/html; charset=utf-8',
    });

    const events = kinds.map((kind) =>
      ourEvent('DriftDetected', {
        run_id: runId,
        kind,
        report_uri: uri(reportKey),
        model_version: model?.version ?? null,
        samples: kind === 'data' ? rows.length : (comparison?.live.n ?? 0),
        drifted_features: kind === 'data' ? (verdict?.drifted_features ?? []) : [],
        drifted_share: kind === 'data' ? (verdict?.drifted_share ?? 0) : 0,
        window_start: kind === 'data' ? windowStart : null,
        window_end: now.toISOString(),
      }),
    );
    if (events.length) await deps.events.publish(events);
    if (kinds.includes('data')) metrics.count('DataDriftDetected', 1);
    if (kinds.includes('concept')) metrics.count('ConceptDriftDetected', 1);

    // Only now, with the report written and the events out, does the run count as done: a
    // failure above leaves the window and the ground truth to the next run.
    await saveHistory(state, history);
    for (const f of gt.files)
      await state.put(GROUND_TRUTH_NS, f.key, {
        run_id: runId,
        at: now.toISOString(),
        labels: f.labels,
        ...f.version,
      });
    if (closed)
      await saveCursor(
        state,
        closeWindow(cursor, listed, capture.consumed, now, config.lateArrivalHours),
      );
    else if (fresh) await saveCursor(state, cursor);

    log.info('drift analysis done', {
      runId,
      trigger,
      samples: rows.length,
      status: dataStatus,
      drifted: verdict?.drifted_features.length ?? 0,
      concept: comparison?.status ?? null,
      reportKey,
    });
    return {
      run_id: runId,
      report_prefix: prefix,
      report_uri: uri(reportKey),
      html_uri: uri(htmlKey),
      model_version: model?.version ?? null,
      samples: rows.length,
      data: {
        status: dataStatus,
        reason: dataReason,
        drifted_features: verdict?.drifted_features ?? [],
      },
      concept: comparison ? { status: comparison.status, reason: comparison.reason } : null,
      // Counts and reasons only, so the caller can tell people why labels were not used.
      ground_truth: groundTruthSummary(
        gt.files,
        gt.labels.length,
        matchedItems.length,
        unknown.length,
      ),
      window_closed: closed,
      events: kinds,
      violations: violations.length,
    };
  } catch (e) {
    log.error('drift analysis failed', { reason: describeError(e) });
    throw e;
  } finally {
    await metrics.flush();
  }
}

export interface GroundTruthSummary {
  files: number;
  new_labels: number;
  matched: number;
  /** Labels whose inference id matched no captured prediction. */
  unknown_ids: number;
  rows_skipped: number;
  /** Skipped rows by reason. */
  skipped_reasons: Record<string, number>;
  /** Files refused whole: key and reason. */
  refused: { key: string; reason: string }[];
}

function groundTruthSummary(
  files: { key: string; skipped: number; reasons: Record<string, number>; error?: string }[],
  newLabels: number,
  matched: number,
  unknownIds: number,
): GroundTruthSummary {
  const reasons: Record<string, number> = {};
  for (const f of files)
    for (const [r, n] of Object.entries(f.reasons)) reasons[r] = (reasons[r] ?? 0) + n;
  return {
    files: files.length,
    new_labels: newLabels,
    matched,
    unknown_ids: unknownIds,
    rows_skipped: files.reduce((a, f) => a + f.skipped, 0),
    skipped_reasons: reasons,
    refused: files.flatMap((f) => (f.error ? [{ key: f.key, reason: f.error }] : [])),
  };
}

/** The next cursor: consumed files of hours that may still receive late files are kept. */
function closeWindow(
  cursor: CaptureCursor,
  listed: readonly ListedCapture[],
  consumedNow: ReadonlyMap<string, { lines: number; size: number }>,
  now: Date,
  lateArrivalHours: number,
): CaptureCursor {
  // Hours that may still receive late files stay listed. The newest capture hour seen caps
  // that, so captures stamped by a clock behind ours are not skipped; and the window never
  // moves backwards (a clock set back would re-read consumed files).
  let next = floorHour(new Date(now.getTime() - lateArrivalHours * 3_600_000)).getTime();
  let newest = Number.NEGATIVE_INFINITY;
  for (const f of listed) newest = Math.max(newest, f.hour.getTime());
  if (Number.isFinite(newest)) next = Math.min(next, newest);
  const since = new Date(Math.max(next, Date.parse(cursor.since)));
  const consumed: CaptureCursor['consumed'] = {};
  for (const f of listed) {
    if (f.hour.getTime() < since.getTime()) continue;
    const entry = consumedNow.get(f.key) ?? cursor.consumed[f.key];
    if (entry) consumed[f.key] = entry;
  }
  return { since: since.toISOString(), opened_at: now.toISOString(), consumed };
}

/** A ground-truth file as it was when read: a file replaced under the same key is new again. */
interface ReadGroundTruth {
  size?: number;
  modified?: string;
}

const versionOf = (info: ObjectInfo): Required<ReadGroundTruth> => ({
  size: info.size,
  modified: info.lastModified.toISOString(),
});

type GroundTruthFileRead = GroundTruthFileReport & { version: Required<ReadGroundTruth> };

async function readNewGroundTruth(
  deps: AnalyzeDriftDeps,
): Promise<{ files: GroundTruthFileRead[]; labels: GroundTruthLabel[] }> {
  const files: GroundTruthFileRead[] = [];
  const labels: GroundTruthLabel[] = [];
  for await (const info of deps.objects.list(GROUND_TRUTH_BUCKET, GROUND_TRUTH_PREFIX)) {
    if (info.key.endsWith('/')) continue;
    const read = await deps.state.get<ReadGroundTruth>(GROUND_TRUTH_NS, info.key);
    const version = versionOf(info);
    // Labels merge by inference id, so reading a corrected file again counts nothing twice.
    if (read && read.size === version.size && read.modified === version.modified) continue;
    let text: string | undefined;
    try {
      text = (await deps.objects.get(GROUND_TRUTH_BUCKET, info.key))?.toString('utf8');
    } catch (e) {
      files.push({
        key: info.key,
        rows: 0,
        labels: 0,
        skipped: 0,
        reasons: {},
        error: `unreadable: ${describeError(e)}`,
        version,
      });
      continue;
    }
    if (text === undefined) continue;
    const parsed = parseGroundTruth(info.key, text);
    labels.push(...parsed.labels);
    files.push({
      key: info.key,
      rows: parsed.rows,
      labels: parsed.labels.length,
      skipped: parsed.skipped,
      reasons: parsed.reasons,
      ...(parsed.error ? { error: parsed.error } : {}),
      version,
    });
  }
  return { files, labels };
}

interface KnownPrediction {
  probability: number;
  label: 0 | 1;
  modelVersion: string | null;
}

/** Captured predictions of the last QUALITY_LOOKBACK_DAYS, by inference id. */
async function predictionsForMatching(
  deps: AnalyzeDriftDeps,
  now: Date,
  fresh: readonly CapturedRow[],
  featureOrder: readonly string[],
): Promise<Map<string, KnownPrediction>> {
  const from = floorHour(new Date(now.getTime() - deps.config.lookbackDays * 86_400_000));
  const prefix = deps.config.endpointName
    ? `${CAPTURE_PREFIX}${deps.config.endpointName}/`
    : CAPTURE_PREFIX;
  const listed = await listCaptures(deps.objects, prefix, from);
  const read = await readCaptureFiles(
    deps.objects,
    listed.map((f) => ({ key: f.key, skipLines: 0 })),
    featureOrder,
  );
  const out = new Map<string, KnownPrediction>();
  for (const row of [...read.rows, ...fresh]) {
    const p = row.prediction;
    if (!row.inferenceId || !p || p.probability === undefined) continue;
    out.set(row.inferenceId, {
      probability: p.probability,
      // Without the class the endpoint returned, 0.5 stands in for its operating threshold.
      label: p.label ?? (p.probability >= 0.5 ? 1 : 0),
      modelVersion: p.modelVersion ?? null,
    });
  }
  return out;
}

function matchLabels(
  labels: readonly GroundTruthLabel[],
  predictions: ReadonlyMap<string, KnownPrediction>,
  now: Date,
  currentVersion: string | null,
): { matched: LabelledItem[]; unknown: string[] } {
  const matched: LabelledItem[] = [];
  const unknown: string[] = [];
  for (const l of labels) {
    const p = predictions.get(l.inferenceId);
    if (!p) unknown.push(l.inferenceId);
    else
      matched.push({
        id: l.inferenceId,
        p: p.probability,
        pred: p.label,
        y: l.actual,
        at: now.toISOString(),
        v: p.modelVersion ?? currentVersion,
      });
  }
  return { matched, unknown };
}

/** Ours are UUIDs (`#n` for the n-th instance of a request); anything else may be a patient id. */
const INFERENCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(#\d+)?$/i;

/** An unknown id as the report may show it: ours verbatim, anything else only by its length. */
function idExample(id: string): string {
  return INFERENCE_ID.test(id) ? id : `(not an inference id: ${id.length} characters)`;
}
