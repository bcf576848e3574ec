/**
 * Record ids end up in files people open in spreadsheets (batch output, datasets), which run
 * a cell starting with one of these as a formula (CSV injection); a signed number is safe.
 */
const FORMULA_START = /^[=+\-@\t]/;
const PLAIN_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;
/**
 * C0 and C1 controls (U+0085 is a line break to some readers), the line and paragraph
 * separators, and the bidirectional overrides that make a cell display other than it reads.
 */
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Why a record id is unsafe to write into such a file, or undefined when it is fine. */
export function unsafeRecordIdReason(id: string): string | undefined {
  if (CONTROL.test(id)) return 'contains a control character';
  if (FORMULA_START.test(id) && !PLAIN_NUMBER.test(id))
    return 'starts with =, +, -, @ or a tab, which a spreadsheet would run as a formula';
  return undefined;
}
