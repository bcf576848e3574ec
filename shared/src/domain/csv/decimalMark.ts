/**
 * A semicolon file writes decimals with a comma (`17,99`), or, from some software, with a dot.
 * The file's own mark is the one its first number with a decimal mark uses; a cell written
 * with the other (`1.206` among `17,99`s: a thousands dot?) is refused rather than read as a
 * number a thousand times too small. Ingest and batch read such files alike.
 */

/** Why a cell with the other decimal mark is refused; `fileMark` is the file's own. */
export function otherDecimalMarkReason(fileMark: ',' | '.'): string {
  const other = fileMark === ',' ? '.' : ',';
  return `written with a decimal "${other}" where this file's numbers use "${fileMark}" (a thousands separator?): write it as the others are`;
}

/** One file's decimal mark, learnt from its first number that has one. */
export class DecimalMark {
  private mark: ',' | '.' | undefined;

  /** Sees a number cell's text: the reason to refuse it, or undefined. */
  see(text: string): string | undefined {
    const at = text.search(/[.,]/);
    return at === -1 ? undefined : this.seeMark(text[at] as ',' | '.');
  }

  /** Sees the decimal mark a number cell is written with (a reader that has found it itself). */
  seeMark(mark: ',' | '.'): string | undefined {
    this.mark ??= mark;
    return mark === this.mark ? undefined : otherDecimalMarkReason(this.mark);
  }
}
