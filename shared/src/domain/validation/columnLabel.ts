/**
 * How a column the reader ignored is named in a summary. A header cell is shown as it is when
 * it looks like a column name; otherwise only its position and length: in a file without a
 * real header (or a JSON Lines file keyed by medical record number) the "name" is patient
 * data, and summaries are read by people who must not see it.
 */
const PLAIN = /^[\p{L}\p{N} _\-.:()[\]/%#]{1,40}$/u;
/** Four digits in a row: an id, a record number, a date, a phone number. */
const DIGITS = /\d{4}/;

/** `position` is 1-based; leave it out for a JSON key. */
export function columnLabel(name: string, position?: number): string {
  const text = name.trim();
  if (PLAIN.test(text) && !DIGITS.test(text)) return text;
  const where = position === undefined ? 'a key' : `column ${position}`;
  return `(${where}: ${[...text].length} characters, not shown)`;
}
