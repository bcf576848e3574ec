import { escapeHtml, fmt, histogramSvg, lineChartSvg } from './svg.ts';
import { renderReportHtml } from './html.ts';
import type { DriftReport } from './types.ts';
import { analyzeDrift } from '../analyzeDrift.ts';
import { createWorld } from '../testing/world.ts';

describe('Module: report/html', () => {
  describe('Function: escapeHtml', () => {
    it('escapes the five HTML metacharacters', () => {
      expect(escapeHtml(`<script>alert("x") & 'y'</script>`)).toBe(
        '&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;',
      );
    });
  });

  describe('Function: fmt', () => {
    it('never prints NaN or Infinity', () => {
      expect([fmt(Number.NaN), fmt(Infinity), fmt(null), fmt(0.123456), fmt(1.2e-7)]).toEqual([
        '–',
        '–',
        '–',
        '0.123',
        '1.2e-7',
      ]);
    });
  });

  describe('Charts', () => {
    it('draw bars for both distributions and a line per series', () => {
      const h = histogramSvg({
        title: 'radius_mean',
        lo: 0,
        hi: 1,
        baseline: [0.5, 0.5],
        live: [0.2, 0.8],
      });
      expect(h.match(/<rect /g)).toHaveLength(5);
      const l = lineChartSvg(
        [
          {
            name: 'AUC',
            color: '#000',
            points: [
              { x: 0, y: 0.9 },
              { x: 1, y: 0.8 },
            ],
          },
        ],
        { title: 't', yMin: 0.5, yMax: 1 },
      );
      expect(l).toContain('<polyline');
      expect(
        lineChartSvg([], { title: 't', yMin: 0, yMax: 1, emptyText: 'nothing yet' }),
      ).toContain('nothing yet');
    });
  });

  describe('Function: renderReportHtml', () => {
    it('is self-contained: no script, no external reference, a CSP that forbids both', async () => {
      // Prepare
      const w = await createWorld();
      await w.capture(100, { at: '2026-12-03T19:30:00Z', shift: true });
      const summary = await analyzeDrift(w.deps);

      // Act
      const html = w.objects.text('artifacts', `${summary.report_prefix}report.html`) ?? '';

      // Assess
      expect(html).toMatch(
        /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/,
      );
      expect(html).not.toMatch(/<script|<link|<iframe|src="http|href="http|@import|url\(/i);
      expect(html.match(/data-chart="histogram"/g)).toHaveLength(31);
      expect(html).toContain('data-status="drift"');
    });

    it('escapes every text that comes from files (feature names, keys, reasons)', () => {
      // Prepare
      const evil = '<img src=x onerror=alert(1)>';
      const report = {
        schema_version: 1,
        run_id: evil,
        generated_at: '2026-12-03T20:00:00Z',
        trigger: 'manual',
        model_version: evil,
        baseline: {
          status: 'loaded',
          reason: null,
          keys: [],
          warnings: [evil],
          item_count: 1,
          comparison_threshold: 0.1,
          comparison_method: 'Robust',
          sources: { [evil]: 1 },
        },
        window: {
          start: null,
          end: '2026-12-03T20:00:00Z',
          opened_at: '2026-12-03T19:00:00Z',
          closed: true,
          reason: evil,
        },
        input: {
          files_listed: 1,
          files_read: 1,
          files_with_problems: [{ key: evil, reason: evil, records: 1, skipped: 1 }],
          records_read: 1,
          records_skipped: 1,
          skipped_reasons: { [evil]: 1 },
          rows: 0,
        },
        schema: {
          missing_columns: [evil],
          extra_columns: [{ column: evil, rows: 1 }],
          columns: [],
        },
        data_drift: null,
        histograms: [],
        quality: {
          ground_truth_files: [
            { key: evil, rows: 1, labels: 0, skipped: 1, reasons: { [evil]: 1 } },
          ],
          new_labels: 1,
          matched: 0,
          unknown_ids: { count: 1, examples: [evil] },
          comparison: null,
        },
        history: [],
        violations: 1,
        events: [],
        config: { [evil]: evil },
      } as unknown as DriftReport;

      // Act
      const html = renderReportHtml(report, [
        { feature_name: evil, constraint_check_type: 'extra_column_check', description: evil },
      ]);

      // Assess
      expect(html).not.toContain('<img');
      expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    });
  });
});
