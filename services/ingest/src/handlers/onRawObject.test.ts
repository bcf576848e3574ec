import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { NoteToScoreMessage } from '@cancer-mlops/shared/contracts/messages.ts';
import { setLogSink, type LogEntry } from '@cancer-mlops/shared/runtime/logger.ts';
import {
  lambdaContext,
  s3EventFactory,
  s3TestEvent,
} from '@cancer-mlops/shared/testing/factories.ts';
import { pseudonymise } from '../identity.ts';
import type { IngestDeps } from '../ingestObject.ts';
import type { IngestSummary, QuarantineLine } from '../quarantine.ts';
import {
  MemoryEvents,
  MemoryMetrics,
  MemoryObjectStore,
  MemoryQueues,
  MemorySecrets,
  MemoryState,
} from '../testing/fakes.ts';
import { NOT_UTF8_ROW, NUL_ROW } from '../parse/readers.ts';
import { createHandler } from './onRawObject.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const RAW = 'cancer-mlops-test-raw';
const KEY = 'pseudonym key for tests';
const WDBC = readFileSync(new URL('../../../../data/wdbc.data', import.meta.url));
const WISCONSIN_ORIGINAL = readFileSync(
  new URL('../../../../data/breast-cancer-wisconsin.data', import.meta.url),
);

