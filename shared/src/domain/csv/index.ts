export { CsvError } from './errors.ts';
export { parseNumericCsv } from './numeric.ts';
export { readNumericCsv } from './fastNumeric.ts';
export type { NumericCsv, NumericCsvOptions } from './numeric.ts';
export { parseCsv } from './text.ts';
export type { CsvRecord } from './text.ts';
