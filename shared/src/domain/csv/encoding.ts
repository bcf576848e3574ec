/** Why an upload that opens with a UTF-16 byte-order mark is refused, in words a person can act on. */
export const UTF16_REFUSAL = 'the file is UTF-16 encoded; save it as UTF-8 CSV or JSON Lines';

/** A UTF-16 byte-order mark (either byte order): checked before any NUL-byte rule, which it would trip. */
export function hasUtf16Bom(head: Uint8Array): boolean {
  return (
    head.length >= 2 &&
    ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))
  );
}

/**
 * Why text with U+FFFD is refused: it is what a byte that is not UTF-8 becomes when read (a
 * Windows-1252 `ö` past the sniffed head of a file), and what earlier garbling leaves.
 */
export const NOT_UTF8_TEXT =
  'not UTF-8 text (a byte read as \uFFFD): export the file as UTF-8 and drop it again';

/** True when `text` holds U+FFFD (see NOT_UTF8_TEXT). */
export const hasReplacementChar = (text: string): boolean => text.includes('\uFFFD');

/**
 * Why text with a NUL byte is refused where the file was already judged text (a NUL in a
 * file's head refuses it as binary).
 */
export const NUL_TEXT =
  'contains a NUL byte (binary data in a text file?): remove it and drop the file again';

/** Why text past a file's sniffed head cannot be used as text (NOT_UTF8_TEXT, NUL_TEXT), or undefined. */
export function unreadableTextReason(text: string): string | undefined {
  if (hasReplacementChar(text)) return NOT_UTF8_TEXT;
  if (text.includes('\0')) return NUL_TEXT;
  return undefined;
}
