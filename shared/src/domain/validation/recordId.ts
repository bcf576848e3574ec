/**
 * Record ids end up in files people open in spreadsheets (batch output, datasets), which run
 * a cell starting with one of these as a formula (CSV injection); a signed number is safe.
 */
const FORMULA_START = /^[=+\-@\t]/;
const PLAIN_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a record id is unsafe to write into such a file, or undefined when it is fine. */
export function unsafeRecordIdReason(id: string): string | undefined {
  if (CONTROL.test(id)) return 'contains a control character';
  if (FORMULA_START.test(id) && !PLAIN_NUMBER.test(id))
    return 'starts with =, +, -, @ or a tab, which a spreadsheet would run as a formula';
  return undefined;
}
