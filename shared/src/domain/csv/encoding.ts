/** Why an upload that opens with a UTF-16 byte-order mark is refused, in words a person can act on. */
export const UTF16_REFUSAL = 'the file is UTF-16 encoded; save it as UTF-8 CSV or JSON Lines';

/** A UTF-16 byte-order mark (either byte order): checked before any NUL-byte rule, which it would trip. */
export function hasUtf16Bom(head: Uint8Array): boolean {
  return (
    head.length >= 2 &&
    ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))
  );
}
