import { readFileSync } from 'node:fs';
import {
  MAX_RECORD_ID_CHARS,
  modelInputValidator,
} from '@cancer-mlops/shared/domain/validation/modelInput.ts';
import { Rng } from '@cancer-mlops/shared/domain/forest/prng.ts';
import { assembleKernel, CLEAN_ROWS_KERNEL, renderKernelModule } from '../../../scripts/wasm.ts';
import { CleanRows } from './cleanRowsKernel.ts';
import { rowPreparer, sniffFormat, type RowError } from './prepareRows.ts';
import { fakeScorer, HEADER, ROW_1, ROW_2 } from '../test/batchFakes.ts';

async function prepare(text: string, cleanRowsKernel: boolean, chunkBytes: number) {
  const errors: RowError[] = [];
  const bytes = Buffer.from(text, 'utf8');
  const preparer = rowPreparer(sniffFormat(bytes), {
    validator: modelInputValidator(),
    scorer: fakeScorer(),
    onError: (e) => errors.push(e),
    cleanRowsKernel,
  });
  const chunks = (async function* () {
    for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
  })();
  const out: Buffer[] = [];
  for await (const b of preparer.prepare(chunks)) out.push(Buffer.from(b));
  return { output: Buffer.concat(out).toString('utf8'), errors, stats: preparer.stats };
}

/** Cells that are clean, and cells fastRows looks at twice (or refuses). */
const ODD_CELLS = [
  '',
  '-1',
  '+2',
  '1e3',
  '.5',
  '5.',
  '12.50',
  '0012',
  '1234567890123456',
  '99999999',
  ' 7',
  '7 ',
  'NA',
  '?',
  '"8"',
  '0',
  '3.000000000000001',
];
const ODD_SCORES = ['0', '11', '5.5', '5.0', '10', '1', '05', '', 'x', '10.0', '1e1'];
const ODD_IDS = [
  '',
  '=x',
  '+1',
  '-1',
  '@a',
  ' a',
  'a ',
  'na',
  'NULL',
  'n1',
  'nx12',
  'n/a2',
  '?',
  'a"b',
  'é1',
  'x'.repeat(MAX_RECORD_ID_CHARS),
  'x'.repeat(MAX_RECORD_ID_CHARS + 1),
  'a b',
  'abcd',
  'r\t1',
];

describe('Class: CleanRows (WebAssembly kernel)', () => {
  it('is assembled from cleanRows.wat exactly as committed', async () => {
    // Act
    const bytes = await assembleKernel(CLEAN_ROWS_KERNEL.wat);

    // Assess: run `npm run build:wasm` after editing the .wat.
    expect(readFileSync(CLEAN_ROWS_KERNEL.module, 'utf8')).toBe(
      renderKernelModule(CLEAN_ROWS_KERNEL, bytes),
    );
  });

  it('accepts a run of clean lines and stops at the first it leaves to fastRows', () => {
    // Prepare
    const v = modelInputValidator();
    const clean = `r-1,${ROW_1.join(',')},9\nrecord-2,${ROW_2.join(',')},1\n`;
    const buf = Buffer.from(`${clean}r-3,${ROW_1.join(',')},11\nr-4,${ROW_2.join(',')},2\n`);
    const rows = new CleanRows(v.min, v.max, 30, 0x2c, MAX_RECORD_ID_CHARS);

    // Act
    expect(rows.load(buf, 0, buf.length)).toBe(true);
    const stop = rows.run(0);

    // Assess
    expect(stop).toBe(Buffer.byteLength(clean));
    expect(rows.count).toBe(2);
    expect(rows.run(stop)).toBe(stop); // score 11: fastRows refuses it
    expect(rows.count).toBe(0);
  });

  it('leaves batch preparation exactly as the TypeScript check alone makes it', async () => {
    // Prepare: a file of clean lines and lines with one odd cell, id or line end.
    const rng = new Rng(404);
    const pick = <T>(xs: T[]) => xs[Math.floor(rng.nextFloat() * xs.length)];
    for (let file = 0; file < 30; file++) {
      const lines: string[] = [];
      for (let i = 0; i < 200; i++) {
        const cells = (i % 2 ? ROW_1 : ROW_2).map(String);
        let id = `r${file}-${i}`;
        let score = String(1 + (i % 10));
        let end = '\n';
        const odd = rng.nextFloat();
        if (odd < 0.1) cells[Math.floor(rng.nextFloat() * 30)] = pick(ODD_CELLS);
        else if (odd < 0.15) cells[Math.floor(rng.nextFloat() * 30)] = String(1e9);
        else if (odd < 0.22) score = pick(ODD_SCORES);
        else if (odd < 0.3) id = pick(ODD_IDS);
        else if (odd < 0.33) end = '\r\n';
        else if (odd < 0.35) end = '\n\n';
        else if (odd < 0.37) cells.pop();
        else if (odd < 0.39) cells.push('1');
        lines.push(`${id},${cells.join(',')},${score}${end}`);
      }
      const text = `${HEADER}\n${lines.join('')}`;
      const chunk = 200 + Math.floor(rng.nextFloat() * 5000);

      // Act
      const kernel = await prepare(text, true, chunk);
      const typescript = await prepare(text, false, chunk);

      // Assess
      expect(kernel).toEqual(typescript);
      expect(kernel.stats.valid).toBeGreaterThan(100);
    }
  });
});
