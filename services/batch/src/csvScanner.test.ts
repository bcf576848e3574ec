import { CsvScanner, RecordSkipper } from './csvScanner.ts';

/**
 * Where the scanner itself ends the first record (the reference for the skipper): the first
 * prefix of `text` in which it completes a record, and the offset it then resumes at.
 */
function scannerEnd(text: string): number {
  const buf = Buffer.from(text);
  for (let n = 1; n <= buf.length; n++) {
    const consumed = new CsvScanner({ record: () => {}, malformed: () => {} }).scan(
      buf.subarray(0, n),
      0,
      false,
    );
    if (consumed > 0) return consumed;
  }
  return -1;
}

describe('Class: RecordSkipper', () => {
  it.each([
    ['plain', 'a,b,c\nnext,row\n'],
    ['CRLF', 'a,b,c\r\nnext,row\r\n'],
    ['a quoted line break', 'a,"line\nbreak",c\nnext,row\n'],
    ['doubled quotes', 'a,"say ""hi""\nthere",c\nnext\n'],
    ['a quote inside an unquoted field', 'a,b"c,d\nnext\n'],
    ['a quoted field ending the record', 'a,"x,\ny"\r\nnext\n'],
    ['text after a closing quote', 'a,"x"y,"z\nnext\n'],
    ['an empty quoted field', 'a,"",c\nnext\n'],
  ])('ends a record where the scanner does (%s), whatever the chunks', (_name, text) => {
    // Prepare
    const buf = Buffer.from(text);
    const expected = scannerEnd(text);
    for (const size of [1, 2, 3, 5, buf.length]) {
      // Act
      const skipper = new RecordSkipper();
      let at = -1;
      for (let pos = 0; pos < buf.length && at === -1; pos += size) {
        const r = skipper.skip(buf.subarray(pos, pos + size), 0);
        if (r !== -1) at = pos + r;
      }
      // Assess: a CR at a chunk's end may leave its LF to be read as a blank line.
      const crAtChunkEnd = at !== -1 && buf[at - 1] === 0x0d && buf[at] === 0x0a;
      expect({ size, at: crAtChunkEnd ? at + 1 : at }).toEqual({ size, at: expected });
    }
  });

  it('goes on past the chunk while a quoted field is open', () => {
    // Prepare
    const skipper = new RecordSkipper(';');
    // Act
    const first = skipper.skip(Buffer.from('x;"open\n\n\n'), 0);
    const second = skipper.skip(Buffer.from('still "" open;\n";closed\nnext'), 0);
    // Assess
    expect(first).toBe(-1);
    expect(second).toBe('still "" open;\n";closed\n'.length);
  });
});
