/**
 * The two ways predictions leave the mesh, on a model trained from the WDBC file: a batch
 * file with good and bad rows dropped into batch-in/, and /predict, whose traffic the
 * endpoint captures in SageMaker's data-capture format.
 */
import fs from 'node:fs';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { parseCaptureKey, parseCaptureLine } from '@cancer-mlops/monitor/src/capture.ts';
import type { LocalRuntime } from '../src/runtime.ts';
import { DEPLOY_TIMEOUT_MS, deployFromHospitalFile } from './deployedModel.ts';
import { eventually, readJson, readLines, startTestRuntime, tempStateDir } from './harness.ts';
import { cell, readHospitalFile, toCsv } from './hospitalFile.ts';

describe('Local mesh: serving (batch transform and /predict)', () => {
  let runtime: LocalRuntime;
  let stateDir: string;
  let version: string;

  beforeAll(async () => {
    stateDir = tempStateDir('serving');
    runtime = await startTestRuntime('serving', { stateDir });
    version = (await deployFromHospitalFile(runtime)).version;
  }, DEPLOY_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await runtime.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  const table = readHospitalFile();
  const body = (row: string[]) => ({
    ...Object.fromEntries(WDBC_FEATURES.map((f) => [f, Number(cell(table, row, f))])),
    pathology_note: cell(table, row, 'pathology_note'),
  });
  const predict = async (payload: unknown) => {
    const res = await fetch(`${runtime.apiUrl}/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    return (await res.json()) as {
      inference_id: string;
      probability_malignant: number;
      top_contributions: { feature: string; value: number; contribution: number }[];
    };
  };

  it('writes one output row per good input row, in input order, plus the errors file and the summary', async () => {
    // Prepare: the night's dump, labels removed, with four broken rows among 60.
    const dump = {
      header: table.header.filter((h) => h !== 'diagnosis'),
      rows: table.rows
        .slice(100, 160)
        .map((r) => r.filter((_, i) => table.header[i] !== 'diagnosis')),
    };
    const at = (name: string) => dump.header.indexOf(name);
    dump.rows[3][at('radius_mean')] = 'n/a?';
    dump.rows[10][at('pathology_note')] = '';
    dump.rows[11][at('area_mean')] = '-40';
    dump.rows[59][at('texture_mean')] = '';
    const broken = new Set([3, 10, 11, 59]);

    // Act
    await runtime.state.objects.put('batch-in', 'nightly/2026-12-03.csv', toCsv(dump));
    const summary = await eventually(
      'the batch summary',
      () =>
        readJson<Record<string, unknown>>(runtime, 'batch-out', 'nightly/2026-12-03.summary.json'),
      60_000,
    );

    // Assess: the summary reconciles.
    expect(summary).toMatchObject({
      status: 'Completed',
      rows: 60,
      predicted: 56,
      errors: 4,
      notes_scored: 56,
      model_version: Number(version),
    });
    // ... one output row per good row, in input order, joined on the record id.
    const [header, ...out] = await readLines(runtime, 'batch-out', 'nightly/2026-12-03.out');
    expect(header).toBe('record_id,probability_malignant,prediction,model_version');
    const good = dump.rows.filter((_, i) => !broken.has(i));
    expect(out.map((l) => l.split(',')[0])).toEqual(good.map((r) => r[at('record_id')]));
    for (const line of out) {
      const [, p, label, v] = line.split(',');
      expect(Number(p)).toBeGreaterThanOrEqual(0);
      expect(Number(p)).toBeLessThanOrEqual(1);
      expect(['malignant', 'benign']).toContain(label);
      expect(v).toBe(version);
    }
    // ... the same probability /predict gives for the same record.
    const single = await predict(body(table.rows[100]));
    expect(Number(out[0].split(',')[1])).toBeCloseTo(single.probability_malignant, 12);
    // ... explained by the real container: named features, the values sent, largest first.
    const sent = body(table.rows[100]) as Record<string, unknown>;
    const top = single.top_contributions;
    expect(top.length).toBeGreaterThanOrEqual(3);
    for (const c of top) expect(c.value).toBe(sent[c.feature] ?? c.value);
    expect(top.filter((c) => WDBC_FEATURES.includes(c.feature)).length).toBeGreaterThan(0);
    const sizes = top.map((c) => Math.abs(c.contribution));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(sizes[0]).toBeGreaterThan(0);
    // ... and every broken row in the errors file, with its row and the field.
    const errors = (await readLines(runtime, 'batch-out', 'nightly/2026-12-03.errors.jsonl')).map(
      (l) => JSON.parse(l) as { row: number; record_id: string; errors: { field: string }[] },
    );
    expect(errors.map((e) => [e.row, e.record_id, e.errors[0].field])).toEqual([
      [4, dump.rows[3][at('record_id')], 'radius_mean'],
      [11, dump.rows[10][at('record_id')], 'malignancy_risk_score'],
      [12, dump.rows[11][at('record_id')], 'area_mean'],
      [60, dump.rows[59][at('record_id')], 'texture_mean'],
    ]);
    expect(JSON.stringify(errors)).not.toMatch(/MRN-|carcinoma/i);
  }, 90_000);

  const captureKeys = async () => {
    const keys: string[] = [];
    for await (const o of runtime.state.objects.list('artifacts', 'capture/')) keys.push(o.key);
    return keys;
  };

  it('captures every /predict in SageMaker data-capture records, inference id kept, no note', async () => {
    // Act
    const ids: string[] = [];
    for (const row of table.rows.slice(0, 5)) ids.push((await predict(body(row))).inference_id);
    const captured = await eventually(
      'the captured requests',
      async () => {
        const keys = await captureKeys();
        const rows = [];
        for (const key of keys) {
          expect(parseCaptureKey(key)).toBeDefined();
          for (const line of await readLines(runtime, 'artifacts', key)) {
            const parsed = parseCaptureLine(line, WDBC_FEATURES);
            if (!parsed.ok) throw new Error(parsed.reason);
            rows.push(...parsed.rows);
          }
        }
        return rows.length >= 6 ? rows : undefined; // the batch test's single request, plus 5
      },
      10_000,
    );

    // Assess
    const byId = new Map(captured.map((r) => [r.inferenceId, r]));
    for (const id of ids) {
      const row = byId.get(id);
      expect(row).toBeDefined();
      expect(row!.values.radius_mean).toEqual(expect.any(Number));
      expect(row!.prediction?.probability).toEqual(expect.any(Number));
    }
    const raw = [];
    for (const key of await captureKeys())
      raw.push(...(await readLines(runtime, 'artifacts', key)));
    expect(raw.join('\n')).not.toMatch(/carcinoma|pathology_note|MRN-/i);
  }, 30_000);
});
