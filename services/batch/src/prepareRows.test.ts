import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { modelInputValidator } from '@cancer-mlops/shared/domain/validation/modelInput.ts';
import { FileRefusedError, rowPreparer, sniffFormat, type RowError } from './prepareRows.ts';
import { fakeScorer, HEADER, ROW_1, ROW_2 } from '../test/batchFakes.ts';

/** `head`: the bytes the format is sniffed from (prepareBatch's first chunk); all by default. */
async function prepare(text: string, chunkBytes = 1 << 20, head?: string) {
  const errors: RowError[] = [];
  const scorer = fakeScorer();
  const bytes = Buffer.from(text, 'utf8');
  const preparer = rowPreparer(sniffFormat(head === undefined ? bytes : Buffer.from(head)), {
    validator: modelInputValidator(),
    scorer,
    onError: (e) => errors.push(e),
  });
  const chunks = (async function* () {
    for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
  })();
  const out: Buffer[] = [];
  for await (const b of preparer.prepare(chunks)) out.push(Buffer.from(b));
  return { output: Buffer.concat(out).toString('utf8'), errors, stats: preparer.stats, scorer };
}

const line = (id: string, values: number[], score: number | string) =>
  `${id},${values.join(',')},${score}`;

describe('Class: CsvRowPreparer', () => {
  it('passes a clean file in model layout through unchanged, in order', async () => {
    // Prepare
    const rows = [line('a-1', ROW_1, 9), line('a-2', ROW_2, 2)];
    // Act
    const { output, errors, stats } = await prepare(`${HEADER}\n${rows.join('\n')}\n`);
    // Assess
    expect(output).toBe(`${rows.join('\n')}\n`);
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ format: 'csv', rows: 2, valid: 2, errors: 0 });
  });

  it('gives the same output whatever the chunk size (lines cut anywhere)', async () => {
    // Prepare
    const body = Array.from({ length: 50 }, (_, i) =>
      line(`r${i}`, i % 2 ? ROW_1 : ROW_2, (i % 10) + 1),
    );
    const bad = line(
      'bad',
      ROW_1.map((v, i) => (i === 3 ? -1 : v)),
      3,
    );
    const text = `\uFEFF${HEADER}\r\n${body.slice(0, 25).join('\r\n')}\r\n${bad}\r\n${body.slice(25).join('\n')}`;
    // Act
    const whole = await prepare(text);
    const results = await Promise.all([1, 7, 64, 333].map((size) => prepare(text, size)));
    // Assess
    expect(whole.output).toBe(`${body.join('\n')}\n`);
    expect(whole.errors).toEqual([
      {
        row: 26,
        record_id: 'bad',
        errors: [{ field: 'area_mean', reason: 'out of the physically possible range 0 to 50000' }],
      },
    ]);
    for (const r of results) {
      expect(r.output).toBe(whole.output);
      expect(r.errors).toEqual(whole.errors);
    }
  });

  it('maps aliases in any column order, scores notes in order, and refuses bad rows with every reason', async () => {
    // Prepare: scikit-learn names, reversed, a note column with quotes and a line break, an extra column.
    const names = [...WDBC_FEATURES].reverse();
    const sk = names.map((n) =>
      n.replace(/_(mean|se|worst)$/, (_m, s: string) => ` ${s}`).replace(/_/g, ' '),
    );
    const header = ['Sample ID', ...sk, 'Pathology Report', 'ward'].join(',');
    const values = (row: number[]) => [...row].reverse().join(',');
    const rows = [
      `p1,${values(ROW_1)},"Invasive carcinoma, grade 8.\nSee ""margins"".",A`,
      `p2,${values(ROW_2)},,B`,
      `p3,${values(ROW_2.map((v, i) => (i === 0 ? Number.NaN : v)))},benign 2,C`,
      `p4,${values(ROW_2)},FAIL this note,D`,
      `p5,${values(ROW_2)},fibroadenoma 3,E`,
    ];
    // Act
    const { output, errors, stats, scorer } = await prepare(`${header}\n${rows.join('\n')}\n`);
    // Assess
    expect(output.split('\n')).toEqual([`p1,${ROW_1.join(',')},8`, `p5,${ROW_2.join(',')},3`, '']);
    expect(scorer.notes).toEqual([
      'Invasive carcinoma, grade 8.\nSee "margins".',
      'FAIL this note',
      'fibroadenoma 3',
    ]);
    expect(errors).toEqual([
      {
        row: 2,
        record_id: 'p2',
        errors: [
          {
            field: 'malignancy_risk_score',
            reason: 'needs a pathology_note or a malignancy_risk_score',
          },
        ],
      },
      { row: 3, record_id: 'p3', errors: [{ field: 'radius_mean', reason: 'missing' }] },
      {
        row: 4,
        record_id: 'p4',
        errors: [{ field: 'pathology_note', reason: 'the note could not be scored (Error)' }],
      },
    ]);
    expect(JSON.stringify(errors)).not.toContain('FAIL');
    expect(stats).toMatchObject({
      rows: 5,
      valid: 2,
      errors: 3,
      notes_scored: 2,
      ignored_columns: ['ward'],
    });
  });

  it('uses the row number as record id when there is none, and refuses ids a CSV cell cannot carry', async () => {
    // Prepare
    const rows = [
      line('', ROW_1, 4),
      line('"x,y"', ROW_2, 4),
      line('"ok id"', ROW_2, 5),
      line('NA', ROW_1, 6),
    ];
    // Act
    const { output, errors } = await prepare(`${HEADER}\n${rows.join('\n')}\n`);
    // Assess
    expect(output.split('\n')).toEqual([
      `1,${ROW_1.join(',')},4`,
      `ok id,${ROW_2.join(',')},5`,
      `4,${ROW_1.join(',')},6`,
      '',
    ]);
    expect(errors).toEqual([
      {
        row: 2,
        errors: [{ field: 'record_id', reason: 'contains a comma, a quote or a line break' }],
      },
    ]);
  });

  it('refuses record ids a spreadsheet would run as a formula, in CSV and JSON Lines', async () => {
    // Prepare: the output CSV is opened in spreadsheets; `=HYPERLINK(...)` there is an attack.
    const rows = [
      line('=HYPERLINK("http://x")'.replace(/"/g, ''), ROW_1, 4),
      line('+1+1', ROW_1, 4),
      line('@SUM(A1)', ROW_2, 4),
      line('-2+3', ROW_2, 4),
      line('-17', ROW_1, 5),
      line('a=b', ROW_2, 5),
    ];
    const jsonl = (id: string) =>
      JSON.stringify({
        record_id: id,
        ...Object.fromEntries(WDBC_FEATURES.map((f, i) => [f, ROW_1[i]])),
        malignancy_risk_score: 3,
      });
    // Act
    const csv = await prepare(`${HEADER}\n${rows.join('\n')}\n`);
    const lines = await prepare(`${jsonl('=1+1')}\n${jsonl('ok')}\n`);
    // Assess: plain numbers and an inner `=` are harmless; the rest never reaches the output.
    expect(csv.output.split('\n').map((l) => l.split(',')[0])).toEqual(['-17', 'a=b', '']);
    const reason = 'starts with =, +, -, @ or a tab, which a spreadsheet would run as a formula';
    expect(csv.errors).toEqual(
      [1, 2, 3, 4].map((row) => ({ row, errors: [{ field: 'record_id', reason }] })),
    );
    expect(lines.output.split(',')[0]).toBe('ok');
    expect(lines.errors).toEqual([{ row: 1, errors: [{ field: 'record_id', reason }] }]);
  });

  it('refuses record ids with control characters, also on the fast path past the first chunk', async () => {
    // Prepare: a lone CR is a row break to spreadsheets, so `x\r=1+1` would smuggle a formula.
    const text = `${HEADER}\n${line('warm', ROW_1, 4)}\n${line('x\r=1+1', ROW_1, 4)}\n${line('y\u000bz', ROW_2, 4)}\n`;
    // Act: one chunk, and chunks cut after the header (the byte-level reader reads the rows).
    const results = [await prepare(text), await prepare(text, HEADER.length + 1)];
    // Assess
    for (const { output, errors } of results) {
      expect(output.split('\n').map((l) => l.split(',')[0])).toEqual(['warm', '']);
      // The first-chunk reader takes the lone CR as a row break (two bad rows), the byte-level
      // one as part of the id (one bad row): either way nothing after `warm` is predicted.
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(errors.at(-1)?.errors).toEqual([
        { field: 'record_id', reason: 'contains a control character' },
      ]);
    }
  });

  it('lists missing, malformed and out-of-range values, bad scores and wrong field counts', async () => {
    // Prepare
    const withCells = (cells: Record<number, string>, score: string) =>
      `r,${ROW_1.map((v, i) => cells[i] ?? String(v)).join(',')},${score}`;
    const rows = [
      withCells({ 0: '', 1: '?', 2: '12abc', 3: '1e9' }, '11'),
      withCells({}, '7.5'),
      'r,1,2,3',
      ' , , ',
      withCells({ 4: ' 0.2 ', 5: '+.5' }, '7.0'),
    ];
    // Act
    const { output, errors, stats } = await prepare(`${HEADER}\n${rows.join('\n')}\n`);
    // Assess
    expect(errors).toEqual([
      {
        row: 1,
        record_id: 'r',
        errors: [
          { field: 'radius_mean', reason: 'missing' },
          { field: 'texture_mean', reason: 'missing' },
          { field: 'perimeter_mean', reason: 'not a number' },
          { field: 'area_mean', reason: 'out of the physically possible range 0 to 50000' },
          { field: 'malignancy_risk_score', reason: 'not an integer from 1 to 10' },
        ],
      },
      {
        row: 2,
        record_id: 'r',
        errors: [{ field: 'malignancy_risk_score', reason: 'not an integer from 1 to 10' }],
      },
      { row: 3, errors: [{ field: '(row)', reason: 'the row has 4 fields; the header has 32' }] },
    ]);
    // Spaces and unusual spellings are rewritten as plain numbers for the model.
    const cells = output.trimEnd().split(',');
    expect([cells[5], cells[6], cells[31]]).toEqual(['0.2', '0.5', '7.0']);
    expect(stats.rows).toBe(4);
  });

  it("skips blank lines and a spreadsheet's empty rows without counting them, and gives a ragged row no id", async () => {
    // Prepare
    const text = [
      HEADER,
      line('a-1', ROW_1, 9),
      '',
      ' ',
      ',,,',
      line('a-2', ROW_2, 2),
      `${line('a-3', ROW_2, 2)},extra`,
      line('a-4', ROW_1, 4),
    ].join('\n');
    // Act
    const { output, errors, stats } = await prepare(`${text}\n`);
    // Assess
    expect(
      output
        .trimEnd()
        .split('\n')
        .map((l) => l.split(',')[0]),
    ).toEqual(['a-1', 'a-2', 'a-4']);
    expect(errors).toEqual([
      { row: 3, errors: [{ field: '(row)', reason: 'the row has 33 fields; the header has 32' }] },
    ]);
    expect(stats).toMatchObject({ rows: 4, valid: 3, errors: 1 });
  });

  describe('a record too long to buffer (over 4,000,000 bytes)', () => {
    const header = `${HEADER.replace(',malignancy_risk_score', '')},pathology_note`;
    const noted = (id: string, row: number[], note: string) => `${id},${row.join(',')},${note}`;
    // A note of 9 MB whose own lines look like rows: none of them may be read as one. (A record
    // that fits in the buffer with the chunk after it is read whole; this one never does.)
    const injected = noted('INJECTED-FROM-NOTE', ROW_1, 'benign 2');
    const secret = 'Jane Doe MRN 123456 told the nurse about a lump, findings';
    const longNote = `"${'Pathology narrative, no secrets here.\n'.repeat(240_000)}${injected}\n${secret}\n""quoted"" tail"`;

    it.each([1 << 20, 64 * 1024, 4_000_037])(
      'passes over it to its true end, quotes and line breaks and all (chunks of %d bytes)',
      async (chunkBytes) => {
        // Prepare
        const text = [
          header,
          noted('a-1', ROW_1, 'grade 8'),
          noted('a-2', ROW_2, longNote),
          noted('a-3', ROW_2, 'benign 2'),
        ].join('\r\n');
        // Act
        const { output, errors, stats } = await prepare(`${text}\r\n`, chunkBytes);
        // Assess
        expect(output.split('\n').map((l) => l.split(',')[0])).toEqual(['a-1', 'a-3', '']);
        expect(errors).toEqual([
          {
            row: 2,
            errors: [
              {
                field: '(row)',
                reason:
                  'CSV syntax: row longer than 4000000 bytes (a note that long, or a quote closed only much later)',
              },
            ],
          },
        ]);
        expect(JSON.stringify(errors)).not.toMatch(/INJECTED|Jane|MRN|narrative/);
        expect(stats).toMatchObject({ rows: 3, valid: 2, errors: 1 });
      },
    );

    it('says so when its quote never closes, and reads nothing after it as a row', async () => {
      // Prepare
      const text = [
        header,
        noted('a-1', ROW_1, 'grade 8'),
        noted('a-2', ROW_2, `"never closed\n${`${'x'.repeat(100)}\n`.repeat(45_000)}`),
        noted('a-3', ROW_2, 'benign 2'),
      ].join('\n');
      // Act
      const { output, errors, stats } = await prepare(`${text}\n`, 256 * 1024);
      // Assess
      expect(output.split('\n').map((l) => l.split(',')[0])).toEqual(['a-1', '']);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ row: 2 });
      expect(errors[0].record_id).toBeUndefined();
      expect(errors[0].errors[0].reason).toMatch(
        /never ends: a quote is never closed, so everything after it to the end of the file is in this row and was not read/,
      );
      expect(stats).toMatchObject({ rows: 2, valid: 1, errors: 1 });
    });
  });

  it('reads the European dialect: semicolons and decimal commas', async () => {
    // Prepare
    const header = HEADER.replaceAll(',', ';');
    const row = `e1;${ROW_2.map((v) => String(v).replace('.', ',')).join(';')};2`;
    // Act
    const { output, errors } = await prepare(`${header}\n${row}\n`);
    // Assess
    expect(errors).toEqual([]);
    expect(output).toBe(`e1,${ROW_2.join(',')},2\n`);
  });

  it('refuses a number written with the other decimal mark in a semicolon file, not reading a thousands dot as a decimal', async () => {
    // Prepare: decimal commas, then area_mean (slot 3) and area_worst (slot 23) with a thousands dot.
    const header = HEADER.replaceAll(',', ';');
    const euro = (id: string, row: number[], cell: (v: number, i: number) => string) =>
      `${id};${row.map(cell).join(';')};2`;
    const comma = (v: number) => String(v).replace('.', ',');
    const rows = [
      euro('e1', ROW_2, comma),
      euro('e2', ROW_1, (v, i) => (i === 3 || i === 23 ? '1.206' : comma(v))),
      euro('e3', ROW_1, comma),
    ];
    // A semicolon file written with dots throughout is read as such.
    const dotted = euro('d1', ROW_2, (v) => String(v));
    // Act
    const mixed = await prepare(`${header}\n${rows.join('\n')}\n`);
    const dots = await prepare(`${header}\n${dotted}\n`);
    // Assess
    const reason =
      'written with a decimal "." where this file\'s numbers use "," (a thousands separator?): write it as the others are';
    expect(mixed.errors).toEqual([
      {
        row: 2,
        record_id: 'e2',
        errors: [
          { field: 'area_mean', reason },
          { field: 'area_worst', reason },
        ],
      },
    ]);
    expect(mixed.output).toBe(`e1,${ROW_2.join(',')},2\ne3,${ROW_1.join(',')},2\n`);
    expect(dots.errors).toEqual([]);
    expect(dots.output).toBe(`d1,${ROW_2.join(',')},2\n`);
  });

  it('refuses a file whose header misses a measurement, names none, or offers neither notes nor scores', async () => {
    await expect(prepare(`${HEADER.replace(',area_mean', '')}\n`)).rejects.toThrow(
      new FileRefusedError('wrong header: 1 measurement column(s) missing: area_mean'),
    );
    await expect(prepare(`${line('842302', ROW_1, 3)}\n`)).rejects.toThrow(/no recognised header/);
    await expect(prepare(`${HEADER.replace(',malignancy_risk_score', '')}\n`)).rejects.toThrow(
      /neither a pathology_note nor a malignancy_risk_score/,
    );
    await expect(prepare('   \n')).rejects.toThrow(new FileRefusedError('the file is empty'));
    await expect(prepare('[{"a":1}]')).rejects.toThrow(/JSON array/);
  });

  it('names a UTF-16 file as such, as ingest does, not as binary', () => {
    for (const bytes of [
      Buffer.from(`\uFEFF${HEADER}\n`, 'utf16le'),
      Buffer.from(`\uFEFF${HEADER}\n`, 'utf16le').swap16(),
    ])
      expect(() => sniffFormat(bytes)).toThrow(
        new FileRefusedError('the file is UTF-16 encoded; save it as UTF-8 CSV or JSON Lines'),
      );
  });

  it.each([
    [
      'a tab-delimited file in model layout',
      [
        HEADER.replace(/,/g, '\t'),
        ...[1, 2, 3, 4].map((i) => line(`t${i}`, ROW_1, i).replace(/,/g, '\t')),
      ],
    ],
    [
      'whitespace-only lines, with LF and with CR LF',
      [HEADER, line('w1', ROW_1, 2), ' \r', '\t', '  \t\r', line('w2', ROW_2, 3), ' '],
    ],
    [
      'a lone CR inside a record id',
      [HEADER, line('c1', ROW_1, 2), line('x\ry', ROW_2, 3), line('c2', ROW_2, 4)],
    ],
  ])('reads %s the same wherever the chunks end', async (_, lines) => {
    // Prepare: each line repeated so that later copies are past the first chunk.
    const text = `${lines[0]}\n${Array.from({ length: 30 }, () => lines.slice(1).join('\n')).join('\n')}\n`;

    // Act
    const whole = await prepare(text);
    const results = await Promise.all([1, 7, 64, 333, 4096].map((size) => prepare(text, size)));

    // Assess: every valid row reaches the model input as comma-separated numbers.
    for (const row of whole.output.trimEnd().split('\n')) expect(row.split(',')).toHaveLength(32);
    for (const r of results) {
      expect(r.output).toBe(whole.output);
      expect(r.errors).toEqual(whole.errors);
      expect(r.stats).toEqual(whole.stats);
    }
  });

  it.each([
    // A Windows-1252 `ö` past the sniffed head is read as U+FFFD.
    [
      'not UTF-8 text',
      'b\uFFFDsartig',
      'not UTF-8 text (a byte read as \uFFFD): export the file as UTF-8 and drop it again',
    ],
    [
      'a NUL byte',
      'benign\u0000 lesion',
      'contains a NUL byte (binary data in a text file?): remove it and drop the file again',
    ],
  ])(
    'refuses a note that is %s (past the head the file was judged text by) instead of scoring it, in CSV and JSON Lines',
    async (_what, note, why) => {
      // Prepare
      const csvText = `${HEADER},pathology_note\n${line('n1', ROW_1, '')},ok\n${line('n2', ROW_1, '')},${note}\n`;
      const object = Object.fromEntries(WDBC_FEATURES.map((f, i) => [f, ROW_1[i]]));
      const jsonl = `${JSON.stringify({ record_id: 'j1', ...object, pathology_note: note })}\n`;
      const reason = { field: 'pathology_note', reason: why };

      // Act
      const csv = await prepare(csvText, 1 << 20, HEADER);
      const lines = await prepare(jsonl, 1 << 20, '{');

      // Assess
      expect(csv.errors).toEqual([{ row: 2, record_id: 'n2', errors: [reason] }]);
      expect(lines.errors).toEqual([{ row: 1, record_id: 'j1', errors: [reason] }]);
      expect(csv.scorer.notes).toEqual(['ok']);
    },
  );

  it('names ignored columns only when they look like column names', async () => {
    // Act
    const { stats } = await prepare(`${HEADER},ward,MRN-1234\n${line('i1', ROW_1, 3)},B,x\n`);

    // Assess
    expect(stats.ignored_columns).toEqual(['ward', '(column 34: 8 characters, not shown)']);
  });

  it('reports an unclosed quote as one bad row and keeps the rows before it', async () => {
    const { output, errors } = await prepare(
      `${HEADER},pathology_note\n${line('q1', ROW_1, 3)},\n${line('q2', ROW_1, 3)},"never closed\n`,
    );
    expect(output).toBe(`q1,${ROW_1.join(',')},3\n`);
    expect(errors).toEqual([
      {
        row: 2,
        errors: [
          {
            field: '(row)',
            reason: expect.stringMatching(/^CSV syntax: a quoted field is never closed/),
          },
        ],
      },
    ]);
  });
});

