import { CsvError } from './errors.ts';
import { parseNumericCsv } from './numeric.ts';
import { parseCsv } from './text.ts';
import { Rng } from '../forest/prng.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function csvError(fn: () => unknown): CsvError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CsvError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('Function: parseNumericCsv', () => {
  it('reads records into a row-major matrix', () => {
    // Act
    const r = parseNumericCsv(bytes('\uFEFF1,2.5,-3e2\r\n\n  \n 4 ,\t.5 ,+7E-1\n0.1,1e-5,-0'), 3);

    // Assess
    expect(r.rows).toBe(3);
    expect(Array.from(r.values)).toEqual([1, 2.5, -300, 4, 0.5, 0.7, 0.1, 0.00001, -0]);
  });

  it('turns empty fields and missing markers into NaN', () => {
    // Act
    const r = parseNumericCsv(bytes(',NA,NaN\nnan,null,?\n"",1,"NA"'), 3);

    // Assess
    expect(Array.from(r.values).map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual([
      'NaN',
      'NaN',
      'NaN',
      'NaN',
      'NaN',
      'NaN',
      'NaN',
      1,
      'NaN',
    ]);
  });

  it('reads quoted numbers', () => {
    // Act
    const r = parseNumericCsv(bytes('"1.5", " 2 ",3\n'), 3);

    // Assess
    expect(Array.from(r.values)).toEqual([1.5, 2, 3]);
  });

  it('matches Number() exactly, including long and extreme numbers', () => {
    // Prepare
    const rng = new Rng(3);
    const texts: string[] = [
      '123456789012345678',
      '0.1234567890123456789',
      '1e300',
      '4.9e-324',
      '1e-30',
      '00012.50',
    ];
    for (let i = 0; i < 3000; i++) {
      const v = (rng.nextFloat() - 0.5) * 10 ** Math.floor(rng.nextFloat() * 30 - 15);
      texts.push(
        i % 3 === 0
          ? v.toPrecision(1 + (i % 17))
          : i % 3 === 1
            ? v.toExponential(i % 15)
            : String(v),
      );
    }

    // Act
    const r = parseNumericCsv(bytes(texts.join('\n')), 1);

    // Assess
    texts.forEach((t, i) => expect(Object.is(r.values[i], Number(t))).toBe(true));
  });

  it('names line and field of a bad value without echoing it', () => {
    // Act
    const e = csvError(() => parseNumericCsv(bytes('1,2,3\n4,patient-77,6\n'), 3));

    // Assess
    expect(e).toMatchObject({ line: 2, field: 2 });
    expect(e.message).toBe('line 2, field 2: not a number (10 characters of text)');
    expect(e.message).not.toMatch(/patient/);
  });

  it('rejects wrong field counts, broken quotes and too many records', () => {
    // Assess
    expect(csvError(() => parseNumericCsv(bytes('1,2\n1,2,3\n'), 2)).message).toBe(
      'line 2: 3 fields; expected 2',
    );
    expect(csvError(() => parseNumericCsv(bytes('1,"2\n'), 2)).message).toMatch(
      /line 1, field 2: unterminated quoted field/,
    );
    expect(csvError(() => parseNumericCsv(bytes('"1"x,2\n'), 2)).message).toMatch(
      /after a closing quote/,
    );
    expect(csvError(() => parseNumericCsv(bytes('"a,b",2\n'), 2)).message).toMatch(
      /line 1, field 1: not a number/,
    );
    expect(csvError(() => parseNumericCsv(bytes('1e,2\n'), 2)).message).toMatch(/not a number/);
    expect(csvError(() => parseNumericCsv(bytes('1\n2\n3\n'), 1, { maxRows: 2 })).message).toMatch(
      /more than 2 records/,
    );
  });

  it('handles many records and CR-only line ends', () => {
    // Prepare
    const body = Array.from({ length: 5000 }, (_, i) => `${i},${i / 4}`).join('\r');

    // Act
    const r = parseNumericCsv(bytes(body), 2);

    // Assess
    expect(r.rows).toBe(5000);
    expect(r.values[2 * 4999 + 1]).toBe(4999 / 4);
  });
});

describe('Function: parseCsv', () => {
  it('follows RFC 4180 quoting', () => {
    // Act
    const r = parseCsv('\uFEFFa,b\n"x,""y""",2\r\n\n"multi\nline",3\n,\n');

    // Assess
    expect(r).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,"y"', '2'] },
      { line: 4, fields: ['multi\nline', '3'] },
      { line: 6, fields: ['', ''] },
    ]);
  });

  it('reports malformed quoting with its line', () => {
    // Assess
    expect(csvError(() => parseCsv('a,b\n"open,2\n')).message).toMatch(
      /line 2, field 1: unterminated/,
    );
    expect(csvError(() => parseCsv('a,b"c\n')).message).toMatch(
      /line 1, field 2: quote inside an unquoted field/,
    );
  });
});
