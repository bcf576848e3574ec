/**
 * Small inline-SVG charts for the HTML report: no script, no external file, nothing fetched
 * (the report must open from an S3 console download or an air-gapped laptop). Every text that
 * reaches the markup goes through escapeHtml.
 */

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** A number for a label: short, and never "NaN" or "Infinity" in the markup. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (x !== 0 && (Math.abs(x) < 10 ** -digits || Math.abs(x) >= 1e6)) return x.toExponential(1);
  return Number(x.toFixed(digits)).toString();
}

const r = (x: number) => Math.round(x * 10) / 10;

export const COLORS = {
  baseline: '#4e79a7',
  live: '#f28e2b',
  drift: '#e15759',
  warn: '#edc948',
  ok: '#59a14f',
  muted: '#9aa5b1',
  grid: '#e3e8ee',
  text: '#222',
};

export interface HistogramChart {
  title: string;
  lo: number;
  hi: number;
  baseline: number[];
  live: number[];
  highlight?: boolean;
}

/** Baseline vs live shares per bin, overlaid. */
export function histogramSvg(h: HistogramChart, width = 260, height = 130): string {
  const pad = { l: 8, r: 8, t: 18, b: 18 };
  const w = width - pad.l - pad.r;
  const ht = height - pad.t - pad.b;
  const bins = Math.max(h.baseline.length, h.live.length, 1);
  const max = Math.max(1e-9, ...h.baseline, ...h.live);
  const bw = w / bins;
  const bar = (share: number, i: number, color: string, inset: number, opacity: number) => {
    const bh = (share / max) * ht;
    return `<rect x="${r(pad.l + i * bw + inset)}" y="${r(pad.t + ht - bh)}" width="${r(Math.max(0.5, bw - 2 * inset))}" height="${r(bh)}" fill="${color}" fill-opacity="${opacity}"/>`;
  };
  const bars = [
    ...h.baseline.map((s, i) => bar(s, i, COLORS.baseline, 0.5, 0.55)),
    ...h.live.map((s, i) => bar(s, i, COLORS.live, bw * 0.22, 0.75)),
  ].join('');
  const frame = h.highlight ? COLORS.drift : COLORS.grid;
  return (
    `<svg class="chart histogram" data-chart="histogram" data-feature="${escapeHtml(h.title)}" role="img" aria-label="${escapeHtml(`${h.title}: baseline vs live`)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" fill="#fff" stroke="${frame}" stroke-width="${h.highlight ? 2 : 1}"/>` +
    `<text x="${pad.l}" y="13" font-size="11" fill="${COLORS.text}">${escapeHtml(h.title)}</text>` +
    `<line x1="${pad.l}" y1="${pad.t + ht}" x2="${pad.l + w}" y2="${pad.t + ht}" stroke="${COLORS.muted}"/>` +
    bars +
    `<text x="${pad.l}" y="${height - 5}" font-size="9" fill="${COLORS.muted}">${escapeHtml(fmt(h.lo))}</text>` +
    `<text x="${width - pad.r}" y="${height - 5}" font-size="9" fill="${COLORS.muted}" text-anchor="end">${escapeHtml(fmt(h.hi))}</text>` +
    `</svg>`
  );
}

export interface ScoreBar {
  label: string;
  value: number | null;
  color: string;
  note?: string;
}

/** Horizontal bars (e.g. drift distance per feature) with a reference line (the threshold). */
export function barChartSvg(
  bars: readonly ScoreBar[],
  opts: {
    title: string;
    max?: number;
    reference?: number;
    referenceLabel?: string;
    width?: number;
  },
): string {
  const width = opts.width ?? 760;
  const row = 16;
  const pad = { l: 190, r: 120, t: 26, b: 22 };
  const height = pad.t + pad.b + Math.max(1, bars.length) * row;
  const w = width - pad.l - pad.r;
  const max = Math.max(
    1e-9,
    opts.max ?? Math.max(opts.reference ?? 0, ...bars.map((b) => b.value ?? 0)),
  );
  const x = (v: number) => pad.l + (Math.min(v, max) / max) * w;
  const parts = bars.map((b, i) => {
    const y = pad.t + i * row;
    const v = b.value ?? 0;
    return (
      `<text x="${pad.l - 6}" y="${y + 11}" font-size="10" text-anchor="end" fill="${COLORS.text}">${escapeHtml(b.label)}</text>` +
      `<rect x="${pad.l}" y="${y + 2}" width="${r(Math.max(0, x(v) - pad.l))}" height="${row - 5}" fill="${b.color}"/>` +
      `<text x="${r(x(v) + 4)}" y="${y + 11}" font-size="9" fill="${COLORS.text}">${escapeHtml(b.value === null ? 'not tested' : fmt(v))}${b.note ? ` ${escapeHtml(b.note)}` : ''}</text>`
    );
  });
  const ref =
    opts.reference !== undefined
      ? `<line x1="${r(x(opts.reference))}" y1="${pad.t - 4}" x2="${r(x(opts.reference))}" y2="${height - pad.b + 4}" stroke="${COLORS.drift}" stroke-dasharray="4 3"/>` +
        `<text x="${r(x(opts.reference))}" y="${height - 6}" font-size="9" text-anchor="middle" fill="${COLORS.drift}">${escapeHtml(opts.referenceLabel ?? fmt(opts.reference))}</text>`
      : '';
  return (
    `<svg class="chart bars" data-chart="bars" role="img" aria-label="${escapeHtml(opts.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<text x="4" y="15" font-size="12" font-weight="bold" fill="${COLORS.text}">${escapeHtml(opts.title)}</text>` +
    parts.join('') +
    ref +
    `</svg>`
  );
}

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number | null }[];
  dashed?: boolean;
}

