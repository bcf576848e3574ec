import fs from 'node:fs';
import { parseCsv } from '@cancer-mlops/shared/domain/csv/index.ts';

/** The shipped hospital file (569 WDBC records with synthetic notes), as mesh tests use it. */
export const HOSPITAL_FILE = new URL('../../data/hospital-demo.csv', import.meta.url);

export interface HospitalTable {
  header: string[];
  rows: string[][];
}

export function readHospitalFile(): HospitalTable {
  const [header, ...rows] = parseCsv(fs.readFileSync(HOSPITAL_FILE, 'utf8')).map((r) => r.fields);
  return { header, rows };
}

const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function toCsv(t: HospitalTable): string {
  return [t.header, ...t.rows].map((r) => r.map(quote).join(',')).join('\n') + '\n';
}

/** A column's cell of `row`, by header name. */
export function cell(t: HospitalTable, row: string[], column: string): string {
  const i = t.header.indexOf(column);
  if (i < 0) throw new Error(`the hospital file has no column ${column}`);
  return row[i];
}
