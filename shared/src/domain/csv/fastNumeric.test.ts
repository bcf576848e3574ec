import { readFileSync } from 'node:fs';
import { assembleKernel, NUMERIC_KERNEL, renderKernelModule } from '../../../../scripts/wasm.ts';
import { Rng } from '../forest/prng.ts';
import { CsvError } from './errors.ts';
import { kernelParse, readNumericCsv } from './fastNumeric.ts';
import { parseNumericCsv } from './numeric.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** What a parser gives: the values as exact bit patterns, or the error's message. */
function outcome(parse: () => { values: Float64Array; rows: number }): string {
  try {
    const r = parse();
    return `${r.rows} rows ${Buffer.from(r.values.buffer, r.values.byteOffset, r.values.byteLength).toString('hex')}`;
  } catch (e) {
    if (e instanceof CsvError) return `error ${e.message}`;
    throw e;
  }
}

/** Cells the kernel reads itself. */
const TAKEN = [
  '0',
  '1',
  '-0',
  '+7',
  '12.5',
  '0.006399',
  '.5',
  '5.',
  '-.25',
  '00012.50',
  '1e3',
  '1E-3',
  '-2.5e+2',
  '1e22',
  '1e-22',
  '123456789012345',
  '0.000000000000000000012345',
  '',
  ' 3 ',
  '\t4\t',
  '99999999999999.9',
];
/** Cells it leaves to the TypeScript parser: slow-path numbers, markers, quotes, errors. */
const LEFT = [
  '1234567890123456',
  '1.0000000000000001',
  '1e23',
  '1e-23',
  '4.9e-324',
  '1e300',
  '"1.5"',
  'NA',
  'NaN',
  'nan',
  'null',
  '?',
  'x',
  '1e',
  '-',
  '.',
  '1 2',
  '1.2.3',
  '--1',
  '1e+',
  '0.00000000000000000000001',
];
const BREAKS = ['\n', '\r\n', '\r', '\n\n', '\n  \n', '\n\t\r\n'];

describe('Function: readNumericCsv (WebAssembly kernel)', () => {
  it('is assembled from numericKernel.wat exactly as committed', async () => {
    // Act
    const bytes = await assembleKernel(NUMERIC_KERNEL.wat);

    // Assess: run `npm run build:wasm` after editing the .wat.
    expect(readFileSync(NUMERIC_KERNEL.module, 'utf8')).toBe(
      renderKernelModule(NUMERIC_KERNEL, bytes),
    );
  });

  it('reads a plain body itself, bit-identical to parseNumericCsv', () => {
    // Prepare
    const rng = new Rng(7);
    const lines = Array.from({ length: 2000 }, () =>
      Array.from({ length: 31 }, (_, f) =>
        f === 30
          ? String(1 + Math.floor(rng.nextFloat() * 10))
          : (rng.nextFloat() * 10 ** (f % 5)).toPrecision(1 + (f % 15)),
      ).join(','),
    );
    const body = bytes(`${lines.join('\n')}\n`);

    // Act
    const kernel = kernelParse(body, 31);

    // Assess
    expect(kernel?.rows).toBe(2000);
    expect(outcome(() => kernel!)).toBe(outcome(() => parseNumericCsv(body, 31)));
  });

  it('takes blanks, signs, exponents, empty cells and every line end itself', () => {
    // Prepare
    const body = bytes(' 1 ,-2.5e+2,\t.5\r\n\n  \n5.,,+7E-1\r-0,1e22,1e-22\n\n');

    // Act
    const kernel = kernelParse(body, 3);

    // Assess
    expect(kernel?.rows).toBe(3);
    expect(outcome(() => kernel!)).toBe(outcome(() => parseNumericCsv(body, 3)));
  });

  it.each([
    ['a quoted cell', '1,"2"\n'],
    ['a missing marker', '1,NA\n'],
    ['16 significant digits', '1,1234567890123456\n'],
    ['an exponent past 22', '1,1e23\n'],
    ['a byte-order mark', '\uFEFF1,2\n'],
    ['a bad cell', '1,x\n'],
    ['a short record', '1\n'],
    ['a long record', '1,2,3\n'],
  ])('leaves %s to the TypeScript parser', (_, text) => {
    // Act + Assess
    expect(kernelParse(bytes(text), 2)).toBeUndefined();
    expect(outcome(() => readNumericCsv(bytes(text), 2))).toBe(
      outcome(() => parseNumericCsv(bytes(text), 2)),
    );
  });

  it('gives parseNumericCsv’s values or error on random bodies', () => {
    // Prepare
    const rng = new Rng(2026);
    let read = 0;
    const pick = <T>(xs: T[]) => xs[Math.floor(rng.nextFloat() * xs.length)];
    for (let body = 0; body < 3000; body++) {
      const columns = 1 + Math.floor(rng.nextFloat() * 4);
      // Half the bodies hold only cells the kernel takes.
      const cells = rng.nextFloat() < 0.5 ? TAKEN : [...TAKEN, ...LEFT];
      let text = '';
      const records = Math.floor(rng.nextFloat() * 6);
      for (let r = 0; r < records; r++) {
        const n = rng.nextFloat() < 0.9 ? columns : columns + (rng.nextFloat() < 0.5 ? 1 : -1);
        text += Array.from({ length: Math.max(1, n) }, () => pick(cells)).join(',');
        if (r < records - 1 || rng.nextFloat() < 0.7) text += pick(BREAKS);
      }

      // Act + Assess
      expect([text, outcome(() => readNumericCsv(bytes(text), columns))]).toEqual([
        text,
        outcome(() => parseNumericCsv(bytes(text), columns)),
      ]);
      if (kernelParse(bytes(text), columns)) read++;
    }
    expect(read).toBeGreaterThan(1000); // the kernel's own reading was compared, not just the fallback's
  });

  it('makes room for bodies of one-byte cells', () => {
    // Prepare: more records than its first guess (4 bytes a cell) has room for.
    const body = bytes(
      `${Array.from({ length: 1000 }, (_, i) => `${i % 10},${i % 7}`).join('\n')}\n`,
    );

    // Act
    const kernel = kernelParse(body, 2);

    // Assess
    expect(kernel?.rows).toBe(1000);
    expect(outcome(() => kernel!)).toBe(outcome(() => parseNumericCsv(body, 2)));
  });

  it('reads a body from the chunks it arrived in, cut anywhere, and lends its values when asked', () => {
    // Prepare
    const text = ' 1 ,-2.5e+2,\t.5\r\n\n5.,,+7E-1\r-0,1e22,1e-22\n';
    const whole = outcome(() => parseNumericCsv(bytes(text), 3));
    const all = bytes(text);

    // Act + Assess
    for (let cut = 0; cut <= all.length; cut++) {
      const chunks = [all.subarray(0, cut), all.subarray(cut)];
      expect(outcome(() => readNumericCsv(chunks, 3))).toBe(whole);
    }
    const lent = readNumericCsv([all], 3, { borrow: true });
    expect(outcome(() => lent)).toBe(whole);
    expect(readNumericCsv([bytes('\uFEFF1,2,3\n'), bytes('4,NA,6')], 3).values[4]).toBeNaN();
  });

  it('honours maxRows', () => {
    // Assess
    expect(() => readNumericCsv(bytes('1\n2\n3\n'), 1, { maxRows: 2 })).toThrow(
      /more than 2 records/,
    );
  });
});
