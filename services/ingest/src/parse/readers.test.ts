import { Readable } from 'node:stream';
import { MAX_RECORD_CHARS, readCsvRecords, readJsonLines } from './readers.ts';

const all = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};
const stream = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

describe('Function: readCsvRecords', () => {
  it('reads RFC 4180 records: BOM, CRLF, quoted delimiters, doubled quotes and line breaks', async () => {
    const records = await all(
      readCsvRecords(stream('\uFEFFa,b\r\n1,"x, ""y""\r\nz"\r\n', '\r\n', '2,3'), ','),
    );
    expect(records).toEqual([
      { n: 1, cells: ['a', 'b'] },
      { n: 2, cells: ['1', 'x, "y"\r\nz'] },
      { n: 3, cells: ['2', '3'] },
    ]);
  });

  it('reads a file whose line endings change (a CRLF header above LF rows, a lone CR), wherever chunks end', async () => {
    // Prepare: what a script appending rows to a header saved on Windows writes.
    const text = 'a,b\r\n1,2\n3,"x\r\ny"\n5,6\r7,8\r\n9,10\n';
    const expected = [
      { n: 1, cells: ['a', 'b'] },
      { n: 2, cells: ['1', '2'] },
      { n: 3, cells: ['3', 'x\r\ny'] },
      { n: 4, cells: ['5', '6'] },
      { n: 5, cells: ['7', '8'] },
      { n: 6, cells: ['9', '10'] },
    ];
    for (const size of [1, 2, 3, 7, text.length]) {
      const parts: string[] = [];
      for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
      // Act
      const records = await all(readCsvRecords(stream(...parts), ','));
      // Assess
      expect({ size, records }).toEqual({ size, records: expected });
    }
  });

  it('skips blank and all-empty records (`;;;` lines from spreadsheets)', async () => {
    const records = await all(readCsvRecords(stream('a;b\n\n;\n1;2\n ; \n'), ';'));
    expect(records.map((r) => r.n)).toEqual([1, 2]);
  });

  it('reports an unclosed quote at its place, after the rows before it', async () => {
    const records = await all(readCsvRecords(stream('a,b\n1,2\n3,"oops\n4,5\n'), ','));
    expect(records).toEqual([
      { n: 1, cells: ['a', 'b'] },
      { n: 2, cells: ['1', '2'] },
      { n: 3, error: expect.stringMatching(/never closed/) },
    ]);
  });

  it('ends with a fatal error on a record longer than the limit', async () => {
    const records = await all(
      readCsvRecords(stream('a,b\n1,', 'x'.repeat(MAX_RECORD_CHARS + 10), '\n4,5\n'), ','),
    );
    expect(records).toEqual([
      { n: 1, cells: ['a', 'b'] },
      { n: 2, error: `row longer than ${MAX_RECORD_CHARS} characters`, fatal: true },
    ]);
  });
});

describe('Function: readJsonLines', () => {
  it('reads objects line by line and reports bad lines in place', async () => {
    const records = await all(
      readJsonLines(
        stream(
          '\uFEFF{"a":1}\r\n\n[1]\nnope\n{"b":',
          '"é"}\n',
          'x'.repeat(MAX_RECORD_CHARS + 1),
          '\n{"c":3}',
        ),
      ),
    );
    expect(records).toEqual([
      { n: 1, object: { a: 1 } },
      { n: 2, error: 'not a JSON object' },
      { n: 3, error: 'not valid JSON' },
      { n: 4, object: { b: 'é' } },
      { n: 5, error: `row longer than ${MAX_RECORD_CHARS} characters` },
      { n: 6, object: { c: 3 } },
    ]);
  });
});