/** The first WDBC rows as (id, diagnosis, 30 measurements) string cells. */
const wdbcRows = WDBC.toString('utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(','));

const NOTE = 'Invasive ductal carcinoma, grade 3.\nMargins: "positive", 2 of 5 nodes.';
const MRN = 'MRN-0042';

function csv(rows: string[][], delimiter = ',', eol = '\n'): string {
  const quote = (c: string) => (/[",;\n\r\t]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return rows.map((r) => r.map(quote).join(delimiter)).join(eol) + eol;
}

/** A hospital-style CSV: record id, patient, diagnosis, measurements, note. */
function hospitalCsv(
  n: number,
  over: (row: string[], i: number) => string[] = (r) => r,
): string[][] {
  const header = ['record_id', 'patient_id', 'diagnosis', ...WDBC_FEATURES, 'pathology_note'];
  const rows = wdbcRows
    .slice(0, n)
    .map((r, i) => over([r[0], `${MRN}-${i}`, r[1], ...r.slice(2), i % 2 ? NOTE : ''], i));
  return [header, ...rows];
}

function setup() {
  const objects = new MemoryObjectStore();
  const queues = new MemoryQueues();
  const events = new MemoryEvents();
  const state = new MemoryState();
  const secrets = new MemorySecrets({ 'pseudonym-key': KEY });
  const metrics = new MemoryMetrics();
  let clock = new Date('2026-01-15T09:00:00.000Z');
  const deps: IngestDeps = {
    names,
    objects,
    queues,
    events,
    state,
    secrets,
    metrics,
    now: () => clock,
  };
  const handler = createHandler(async () => deps);
  const drop = async (key: string, body: string | Buffer) => {
    await objects.put('raw', key, body);
    await handler(
      s3EventFactory({ bucket: RAW, key, size: Buffer.byteLength(body) }),
      lambdaContext(),
    );
  };
  const summary = (key: string) => JSON.parse(objects.text('raw', key)!) as IngestSummary;
  const errors = (key: string) =>
    objects
      .text('raw', key)!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as QuarantineLine);
  const records = () =>
    queues
      .messages<NoteToScoreMessage>('notes-to-score')
      .map((m) => m.record as NoteToScoreMessage['record'] & Record<string, unknown>);
  return {
    objects,
    queues,
    events,
    state,
    secrets,
    metrics,
    handler,
    drop,
    summary,
    errors,
    records,
    tick: (ms: number) => (clock = new Date(clock.getTime() + ms)),
  };
}

describe('Handler: ingest.onRawObject', () => {
  let logs: LogEntry[];
  beforeEach(() => {
    logs = [];
    setLogSink((e) => logs.push(e));
  });
  afterEach(() => setLogSink(undefined));

  describe('a well-formed CSV', () => {
    it('sends every row to notes-to-score in batches of 10, pseudonymised, and reports RecordsIngested', async () => {
      // Prepare
      const t = setup();
      // Act
      await t.drop('incoming/2026/ward-a.csv', csv(hospitalCsv(23)));
      // Assess
      expect(t.queues.sent.map((s) => [s.queue, s.messages.length])).toEqual([
        ['notes-to-score', 10],
        ['notes-to-score', 10],
        ['notes-to-score', 3],
      ]);
      const [first, second] = t.queues.messages<NoteToScoreMessage>('notes-to-score');
      expect(first).toEqual({
        kind: 'note-to-score',
        record: {
          record_id: '842302',
          patient_id: pseudonymise(KEY, `${MRN}-0`),
          event_time: '2026-01-15T09:00:00.000Z',
          diagnosis: 'M',
          ...Object.fromEntries(WDBC_FEATURES.map((f, i) => [f, Number(wdbcRows[0][i + 2])])),
        },
        source: {
          bucket: RAW,
          key: 'incoming/2026/ward-a.csv',
          row: 1,
          ingest_id: expect.stringMatching(/^ing_[0-9a-f]{24}$/),
        },
      });
      expect(second.record.pathology_note).toBe(NOTE);
      expect(first.record.patient_id).toMatch(/^p_[0-9a-f]{32}$/);
      expect(JSON.stringify(t.queues.sent)).not.toContain(MRN);

      expect(t.events.published).toEqual([
        {
          source: 'cancer-mlops.ingest',
          'detail-type': 'RecordsIngested',
          detail: {
            ingest_id: first.source.ingest_id,
            bucket: RAW,
            key: 'incoming/2026/ward-a.csv',
            rows: 23,
            accepted: 23,
            quarantined: 0,
          },
        },
      ]);
      expect(t.summary('quarantine/2026/ward-a.csv.summary.json')).toMatchObject({
        rows: 23,
        accepted: 23,
        quarantined: 0,
        errors_key: null,
        format: 'csv',
        delimiter: ',',
      });
      expect(t.objects.keys('raw')).not.toContain('quarantine/2026/ward-a.csv.errors.jsonl');
      expect(t.metrics.counts).toEqual({
        FilesRead: 1,
        RowsRead: 23,
        RowsAccepted: 23,
        RowsQuarantined: 0,
      });
    });

    it('reads RFC 4180: BOM, CRLF, quoted commas, quotes and line breaks, even across tiny stream chunks', async () => {
      const t = setup();
      t.objects.chunkSize = 3;
      const note = 'Größe 2,5 cm; "suspicious"\r\nsecond line, with commas';
      const rows = hospitalCsv(2, (r, i) => (i === 0 ? [...r.slice(0, -1), note] : r));
      await t.drop('incoming/bom.csv', `\uFEFF${csv(rows, ',', '\r\n')}`);
      expect(t.records()).toHaveLength(2);
      expect(t.records()[0].pathology_note).toBe(note);
      expect(t.records()[0].record_id).toBe('842302');
    });

    it('reads the European dialect: `;` delimiter, decimal commas, scikit-learn header names', async () => {
      // Prepare: the same two rows, once plain and once as a German spreadsheet exports them.
      const t = setup();
      const sklearnHeader = [
        'id',
        'diagnosis',
        'mean radius',
        'mean texture',
        'mean perimeter',
        'mean area',
        'mean smoothness',
        'mean compactness',
        'mean concavity',
        'mean concave points',
        'mean symmetry',
        'mean fractal dimension',
        'radius error',
        'texture error',
        'perimeter error',
        'area error',
        'smoothness error',
        'compactness error',
        'concavity error',
        'concave points error',
        'symmetry error',
        'fractal dimension error',
        'worst radius',
        'worst texture',
        'worst perimeter',
        'worst area',
        'worst smoothness',
        'worst compactness',
        'worst concavity',
        'worst concave points',
        'worst symmetry',
        'worst fractal dimension',
      ];
      const rows = wdbcRows
        .slice(0, 2)
        .map((r) => [
          r[0],
          r[1] === 'M' ? '1' : '0',
          ...r.slice(2).map((v) => v.replace('.', ',')),
        ]);
      // Act
      await t.drop('incoming/eu.csv', csv([sklearnHeader, ...rows], ';', '\r\n'));
      // Assess
      const [a] = t.records();
      expect(a.radius_mean).toBe(17.99);
      expect(a.smoothness_mean).toBe(0.1184);
      expect(a.diagnosis).toBe('M');
      expect(t.summary('quarantine/eu.csv.summary.json')).toMatchObject({
        delimiter: ';',
        accepted: 2,
      });
    });

    it('quarantines a number written with the other decimal mark in a semicolon file (a thousands dot)', async () => {
      // Prepare: decimal commas; the second row's area_mean (the 4th measurement) is "1.001".
      const t = setup();
      const header = ['id', 'diagnosis', ...WDBC_FEATURES];
      const rows = wdbcRows
        .slice(0, 3)
        .map((r, i) => [
          r[0],
          r[1],
          ...r.slice(2).map((v, j) => (i === 1 && j === 3 ? '1.001' : v.replace('.', ','))),
        ]);
      // Act
      await t.drop('incoming/eu-dots.csv', csv([header, ...rows], ';', '\n'));
      // Assess
      expect(t.records().map((r) => r.radius_mean)).toEqual([17.99, 19.69]);
      expect(
        t.errors('quarantine/eu-dots.csv.errors.jsonl').map((e) => [e.row, e.reasons]),
      ).toEqual([
        [
          2,
          [
            {
              field: 'area_mean',
              reason:
                'written with a decimal "." where this file\'s numbers use "," (a thousands separator?): write it as the others are',
            },
          ],
        ],
      ]);
    });

    it('reads the original UCI wdbc.data (no header) as it is: 569 rows, 357 B and 212 M', async () => {
      const t = setup();
      await t.drop('incoming/wdbc.data', WDBC);
      const records = t.records();
      expect(records).toHaveLength(569);
      expect(records.filter((r) => r.diagnosis === 'M')).toHaveLength(212);
      expect(new Set(records.map((r) => r.record_id)).size).toBe(569);
      expect(t.queues.sent.every((s) => s.messages.length <= 10)).toBe(true);
    });

    it('reads a tab-separated file', async () => {
      const t = setup();
      await t.drop('incoming/tabs.tsv', csv(hospitalCsv(3), '\t'));
      expect(t.records()).toHaveLength(3);
    });
  });

  describe('JSON Lines', () => {
    it('accepts objects keyed by aliases and quarantines lines that are not objects', async () => {
      const t = setup();
      const measurements = Object.fromEntries(
        WDBC_FEATURES.map((f, i) => [f, Number(wdbcRows[0][i + 2])]),
      );
      const lines = [
        JSON.stringify({
          id: 'j1',
          mrn: 'MRN-7',
          label: 'malignant',
          note: NOTE,
          timestamp: '2025-12-01T10:00:00+01:00',
          ...measurements,
        }),
        '',
        JSON.stringify({
          record_id: 'j2',
          diagnosis: 'b',
          malignancy_risk_score: 3,
          ...measurements,
          radius_mean: '?',
        }),
        '{"record_id": "j3", broken',
        '[1, 2]',
        JSON.stringify({
          record_id: 'j4',
          diagnosis: 'B',
          risk_score: 4,
          hospital_ward: 'east',
          ...measurements,
        }),
      ];
      await t.drop('incoming/feed.jsonl', lines.join('\r\n'));
      expect(
        t.records().map((r) => [r.record_id, r.diagnosis, r.event_time, r.malignancy_risk_score]),
      ).toEqual([
        ['j1', 'M', '2025-12-01T09:00:00.000Z', undefined],
        ['j4', 'B', '2026-01-15T09:00:00.000Z', 4],
      ]);
      expect(t.errors('quarantine/feed.jsonl.errors.jsonl')).toEqual([
        {
          row: 2,
          reasons: [{ field: 'radius_mean', reason: 'missing' }],
          fields: expect.objectContaining({ record_id: 'j2', radius_mean: '?' }),
        },
        { row: 3, reasons: [{ field: '(row)', reason: 'not valid JSON' }], fields: {} },
        { row: 4, reasons: [{ field: '(row)', reason: 'not a JSON object' }], fields: {} },
      ]);
      expect(t.summary('quarantine/feed.jsonl.summary.json')).toMatchObject({
        format: 'jsonl',
        rows: 5,
        accepted: 2,
        quarantined: 3,
        ignored_columns: ['hospital_ward'],
      });
    });

    it('quarantines an object with a `target` key instead of guessing which way 0/1 go', async () => {
      const t = setup();
      const measurements = Object.fromEntries(
        WDBC_FEATURES.map((f, i) => [f, Number(wdbcRows[0][i + 2])]),
      );
      await t.drop(
        'incoming/sk.jsonl',
        `${JSON.stringify({ record_id: 's1', target: 0, ...measurements })}\n`,
      );
      expect(t.records()).toEqual([]);
      expect(t.errors('quarantine/sk.jsonl.errors.jsonl')[0].reasons).toEqual([
        { field: 'diagnosis', reason: expect.stringMatching(/target.*ambiguous/) },
      ]);
    });
  });

  describe('bad rows', () => {
    it('quarantines every malformed row with a reason per field, keeping no note text or raw patient id', async () => {
      // Prepare
      const t = setup();
      const col = (name: string) =>
        ['record_id', 'patient_id', 'diagnosis', ...WDBC_FEATURES, 'pathology_note'].indexOf(name);
      const set = (r: string[], name: string, v: string) =>
        Object.assign([...r], { [col(name)]: v });
      const rows = hospitalCsv(9, (r, i) => {
        switch (i) {
          case 1:
            return set(set(set(r, 'radius_mean', '?'), 'texture_mean', 'NA'), 'area_mean', '');
          case 2:
            return set(r, 'perimeter_mean', 'twelve');
          case 3:
            return set(r, 'area_mean', '99999');
          case 4:
            return set(r, 'diagnosis', 'X');
          case 5:
            return set(r, 'pathology_note', 'x'.repeat(100_001));
          case 6:
            return r.slice(0, 10);
          default:
            return r;
        }
      });
      // Act
      await t.drop('incoming/bad.csv', csv(rows));
      // Assess
      const lines = t.errors('quarantine/bad.csv.errors.jsonl');
      expect(lines.map((l) => [l.row, l.reasons])).toEqual([
        [
          2,
          [
            { field: 'radius_mean', reason: 'missing' },
            { field: 'texture_mean', reason: 'missing' },
            { field: 'area_mean', reason: 'missing' },
          ],
        ],
        [3, [{ field: 'perimeter_mean', reason: 'not a number' }]],
        [4, [{ field: 'area_mean', reason: 'out of the physically possible range 0 to 50000' }]],
        [
          5,
          [
            {
              field: 'diagnosis',
              reason: 'unknown diagnosis code (expected one of M, 1, malignant, B, 0, benign)',
            },
          ],
        ],
        [6, [{ field: 'pathology_note', reason: 'note too long (over 100000 characters)' }]],
        [7, [{ field: '(row)', reason: 'expected 34 fields, found 10' }]],
      ]);
      expect(lines[0].fields).toMatchObject({
        record_id: wdbcRows[1][0],
        patient_id: pseudonymise(KEY, `${MRN}-1`),
        radius_mean: '?',
        note_length: NOTE.length,
      });
      const file = t.objects.text('raw', 'quarantine/bad.csv.errors.jsonl')!;
      expect(file).not.toContain(MRN);
      expect(file).not.toContain('carcinoma');
      expect(t.summary('quarantine/bad.csv.summary.json')).toMatchObject({
        rows: 9,
        accepted: 3,
        quarantined: 6,
        errors_key: 'quarantine/bad.csv.errors.jsonl',
        reasons: expect.objectContaining({ 'radius_mean: missing': 1, 'area_mean: missing': 1 }),
      });
      expect(t.records()).toHaveLength(3);
      expect(t.events.published[0].detail).toMatchObject({
        rows: 9,
        accepted: 3,
        quarantined: 6,
        quarantine_key: 'quarantine/bad.csv.errors.jsonl',
      });
      // Missing values are never zero: no accepted record has a made-up measurement.
      expect(t.records().every((r) => WDBC_FEATURES.every((f) => (r[f] as number) > 0))).toBe(true);
    });

    it('quarantines a row too large for the queue once JSON has escaped it, whatever its note length', async () => {
      // Prepare: 50,000 control characters are 300,000 bytes as JSON (\u000b each); 90,000
      // CJK characters are 270,000 bytes of UTF-8. Both are within the 100,000 characters.
      const t = setup();
      const col = ['record_id', 'patient_id', 'diagnosis', ...WDBC_FEATURES].length;
      const rows = hospitalCsv(3, (r, i) =>
        i === 1
          ? Object.assign([...r], { [col]: `"${'\u000b'.repeat(50_000)} carcinoma"` })
          : i === 2
            ? Object.assign([...r], { [col]: '癌'.repeat(90_000) })
            : r,
      );

      // Act
      await t.drop('incoming/big-notes.csv', csv(rows));

      // Assess
      expect(
        t.errors('quarantine/big-notes.csv.errors.jsonl').map((l) => [l.row, l.reasons]),
      ).toEqual([
        [2, [{ field: 'pathology_note', reason: 'record too large for the queue (256 KiB)' }]],
        [3, [{ field: 'pathology_note', reason: 'record too large for the queue (256 KiB)' }]],
      ]);
      expect(t.records()).toHaveLength(1);
    });

    it('quarantines a record id repeated at the same event time with other values, and passes replays', async () => {
      // Prepare: rows 1-2 the same record twice (a replay); row 3 the first record again with
      // another radius (a conflict); row 4 another record.
      const t = setup();
      const [header, a, b] = hospitalCsv(2);
      const changed = [...a];
      changed[3] = String(Number(a[3]) + 1);

      // Act
      await t.drop('incoming/repeats.csv', csv([header, a, a, changed, b]));

      // Assess
      expect(
        t.errors('quarantine/repeats.csv.errors.jsonl').map((l) => [l.row, l.reasons]),
      ).toEqual([
        [
          3,
          [
            {
              field: 'record_id',
              reason:
                'the same record_id and event time as row 1 with other measurements or diagnosis; a correction needs a later event_time',
            },
          ],
        ],
      ]);
      expect(t.records().map((r) => r.record_id)).toEqual([a[0], a[0], b[0]]);
    });

    it('quarantines an unclosed quote as one row and keeps the rows before it', async () => {
      const t = setup();
      const rows = csv(hospitalCsv(2));
      await t.drop(
        'incoming/quote.csv',
        `${rows}${wdbcRows[5][0]},"MRN,${'1,'.repeat(32)}\n${csv(hospitalCsv(1).slice(1))}`,
      );
      expect(t.summary('quarantine/quote.csv.summary.json')).toMatchObject({
        rows: 3,
        accepted: 2,
        quarantined: 1,
      });
      expect(t.errors('quarantine/quote.csv.errors.jsonl')[0].reasons[0].reason).toMatch(
        /quoted field is never closed/,
      );
    });

    it('never logs note text or patient ids', async () => {
      const t = setup();
      await t.drop(
        'incoming/logs.csv',
        csv(hospitalCsv(4, (r, i) => (i === 1 ? [...r.slice(0, 5), 'oops', ...r.slice(6)] : r))),
      );
      const text = JSON.stringify(logs);
      expect(logs.length).toBeGreaterThan(0);
      expect(text).not.toContain(MRN);
      expect(text).not.toContain('carcinoma');
    });
  });

  describe('files that are not CSV or JSON Lines', () => {
    it.each([
      [
        'binary',
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
        /binary/,
      ],
      ['empty', Buffer.alloc(0), /empty/],
      ['whitespace only', Buffer.from('\uFEFF \r\n\r\n'), /empty/],
      ['UTF-16', Buffer.from('\uFEFFid,diagnosis\n', 'utf16le'), /UTF-16/],
      ['a JSON array', Buffer.from('[{"id": 1}]'), /JSON array/],
      ['a wrong header', Buffer.from('name,age,city\nx,1,y\n'), /no recognised header/],
      [
        'a header missing measurements',
        Buffer.from('id,diagnosis,radius_mean\n1,M,12\n'),
        /wrong header: 29 of 30 measurement column\(s\) missing/,
      ],
      [
        'the original Wisconsin file (other features, no header)',
        WISCONSIN_ORIGINAL,
        /no recognised header/,
      ],
    ])('refuses %s with one summary explaining why', async (_label, body, reason) => {
      const t = setup();
      await t.drop('incoming/file.bin', body);
      const summary = t.summary('quarantine/file.bin.summary.json');
      expect(summary).toMatchObject({ rows: 0, accepted: 0, quarantined: 0, errors_key: null });
      expect(summary.file_error).toMatch(reason);
      expect(t.objects.keys('raw').sort()).toEqual([
        'incoming/file.bin',
        'quarantine/file.bin.summary.json',
      ]);
      expect(t.queues.sent).toEqual([]);
      expect(t.events.published[0].detail).toMatchObject({
        rows: 0,
        file_error: summary.file_error,
        quarantine_key: 'quarantine/file.bin.summary.json',
      });
      expect(t.metrics.counts.FilesRefused).toBe(1);
    });

    it('quarantines a row that is not UTF-8 after the first 64 KiB, where the file was already judged UTF-8', async () => {
      // Prepare: a Windows-1252 export whose first accented note comes late (0xF6 is ö there).
      const t = setup();
      const head = Buffer.from(csv(hospitalCsv(300)));
      const late = Buffer.from(
        csv([hospitalCsv(302, (r) => r.map((c) => (c === NOTE ? 'b\u00f6sartig' : c)))[302]]),
        'latin1',
      );
      const jsonl = Buffer.concat([
        Buffer.from(`${JSON.stringify({ a: 'x'.repeat(70_000) })}\n`),
        Buffer.from('{"record_id": "r\u00e9"}\n', 'latin1'),
      ]);
      expect(head.length).toBeGreaterThan(64 * 1024);

      // Act
      await t.drop('incoming/cp1252.csv', Buffer.concat([head, late]));
      await t.drop('incoming/cp1252.jsonl', jsonl);

      // Assess
      expect(t.errors('quarantine/cp1252.csv.errors.jsonl').map((l) => [l.row, l.reasons])).toEqual(
        [[301, [{ field: '(row)', reason: NOT_UTF8_ROW }]]],
      );
      expect(t.errors('quarantine/cp1252.jsonl.errors.jsonl').map((l) => l.reasons)).toContainEqual(
        [{ field: '(row)', reason: NOT_UTF8_ROW }],
      );
      expect(t.records()).toHaveLength(300);
    });

    it('quarantines a row with a NUL byte after the first 64 KiB, as a NUL in the head refuses the file', async () => {
      // Prepare: a NUL inside a late note (CSV), and in a late JSON Lines line.
      const t = setup();
      const rows = hospitalCsv(302, (r) => r.map((c) => (c === NOTE ? 'benign\u0000 lesion' : c)));
      const head = Buffer.from(csv(hospitalCsv(300)));
      const late = Buffer.from(csv([rows[302]]));
      const jsonl = `${JSON.stringify({ a: 'x'.repeat(70_000) })}\n{"record_id": "r\u0000"}\n`;
      expect(head.length).toBeGreaterThan(64 * 1024);

      // Act
      await t.drop('incoming/late-nul.csv', Buffer.concat([head, late]));
      await t.drop('incoming/late-nul.jsonl', jsonl);

      // Assess
      expect(
        t.errors('quarantine/late-nul.csv.errors.jsonl').map((l) => [l.row, l.reasons]),
      ).toEqual([[301, [{ field: '(row)', reason: NUL_ROW }]]]);
      expect(
        t.errors('quarantine/late-nul.jsonl.errors.jsonl').map((l) => l.reasons),
      ).toContainEqual([{ field: '(row)', reason: NUL_ROW }]);
      expect(t.records()).toHaveLength(300);
    });

    it('names ignored columns and keys only when they look like column names', async () => {
      // Prepare: a note pasted into a header cell, and JSON Lines keyed by record number.
      const t = setup();
      const rows = hospitalCsv(2, (r) => [...r, '1']);
      rows[0].push('Invasive ductal carcinoma, grade 3');
      const measurements = Object.fromEntries(WDBC_FEATURES.map((f, i) => [f, wdbcRows[0][i + 2]]));
      const jsonl = `${JSON.stringify({ ...measurements, 'MRN-77441190': 1, ward: 'B' })}\n`;

      // Act
      await t.drop('incoming/noted.csv', csv(rows));
      await t.drop('incoming/keyed.jsonl', jsonl);

      // Assess
      expect(t.summary('quarantine/noted.csv.summary.json').ignored_columns).toEqual([
        '(column 35: 34 characters, not shown)',
      ]);
      expect(t.summary('quarantine/keyed.jsonl.summary.json').ignored_columns).toEqual([
        '(a key: 12 characters, not shown)',
        'ward',
      ]);
    });

    it('never quotes cells of a refused header (they may be patient data)', async () => {
      const t = setup();
      await t.drop('incoming/x.csv', 'MRN-99817,Jane Doe,1970-01-01\n');
      expect(t.summary('quarantine/x.csv.summary.json').file_error).not.toMatch(/MRN-99817|Jane/);
    });
  });

  describe('idempotency', () => {
    it('gives the same records the same ids and event times when a file is dropped again, even under another name', async () => {
      // Prepare: rows without record_id or event_time, the hard case.
      const t = setup();
      const rows = hospitalCsv(12).map((r) => r.slice(1));
      // Act
      await t.drop('incoming/monday.csv', csv(rows));
      const first = t.records();
      t.tick(86_400_000);
      await t.drop('incoming/monday.csv', csv(rows));
      await t.drop('incoming/monday-again.csv', csv(rows));
      // Assess
      const all = t.records();
      expect(all).toHaveLength(36);
      const keyOf = (r: { record_id: string; event_time: string }) =>
        `${r.record_id}@${r.event_time}`;
      expect(new Set(all.map(keyOf))).toEqual(new Set(first.map(keyOf)));
      expect(first[0].record_id).toMatch(/^r_[0-9a-f]{32}$/);
      expect(first[0].event_time).toBe('2026-01-15T09:00:00.000Z');
    });

    it('gives a changed file new event times', async () => {
      const t = setup();
      await t.drop('incoming/a.csv', csv(hospitalCsv(2)));
      t.tick(1000);
      await t.drop('incoming/a.csv', csv(hospitalCsv(3)));
      expect(t.records().map((r) => r.event_time)).toEqual([
        '2026-01-15T09:00:00.000Z',
        '2026-01-15T09:00:00.000Z',
        '2026-01-15T09:00:01.000Z',
        '2026-01-15T09:00:01.000Z',
        '2026-01-15T09:00:01.000Z',
      ]);
    });
  });

  describe('streaming', () => {
    it('sends the first rows before the file has been read to the end', async () => {
      // Prepare: a 5,000-row file produced lazily, recording how far it had got.
      const t = setup();
      const rows = hospitalCsv(1)[0];
      const line = csv(hospitalCsv(1)).split('\n')[1];
      const total = 5_000;
      let produced = 0;
      const progressAtFirstSend: number[] = [];
      const send = t.queues.send.bind(t.queues);
      t.queues.send = async (queue, messages) => {
        if (progressAtFirstSend.length === 0) progressAtFirstSend.push(produced);
        return send(queue, messages);
      };
      await t.objects.put('raw', 'incoming/big.csv', 'placeholder');
      t.objects.getStream = async () =>
        Readable.from(
          (function* () {
            yield Buffer.from(`${rows.join(',')}\n`);
            for (produced = 0; produced < total; produced += 1) yield Buffer.from(`${line}\n`);
          })(),
        );
      // Act
      await t.handler(s3EventFactory({ bucket: RAW, key: 'incoming/big.csv' }), lambdaContext());
      // Assess
      expect(t.records()).toHaveLength(total);
      expect(progressAtFirstSend[0]).toBeLessThan(total / 2);
    });
  });

  describe('events', () => {
    it('acknowledges the s3:TestEvent without doing anything', async () => {
      const t = setup();
      await expect(
        t.handler(s3TestEvent({ bucket: RAW }), lambdaContext()),
      ).resolves.toBeUndefined();
      expect(t.queues.sent).toEqual([]);
      expect(t.events.published).toEqual([]);
    });

    it('decodes URL-encoded keys and writes the quarantine next to the decoded name', async () => {
      const t = setup();
      await t.drop('incoming/Jan 2026/ward #1 (B).csv', csv(hospitalCsv(1)));
      expect(t.objects.keys('raw')).toContain('quarantine/Jan 2026/ward #1 (B).csv.summary.json');
    });

    it('ignores keys outside incoming/', async () => {
      const t = setup();
      await t.objects.put('raw', 'quarantine/x.csv.summary.json', '{}');
      await t.handler(
        s3EventFactory({ bucket: RAW, key: 'quarantine/x.csv.summary.json' }),
        lambdaContext(),
      );
      expect(t.events.published).toEqual([]);
    });

    it('fails the invocation when the queue is down, leaving no partial quarantine file', async () => {
      const t = setup();
      t.queues.failWith = new Error('QueueSendError: 10 of 10 message(s) not accepted');
      const rows = hospitalCsv(12, (r, i) =>
        i === 0 ? [...r.slice(0, 3), 'bad', ...r.slice(4)] : r,
      );
      await t.objects.put('raw', 'incoming/down.csv', csv(rows));
      await expect(
        t.handler(s3EventFactory({ bucket: RAW, key: 'incoming/down.csv' }), lambdaContext()),
      ).rejects.toThrow(/1 object\(s\) failed to ingest: .*QueueSendError/);
      expect(t.objects.keys('raw')).toEqual(['incoming/down.csv']);
      expect(t.events.published).toEqual([]);
    });

    it('throws on an event that is not an S3 notification', async () => {
      const t = setup();
      await expect(t.handler({ hello: 'world' }, lambdaContext())).rejects.toThrow(
        /not an S3 notification/,
      );
    });
  });
});
