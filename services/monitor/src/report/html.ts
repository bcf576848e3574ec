import type { ConstraintViolation } from '@cancer-mlops/shared/domain/drift/sagemaker.ts';
import type { FeatureDrift } from '@cancer-mlops/shared/domain/drift/verdict.ts';
import {
  barChartSvg,
  COLORS,
  escapeHtml as e,
  fmt,
  histogramSvg,
  lineChartSvg,
  type Series,
} from './svg.ts';
import type { DriftReport } from './types.ts';

/**
 * The human-readable monitoring report: one self-contained HTML file (inline CSS and SVG, a
 * Content-Security-Policy that forbids scripts and every fetch), drawn from report.json only.
 */

const STATUS_COLOR: Record<string, string> = {
  drift: COLORS.drift,
  'no-drift': COLORS.ok,
  'insufficient-samples': COLORS.warn,
  'insufficient-labels': COLORS.warn,
  'no-baseline': COLORS.muted,
  skipped: COLORS.muted,
};

const badge = (status: string) =>
  `<span class="badge" data-status="${e(status)}" style="background:${STATUS_COLOR[status] ?? COLORS.muted}">${e(status)}</span>`;

const table = (head: string[], rows: string[][], cls = '') =>
  `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

function featureColor(f: FeatureDrift): string {
  if (f.drifted) return COLORS.drift;
  if (f.significant) return COLORS.warn;
  return f.distance_exceeds_threshold ? '#f1a3a4' : COLORS.ok;
}

function orderFeatures(features: readonly FeatureDrift[]): FeatureDrift[] {
  return [...features].sort(
    (a, b) =>
      (a.adjusted_p_value ?? 2) - (b.adjusted_p_value ?? 2) || a.feature.localeCompare(b.feature),
  );
}

function dataSection(report: DriftReport): string {
  const dd = report.data_drift;
  if (!dd)
    return `<section id="data-drift"><h2>Data drift</h2><p>${e(report.baseline.reason ?? 'no baseline')}</p></section>`;
  const features = orderFeatures(dd.features);
  const bars = barChartSvg(
    features.map((f) => ({
      label: f.feature,
      value: f.distance,
      color: featureColor(f),
      note: f.adjusted_p_value === null ? '' : `(Holm p=${fmt(f.adjusted_p_value)})`,
    })),
    {
      title:
        'Drift score per feature: baseline drift distance max|CDF_baseline − CDF_live| (colour: the statistical verdict)',
      reference: report.baseline.comparison_threshold ?? 0.1,
      referenceLabel: `SageMaker threshold ${fmt(report.baseline.comparison_threshold ?? 0.1)}`,
      max: Math.max(0.3, ...features.map((f) => f.distance ?? 0)),
    },
  );
  const rows = features.map((f) => [
    e(f.feature),
    String(f.n),
    e(fmt(f.baseline_mean)),
    e(fmt(f.live_mean)),
    e(fmt(f.distance)),
    f.distance_exceeds_threshold ? 'yes' : 'no',
    e(fmt(f.ks_p_value)),
    e(fmt(f.adjusted_p_value)),
    `${e(fmt(f.psi))} ${f.psi_band ? `<small>${e(f.psi_band)}</small>` : ''}`,
    f.drifted
      ? '<strong class="bad">drifted</strong>'
      : f.significant
        ? 'significant, below threshold'
        : '',
  ]);
  const hist = new Map(report.histograms.map((h) => [h.feature, h]));
  const charts = features
    .map((f) => hist.get(f.feature))
    .filter((h) => h !== undefined)
    .map((h) =>
      histogramSvg({
        title: h.feature,
        lo: h.lo,
        hi: h.hi,
        baseline: h.baseline,
        live: h.live,
        highlight: dd.features.find((f) => f.feature === h.feature)?.drifted,
      }),
    )
    .join('');
  return (
    `<section id="data-drift"><h2>Data drift ${badge(dd.status)}</h2><p class="reason">${e(dd.reason)}</p>` +
    `<p class="muted">${dd.samples} rows; ${dd.tested_features} features tested with the two-sample Kolmogorov–Smirnov test, Holm-adjusted at family-wise α=${e(fmt(dd.alpha))}; ` +
    `a feature drifts when significant and beyond its distance threshold; dataset drift needs ${dd.required_drifted} drifted feature(s) (DRIFT_FEATURE_SHARE) and at least ${dd.min_samples} rows.</p>` +
    bars +
    `<h3>Per feature</h3>` +
    table(
      [
        'feature',
        'n',
        'baseline mean',
        'live mean',
        'distance',
        '> threshold',
        'KS p',
        'Holm p',
        'PSI',
        'verdict',
      ],
      rows,
      'features',
    ) +
    `<h3>Baseline vs live distributions</h3><p class="legend"><span style="color:${COLORS.baseline}">■</span> baseline <span style="color:${COLORS.live}">■</span> live (share of rows per bin)</p>` +
    `<div class="grid">${charts}</div></section>`
  );
}

function inputSection(report: DriftReport, violations: readonly ConstraintViolation[]): string {
  const i = report.input;
  const problems = i.files_with_problems.length
    ? table(
        ['capture file', 'records', 'skipped', 'reason'],
        i.files_with_problems.map((p) => [
          e(p.key),
          String(p.records),
          String(p.skipped),
          e(p.reason),
        ]),
      )
    : '<p>No capture file had a problem.</p>';
  const reasons = Object.entries(i.skipped_reasons);
  const v = violations.length
    ? table(
        ['feature / metric', 'check', 'description'],
        violations.map((x) => [
          e(x.feature_name ?? x.metric_name ?? ''),
          e(x.constraint_check_type),
          e(x.description),
        ]),
      )
    : '<p>No constraint violation.</p>';
  return (
    `<section id="input"><h2>Captured input</h2>` +
    `<p>${i.files_read} of ${i.files_listed} listed capture file(s) read; ${i.records_read} record(s), ${i.records_skipped} skipped; ${i.rows} row(s) analysed.</p>` +
    problems +
    (reasons.length
      ? `<h3>Skipped records by reason</h3>${table(
          ['reason', 'records'],
          reasons.map(([r, n]) => [e(r), String(n)]),
        )}`
      : '') +
    `<h3>Constraint violations (constraint_violations.json)</h3>${v}` +
    (report.schema.missing_columns.length
      ? `<p>Missing columns: ${e(report.schema.missing_columns.join(', '))}</p>`
      : '') +
    (report.schema.extra_columns.length
      ? `<p>Extra columns: ${e(report.schema.extra_columns.map((c) => `${c.column} (${c.rows})`).join(', '))}</p>`
      : '') +
    `</section>`
  );
}

function qualitySection(report: DriftReport): string {
  const q = report.quality;
  const c = q.comparison;
  const files = q.ground_truth_files.length
    ? table(
        ['ground-truth file', 'rows', 'labels', 'skipped', 'problem'],
        q.ground_truth_files.map((f) => [
          e(f.key),
          String(f.rows),
          String(f.labels),
          String(f.skipped),
          e(
            f.error ??
              Object.entries(f.reasons)
                .map(([r, n]) => `${r} (${n})`)
                .join('; '),
          ),
        ]),
      )
    : '<p>No new ground truth in this run.</p>';
  const comparison = c
    ? `<p class="reason">${badge(c.status)} ${e(c.reason)}</p>` +
      table(
        ['metric', 'validation', 'live'],
        [
          ['ROC AUC', e(fmt(c.baseline.roc_auc)), e(fmt(c.live.roc_auc))],
          ['accuracy', e(fmt(c.baseline.accuracy)), e(fmt(c.live.accuracy))],
          ['sensitivity', e(fmt(c.baseline.sensitivity)), e(fmt(c.live.sensitivity))],
          ['specificity', e(fmt(c.baseline.specificity)), e(fmt(c.live.specificity))],
          ['labelled predictions (QUALITY_WINDOW_DAYS, this model)', '', String(c.live.n)],
        ],
      )
    : '';
  const withQuality = report.history.filter((h) => h.quality);
  const at = (h: { at: string }) => Date.parse(h.at);
  const series: Series[] = [
    {
      name: 'ROC AUC',
      color: COLORS.baseline,
      points: withQuality.map((h) => ({ x: at(h), y: h.quality?.roc_auc ?? null })),
    },
    {
      name: 'accuracy',
      color: COLORS.ok,
      points: withQuality.map((h) => ({ x: at(h), y: h.quality?.accuracy ?? null })),
    },
    {
      name: 'sensitivity',
      color: COLORS.live,
      points: withQuality.map((h) => ({ x: at(h), y: h.quality?.sensitivity ?? null })),
    },
  ];
  const baseAuc = c?.baseline.roc_auc;
  if (baseAuc !== undefined && withQuality.length) {
    series.push({
      name: 'validation AUC',
      color: COLORS.muted,
      dashed: true,
      points: [withQuality[0], withQuality[withQuality.length - 1]].map((h) => ({
        x: at(h),
        y: baseAuc,
      })),
    });
  }
  return (
    `<section id="quality"><h2>Model quality (ground truth)</h2>` +
    `<p>${q.new_labels} new label(s), ${q.matched} matched to a captured prediction, ${q.unknown_ids.count} for unknown inference ids` +
    (q.unknown_ids.count ? ` (e.g. ${e(q.unknown_ids.examples.join(', '))})` : '') +
    `.</p>` +
    files +
    comparison +
    lineChartSvg(series, {
      title: 'Quality over time',
      yMin: 0.5,
      yMax: 1,
      emptyText: 'no labelled predictions yet',
    }) +
    `</section>`
  );
}

function historySection(report: DriftReport): string {
  const runs = report.history.filter((h) => h.tested > 0);
  const chart = lineChartSvg(
    [
      {
        name: 'drifted share',
        color: COLORS.drift,
        points: runs.map((h) => ({ x: Date.parse(h.at), y: h.drifted / h.tested })),
      },
      {
        name: 'rows / 1000',
        color: COLORS.baseline,
        points: runs.map((h) => ({ x: Date.parse(h.at), y: Math.min(1, h.samples / 1000) })),
      },
    ],
    {
      title: 'Drift over time',
      yMin: 0,
      yMax: 1,
      emptyText: 'no earlier run with a tested window',
    },
  );
  return `<section id="history"><h2>Runs</h2>${chart}</section>`;
}

export function renderReportHtml(
  report: DriftReport,
  violations: readonly ConstraintViolation[] = [],
): string {
  const w = report.window;
  const b = report.baseline;
  const summary =
    `<div class="cards">` +
    `<div class="card"><h3>Data drift</h3>${badge(report.data_drift?.status ?? 'skipped')}<p>${e(report.data_drift?.reason ?? b.reason ?? '')}</p></div>` +
    `<div class="card"><h3>Concept drift</h3>${badge(report.quality.comparison?.status ?? 'skipped')}<p>${e(report.quality.comparison?.reason ?? 'no new ground truth matched')}</p></div>` +
    `<div class="card"><h3>Window</h3><p>${e(w.start ?? '–')} → ${e(w.end)}</p><p>${report.input.rows} rows; ${w.closed ? 'closed' : 'open'}: ${e(w.reason)}</p></div>` +
    `<div class="card"><h3>Baseline</h3><p>model ${e(report.model_version ?? 'none')}; ${e(b.status)}${b.item_count !== null ? `, ${b.item_count} training rows` : ''}</p>` +
    `<p class="muted">${e(
      Object.entries(b.sources)
        .map(([s, n]) => `${n} from ${s}`)
        .join(', '),
    )}</p>${b.warnings.map((x) => `<p class="muted">${e(x)}</p>`).join('')}</div>` +
    `</div>`;
  const config = table(
    ['setting', 'value'],
    Object.entries(report.config).map(([k, v]) => [e(k), e(v === null ? '–' : String(v))]),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drift report ${e(report.run_id)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#222;margin:24px;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e3e8ee;padding-bottom:4px}h3{font-size:14px;margin:16px 0 6px}
.muted{color:#66707a}.reason{font-weight:600}.bad{color:${COLORS.drift}}
.badge{display:inline-block;color:#fff;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;vertical-align:middle}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:12px;margin:16px 0}
.card{border:1px solid #e3e8ee;border-radius:8px;padding:10px 12px}.card h3{margin:0 0 6px}.card p{margin:4px 0}
table{border-collapse:collapse;margin:8px 0;font-size:12px}th,td{border-bottom:1px solid #e3e8ee;padding:3px 8px;text-align:left}th{background:#f5f7fa}
.grid{display:flex;flex-wrap:wrap;gap:8px}.chart{display:block;margin:6px 0}
</style></head>
<body>
<h1>Drift report ${e(report.run_id)}</h1>
<p class="muted">Generated ${e(report.generated_at)} (${e(report.trigger)}); model ${e(report.model_version ?? 'none')}; ${report.violations} constraint violation(s).</p>
${summary}
${dataSection(report)}
${qualitySection(report)}
${historySection(report)}
${inputSection(report, violations)}
<section id="config"><h2>Settings</h2>${config}</section>
</body></html>
`;
}
