import { Rng } from '@cancer-mlops/shared/domain/forest/prng.ts';
import {
  assemble,
  miniBatches,
  parseOutputFilter,
  TransformJobError,
  type MiniBatch,
} from './transformRecords.ts';

/** The input in pieces of random sizes, as a stream hands it over. */
async function* pieces(text: string, rng: Rng, most: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length;) {
    const n = 1 + Math.floor(rng.nextFloat() * most);
    yield bytes.subarray(i, i + n);
    i += n;
  }
}

/** The batches, copied; with `recycle`, each batch's buffer is handed back once copied. */
async function collect(
  input: AsyncIterable<Buffer>,
  maxBytes: number,
  dropId: boolean,
  recycle = false,
) {
  const batches: MiniBatch[] = [];
  const spare: Buffer[] = [];
  for await (const b of miniBatches(input, maxBytes, dropId, spare)) {
    batches.push({ ...b, payload: Buffer.from(b.payload), kept: Buffer.from(b.kept) });
    if (recycle) spare.push(b.buffer);
  }
  return batches;
}

/** What SageMaker would send for each line: the records, their model part and their id. */
function expected(text: string, dropId: boolean) {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.length > 0)
    .map((l) => {
      const comma = l.indexOf(',');
      if (!dropId) return { model: l, kept: l };
      return comma === -1
        ? { model: '', kept: l }
        : { model: l.slice(comma + 1), kept: l.slice(0, comma) };
    });
}

function keptOf(b: MiniBatch): string[] {
  const out: string[] = [];
  let start = 0;
  for (const end of b.keptEnds) {
    out.push(b.kept.toString('utf8', start, end));
    start = end;
  }
  return out;
}

describe('Function: miniBatches', () => {
  it('splits at line breaks wherever the chunks end, dropping the id column, in order, with or without spare buffers', async () => {
    // Prepare
    const rng = new Rng(11);
    for (let round = 0; round < 200; round++) {
      const lines: string[] = [];
      const n = Math.floor(rng.nextFloat() * 40);
      for (let i = 0; i < n; i++) {
        const cells = Array.from({ length: 1 + Math.floor(rng.nextFloat() * 5) }, () =>
          (rng.nextFloat() * 100).toFixed(Math.floor(rng.nextFloat() * 4)),
        );
        const blank = rng.nextFloat() < 0.1;
        lines.push(blank ? '' : `r${i},${cells.join(',')}${rng.nextFloat() < 0.2 ? '\r' : ''}`);
      }
      const text = lines.join('\n') + (rng.nextFloat() < 0.5 ? '\n' : '');
      const maxBytes = 8 + Math.floor(rng.nextFloat() * 60);
      const dropId = rng.nextFloat() < 0.8;

      // Act
      const batches = await collect(pieces(text, rng, 50), maxBytes, dropId, round % 2 === 0);

      // Assess
      const want = expected(text, dropId);
      const models = batches.flatMap((b) => b.payload.toString('utf8').split('\n').slice(0, -1));
      expect(models).toEqual(want.map((w) => w.model));
      expect(batches.flatMap(keptOf)).toEqual(want.map((w) => w.kept));
      for (const b of batches) {
        expect(b.lines).toBe(b.keptEnds.length);
        // A batch is within maxBytes unless it is one line that is longer on its own.
        if (b.lines > 1) expect(b.payload.length).toBeLessThanOrEqual(maxBytes);
      }
    }
  });

  it('sends a line longer than the limit as a batch of its own', async () => {
    // Prepare
    const long = `r2,${'1,'.repeat(50)}1`;
    const text = `r1,1,2\n${long}\nr3,3,4\n`;

    // Act
    const batches = await collect(pieces(text, new Rng(1), 7), 20, true);

    // Assess
    expect(batches.map((b) => b.payload.toString())).toEqual([
      '1,2\n',
      `${long.slice(3)}\n`,
      '3,4\n',
    ]);
  });

  it('fills mini-batches up to the limit from large chunks, reusing the buffers handed back', async () => {
    // Prepare: 10,000 lines of 12 model bytes ("0.5,1,2,3,4\n") in 1 MiB-like pieces.
    const text = Array.from({ length: 10_000 }, (_, i) => `id${i},0.5,1,2,3,4\n`).join('');
    const spare: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    const lines: number[] = [];

    // Act
    for await (const b of miniBatches(pieces(text, new Rng(3), 65_536), 12_000, true, spare)) {
      expect(b.payload.toString().split('\n')[0]).toBe('0.5,1,2,3,4');
      lines.push(b.lines);
      buffers.add(b.buffer.buffer);
      spare.push(b.buffer);
    }

    // Assess
    expect(lines).toEqual(Array(10).fill(1000));
    expect(buffers.size).toBeLessThanOrEqual(2);
  });
});

describe('Function: assemble', () => {
  const batch = (ids: string[]): MiniBatch => {
    const kept = Buffer.from(ids.join(''));
    let end = 0;
    return {
      payload: Buffer.alloc(0),
      buffer: Buffer.alloc(0),
      kept,
      keptEnds: Int32Array.from(ids, (id) => (end += Buffer.byteLength(id))),
      lines: ids.length,
    };
  };

  it('joins each answer line to its record id', () => {
    // Act
    const out = assemble(
      batch(['r1', 'record-22', 'x']),
      Buffer.from('0.1,benign\r\n0.9,malignant\n0.5,malignant'),
      true,
      [0, -2, -1],
    );

    // Assess
    expect(out.toString()).toBe('r1,0.1,benign\nrecord-22,0.9,malignant\nx,0.5,malignant\n');
  });

  it('cuts joined lines by any other OutputFilter', () => {
    // Act
    const out = assemble(
      batch(['r1', 'r2']),
      Buffer.from('0.1,benign\n0.9,malignant\n'),
      true,
      [-1, 0],
    );

    // Assess
    expect(out.toString()).toBe('benign,r1\nmalignant,r2\n');
  });

  it.each([
    ['fewer', '0.1,benign\n', 1],
    ['more', '0.1,benign\n0.2,benign\n0.3,benign\n', 3],
    ['a trailing blank', '0.1,benign\n0.2,benign\n\n', 3],
  ])('fails the job when the model returns %s lines than records', (_, answer, count) => {
    // Act + Assess
    for (const pick of [[0, -2, -1], [-1]]) {
      expect(() => assemble(batch(['r1', 'r2']), Buffer.from(answer), true, pick)).toThrow(
        new TransformJobError(`ClientError: the model returned ${count} lines for 2 records`),
      );
    }
  });

  it('passes the answer through without JoinSource', () => {
    // Assess
    expect(assemble(batch(['a', 'b']), Buffer.from('1\n2'), false, undefined).toString()).toBe(
      '1\n2\n',
    );
  });

  it('reads OutputFilter column lists', () => {
    // Assess
    expect(parseOutputFilter('$[0, -2,-1]')).toEqual([0, -2, -1]);
    expect(parseOutputFilter('$')).toBeUndefined();
    expect(() => parseOutputFilter('$.x')).toThrow(/OutputFilter/);
  });
});