describe('Class: JsonlRowPreparer', () => {
  it('refuses a line over 4,000,000 bytes as one row and numbers the lines after it right', async () => {
    // Prepare
    const obj = (id: string, extra: Record<string, unknown>) =>
      JSON.stringify({
        record_id: id,
        ...Object.fromEntries(WDBC_FEATURES.map((n, i) => [n, ROW_2[i]])),
        ...extra,
      });
    const lines = [
      obj('j1', { malignancy_risk_score: 3 }),
      obj('j2', { pathology_note: 'Jane Doe MRN 123456 '.repeat(250_000) }),
      obj('j3', { malignancy_risk_score: 4 }),
      'not json',
    ];
    // Act
    const { output, errors, stats } = await prepare(`${lines.join('\n')}\n`, 64 * 1024);
    // Assess
    expect(output.split('\n').map((l) => l.split(',')[0])).toEqual(['j1', 'j3', '']);
    expect(errors).toEqual([
      { row: 2, errors: [{ field: '(row)', reason: 'row longer than 4000000 bytes' }] },
      { row: 4, errors: [{ field: '(row)', reason: 'not valid JSON' }] },
    ]);
    expect(stats).toMatchObject({ rows: 4, valid: 2, errors: 2 });
  });

  it('validates each object, scores notes, and lists bad lines', async () => {
    // Prepare
    const obj = (id: string, row: number[], extra: Record<string, unknown>) =>
      JSON.stringify({
        record_id: id,
        ...Object.fromEntries(WDBC_FEATURES.map((n, i) => [n, row[i]])),
        ...extra,
      });
    const lines = [
      obj('j1', ROW_1, { malignancy_risk_score: 9, mrn: 'MRN-1', '8423021': 'x', ward: 'B' }),
      'not json',
      obj('j2', ROW_2, { pathology_note: 'benign 1' }),
      '',
      obj('j3', ROW_2, { malignancy_risk_score: '4', radius_mean: '13.54' }),
      '[1,2]',
      obj('j4', ROW_2, { malignancy_risk_score: 0 }),
    ];
    // Act
    const { output, errors, stats } = await prepare(`${lines.join('\n')}\n`, 100);
    // Assess
    expect(output.split('\n')).toEqual([
      `j1,${ROW_1.join(',')},9`,
      `j2,${ROW_2.join(',')},1`,
      `j3,${ROW_2.join(',')},4`,
      '',
    ]);
    expect(errors).toEqual([
      { row: 2, errors: [{ field: '(row)', reason: 'not valid JSON' }] },
      { row: 5, errors: [{ field: '(row)', reason: 'not a JSON object' }] },
      {
        row: 6,
        record_id: 'j4',
        errors: [{ field: 'malignancy_risk_score', reason: 'not an integer from 1 to 10' }],
      },
    ]);
    expect(stats).toMatchObject({ format: 'jsonl', rows: 6, valid: 3, errors: 3, notes_scored: 1 });
    // Named as CSV columns are; a key that may be patient data is not shown.
    expect(stats.ignored_columns).toEqual(['(a key: 7 characters, not shown)', 'ward']);
  });
});
