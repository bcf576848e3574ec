import { Readable } from 'node:stream';
import { peek, sniffDelimiter, sniffFormat } from './sniff.ts';

describe('Function: sniffFormat', () => {
  it.each([
    [
      'comma CSV with a BOM',
      '\uFEFFid,diagnosis,radius_mean\n',
      { kind: 'csv', delimiter: ',', decimalComma: false },
    ],
    [
      'semicolon CSV (decimal commas)',
      'id;diagnosis;radius_mean\r\n1;M;12,5\r\n',
      { kind: 'csv', delimiter: ';', decimalComma: true },
    ],
    [
      'tab-separated',
      'id\tdiagnosis\tradius_mean\n',
      { kind: 'csv', delimiter: '\t', decimalComma: false },
    ],
    ['JSON Lines', '\n  {"id": 1}\n', { kind: 'jsonl' }],
  ])('recognises %s', (_label, text, expected) => {
    expect(sniffFormat(Buffer.from(text))).toEqual(expected);
  });

  it.each([
    ['an empty file', Buffer.alloc(0), 'the file is empty'],
    [
      'a gzip file',
      Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00]),
      'the file is binary (it contains NUL bytes), not CSV or JSON Lines text',
    ],
    [
      'Latin-1 text',
      Buffer.from('id,note\n1,Gr\xf6\xdfe\n', 'latin1'),
      'the file is not UTF-8 text; save it as UTF-8 CSV or JSON Lines',
    ],
  ])('refuses %s', (_label, bytes, reason) => {
    expect(sniffFormat(bytes)).toEqual({ kind: 'refused', reason });
  });

  it('accepts a multi-byte character cut off at the end of the sample', () => {
    const bytes = Buffer.from('id,note\n1,Größe');
    expect(sniffFormat(bytes.subarray(0, bytes.length - 1)).kind).toBe('csv');
  });
});

describe('Function: sniffDelimiter', () => {
  it('ignores delimiters inside quotes', () => {
    expect(sniffDelimiter('"a;b;c;d",x,y')).toBe(',');
  });
  it('defaults to a comma for a single column', () => {
    expect(sniffDelimiter('radius_mean')).toBe(',');
  });
});

describe('Function: peek', () => {
  it('hands back the head and a stream that replays all bytes once', async () => {
    const source = Readable.from([Buffer.from('abc'), Buffer.from('def'), Buffer.from('ghi')]);
    const { head, stream } = await peek(source, 4);
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    expect(head.toString()).toBe('abcd');
    expect(Buffer.concat(parts).toString()).toBe('abcdefghi');
  });

  it('handles a stream shorter than the sample', async () => {
    const { head, stream } = await peek(Readable.from([Buffer.from('ab')]), 1024);
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    expect([head.toString(), Buffer.concat(parts).toString()]).toEqual(['ab', 'ab']);
  });
});
