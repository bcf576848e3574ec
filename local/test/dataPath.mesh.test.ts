import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { FeatureRecord } from '@cancer-mlops/shared/contracts/record.ts';
import type { LocalRuntime } from '../src/runtime.ts';
import { readStatus } from '../src/cli/status.ts';
import { eventually, readJson, readLines, startTestRuntime, tempStateDir } from './harness.ts';

const wdbcRows = fs
  .readFileSync(new URL('../../data/wdbc.data', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(','));

const COLUMNS = ['record_id', 'patient_id', 'event_time', 'diagnosis', ...WDBC_FEATURES];
const HEADER = [...COLUMNS, 'pathology_note'].join(',');

/** A row of the hospital CSV: WDBC measurements, an id, a patient, a label and a note. */
function csvRow(k: number, overrides: Record<string, string> = {}, note = ''): string {
  const cells: Record<string, string> = {
    record_id: `rec-${k}`,
    patient_id: `MRN-${1000 + k}`,
    event_time: '2026-11-02T10:00:00Z',
    diagnosis: wdbcRows[k][1],
  };
  WDBC_FEATURES.forEach((f, j) => (cells[f] = wdbcRows[k][j + 2]));
  Object.assign(cells, overrides);
  const quoted = `"${note.replace(/"/g, '""')}"`;
  return [...COLUMNS.map((c) => cells[c]), quoted].join(',');
}

describe('Local mesh: the data path (ingest -> scoring -> features)', () => {
  let runtime: LocalRuntime;
  let stateDir: string;

  beforeEach(async () => {
    stateDir = tempStateDir('datapath');
    runtime = await startTestRuntime('datapath', { stateDir });
  });

  afterEach(async () => {
    await runtime.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('puts every good row in the feature store with a score and every bad row in quarantine with its reason', async () => {
    // Prepare: a BOM, CRLF line ends, a note with quoted commas and line breaks, and broken rows.
    const good = [
      csvRow(
        0,
        {},
        'FINAL DIAGNOSIS:\r\nInvasive ductal carcinoma, grade 3, "high grade",\r\nmargins involved.',
      ),
      csvRow(1, {}, 'Benign breast tissue. No evidence of malignancy.'),
      csvRow(2),
      csvRow(3, {}, 'Fibroadenoma; negative for carcinoma.'),
      csvRow(4, { diagnosis: '' }, 'Ductal carcinoma in situ, cannot exclude microinvasion.'),
    ];
    const bad = [
      csvRow(5, { radius_mean: '?' }, 'should never be logged'),
      csvRow(6, { diagnosis: 'X' }),
      csvRow(7, { area_mean: '-3' }),
      csvRow(8, { texture_mean: 'twelve' }),
    ];
    const body = `\uFEFF${[HEADER, good[0], bad[0], good[1], bad[1], good[2], bad[2], good[3], bad[3], good[4]].join('\r\n')}\r\n`;

    // Act: copy the file by hand into the drop folder, as a hospital system would.
    const drop = path.join(stateDir, 'buckets', 'raw', 'incoming', 'ward 7');
    fs.mkdirSync(drop, { recursive: true });
    fs.writeFileSync(path.join(drop, 'nov#2.csv'), body);
    await eventually(
      'the file to be processed',
      async () => (await readStatus(runtime.state)).stages.ingest.files === 1,
    );
    await runtime.waitUntilIdle(500);

    // Assess: the good rows, scored, in the feature store.
    for (const k of [0, 1, 2, 3, 4]) {
      const record = (await runtime.state.features.latest(`rec-${k}`)) as FeatureRecord;
      expect(record).toBeDefined();
      expect(record.radius_mean).toBe(Number(wdbcRows[k][2]));
      expect(record.patient_id).toMatch(/^p_[0-9a-f]{32}$/);
      expect(record).not.toHaveProperty('pathology_note');
      if (k === 2) expect(record.score_source).toBe('none');
      else {
        expect(record.score_source).toBe('local');
        expect(record.malignancy_risk_score).toBeGreaterThanOrEqual(1);
      }
    }
    const highRisk = (await runtime.state.features.latest('rec-0')) as FeatureRecord;
    const benign = (await runtime.state.features.latest('rec-1')) as FeatureRecord;
    expect(highRisk.malignancy_risk_score).toBeGreaterThan(benign.malignancy_risk_score as number);
    for (const k of [5, 6, 7, 8])
      expect(await runtime.state.features.latest(`rec-${k}`)).toBeUndefined();

    // ... every bad row quarantined with a reason naming the field.
    const errors = (
      await readLines(runtime, 'raw', 'quarantine/ward 7/nov#2.csv.errors.jsonl')
    ).map((l) => JSON.parse(l));
    expect(errors).toHaveLength(4);
    const reasons = errors.map(
      (e: { reasons: { field: string; reason: string }[] }) => e.reasons[0],
    );
    expect(reasons).toEqual([
      { field: 'radius_mean', reason: 'missing' },
      expect.objectContaining({
        field: 'diagnosis',
        reason: expect.stringMatching(/^unknown diagnosis code/),
      }),
      expect.objectContaining({
        field: 'area_mean',
        reason: expect.stringMatching(/out of the physically possible range/),
      }),
      { field: 'texture_mean', reason: 'not a number' },
    ]);
    const quarantineText = JSON.stringify(errors);
    expect(quarantineText).not.toContain('should never be logged');
    expect(quarantineText).not.toContain('MRN-');

    // ... and the counts reconcile: rows = accepted + quarantined; accepted = written + dead-lettered.
    const summary = await readJson<{ rows: number; accepted: number; quarantined: number }>(
      runtime,
      'raw',
      'quarantine/ward 7/nov#2.csv.summary.json',
    );
    expect(summary).toEqual(expect.objectContaining({ rows: 9, accepted: 5, quarantined: 4 }));
    const status = await readStatus(runtime.state);
    const deadLettered = Object.values(status.queues).reduce((n, q) => n + q.dlq, 0);
    expect(status.stages.features.written + deadLettered).toBe(summary!.accepted);
    expect(status.stages.ingest).toEqual(
      expect.objectContaining({ rows: 9, accepted: 5, quarantined: 4 }),
    );

    // Nothing a patient could be recognised by reached the log.
    const log = fs.readFileSync(path.join(stateDir, 'logs', 'runtime.jsonl'), 'utf8');
    expect(log).not.toContain('MRN-');
    expect(log).not.toContain('should never be logged');
  });

  it('creates no duplicate features when the same file is dropped twice', async () => {
    // Prepare
    const body = [HEADER, csvRow(10, {}, 'benign'), csvRow(11, {}, 'carcinoma')].join('\n');
    fs.writeFileSync(path.join(stateDir, 'a.csv'), body);

    // Act
    await runtime.state.objects.put('raw', 'incoming/a.csv', body);
    await eventually(
      'first file',
      async () => (await readStatus(runtime.state)).stages.features.written === 2,
    );
    await runtime.state.objects.put('raw', 'incoming/a-again.csv', body);
    await eventually(
      'second file',
      async () => (await readStatus(runtime.state)).stages.features.duplicates === 2,
    );

    // Assess
    const offline = runtime.state.db.prepare('SELECT COUNT(*) AS n FROM fs_offline').get() as {
      n: number;
    };
    expect(offline.n).toBe(2);
  });

  it('dead-letters a message the scorer can never score, with the reason, and loses nothing else', async () => {
    // Prepare: a hospital LLM server that refuses every request.
    await runtime.stop();
    const llm = http.createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"model not loaded"}}');
    });
    await new Promise<void>((r) => llm.listen(0, '127.0.0.1', r));
    const { port } = llm.address() as { port: number };
    runtime = await startTestRuntime('datapath', {
      stateDir,
      env: {
        NOTE_SCORER: 'openai',
        OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
        OPENAI_MODEL: 'm',
      },
    });
    const body = [HEADER, csvRow(20, {}, 'invasive carcinoma'), csvRow(21)].join('\n');

    try {
      // Act
      await runtime.state.objects.put('raw', 'incoming/poison.csv', body);
      await eventually(
        'the dead letter',
        async () => (await readStatus(runtime.state)).queues['notes-to-score']?.dlq === 1,
      );
      await runtime.waitUntilIdle(300);

      // Assess: the note-less row went through; the other one waits in the DLQ with its reason.
      expect(await runtime.state.features.latest('rec-21')).toBeDefined();
      const [letter] = runtime.state.queues.dlqList('cancer-mlops-local-notes-to-score');
      expect(letter.receiveCount).toBe(5);
      expect(letter.error).toMatch(/400/);
      expect(letter.error).not.toContain('invasive carcinoma');
      const status = await readStatus(runtime.state);
      expect(status.stages.ingest.accepted).toBe(
        status.stages.features.written + status.queues['notes-to-score'].dlq,
      );
    } finally {
      llm.close();
    }
  });
});