/** Lines over time (x in epoch ms), y in [yMin, yMax]; a series with one point shows a dot. */
export function lineChartSvg(
  series: readonly Series[],
  opts: {
    title: string;
    yMin: number;
    yMax: number;
    width?: number;
    height?: number;
    emptyText?: string;
  },
): string {
  const width = opts.width ?? 760;
  const height = opts.height ?? 220;
  const pad = { l: 44, r: 130, t: 26, b: 34 };
  const w = width - pad.l - pad.r;
  const ht = height - pad.t - pad.b;
  const xs = series.flatMap((s) => s.points.filter((p) => p.y !== null).map((p) => p.x));
  const head =
    `<svg class="chart lines" data-chart="lines" role="img" aria-label="${escapeHtml(opts.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<text x="4" y="15" font-size="12" font-weight="bold" fill="${COLORS.text}">${escapeHtml(opts.title)}</text>`;
  if (xs.length === 0) {
    return `${head}<text x="${width / 2}" y="${height / 2}" font-size="11" text-anchor="middle" fill="${COLORS.muted}">${escapeHtml(opts.emptyText ?? 'no data yet')}</text></svg>`;
  }
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const sx = (x: number) => pad.l + (x1 > x0 ? ((x - x0) / (x1 - x0)) * w : w / 2);
  const sy = (y: number) =>
    pad.t +
    ht -
    ((Math.min(opts.yMax, Math.max(opts.yMin, y)) - opts.yMin) / (opts.yMax - opts.yMin)) * ht;
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const y = opts.yMin + f * (opts.yMax - opts.yMin);
      return `<line x1="${pad.l}" y1="${r(sy(y))}" x2="${pad.l + w}" y2="${r(sy(y))}" stroke="${COLORS.grid}"/><text x="${pad.l - 4}" y="${r(sy(y) + 3)}" font-size="9" text-anchor="end" fill="${COLORS.muted}">${escapeHtml(fmt(y, 2))}</text>`;
    })
    .join('');
  const lines = series
    .map((s, i) => {
      const pts = s.points.filter(
        (p): p is { x: number; y: number } => p.y !== null && Number.isFinite(p.y),
      );
      const path = pts.map((p) => `${r(sx(p.x))},${r(sy(p.y))}`).join(' ');
      const dots = pts
        .map((p) => `<circle cx="${r(sx(p.x))}" cy="${r(sy(p.y))}" r="2.5" fill="${s.color}"/>`)
        .join('');
      const legendY = pad.t + 6 + i * 16;
      return (
        (pts.length > 1
          ? `<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`
          : '') +
        (s.dashed ? '' : dots) +
        `<line x1="${pad.l + w + 12}" y1="${legendY}" x2="${pad.l + w + 28}" y2="${legendY}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>` +
        `<text x="${pad.l + w + 32}" y="${legendY + 3}" font-size="10" fill="${COLORS.text}">${escapeHtml(s.name)}</text>`
      );
    })
    .join('');
  const axis =
    `<text x="${pad.l}" y="${height - 8}" font-size="9" fill="${COLORS.muted}">${escapeHtml(new Date(x0).toISOString().slice(0, 16).replace('T', ' '))}</text>` +
    `<text x="${pad.l + w}" y="${height - 8}" font-size="9" text-anchor="end" fill="${COLORS.muted}">${escapeHtml(new Date(x1).toISOString().slice(0, 16).replace('T', ' '))}</text>`;
  return `${head}${grid}${lines}${axis}</svg>`;
}
