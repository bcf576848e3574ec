import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Md5Digest, md5OfFile } from './md5Worker.ts';

const md5 = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');

describe('md5 on a worker thread', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md5-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hashes a file as node:crypto does, empty and multi-chunk files included', async () => {
    const big = Buffer.alloc(3 * (1 << 20) + 17, 0);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    fs.writeFileSync(path.join(dir, 'big'), big);
    fs.writeFileSync(path.join(dir, 'empty'), '');
    await expect(md5OfFile(path.join(dir, 'big'))).resolves.toBe(md5(big));
    await expect(md5OfFile(path.join(dir, 'empty'))).resolves.toBe(md5(''));
  });

  it('rejects a missing file with its errno code', async () => {
    await expect(md5OfFile(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps concurrent digests apart and copies chunks the caller reuses', async () => {
    const a = new Md5Digest();
    const b = new Md5Digest();
    const scratch = Buffer.alloc(64);
    const fed: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      scratch.fill(i);
      a.update(scratch.subarray(8, 40)); // a view into a larger, reused buffer
      fed.push(Buffer.from(scratch.subarray(8, 40)));
    }
    const shared = new Uint8Array(new SharedArrayBuffer(16)).fill(7);
    b.update(shared);
    b.update(new Uint8Array(0));
    const [ha, hb] = await Promise.all([a.digest(), b.digest()]);
    expect(ha).toBe(md5(Buffer.concat(fed)));
    expect(hb).toBe(md5(shared));
  });

  it('hashes large chunks right while their transfer buffers come back and are reused', async () => {
    // Chunks of 64 KiB to 1.5 MiB: buffers handed back by the worker are reused for chunks of
    // other sizes, by digests running at the same time.
    const digests = [new Md5Digest(), new Md5Digest()];
    const fed: Buffer[][] = [[], []];
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 40; i++) {
        const size = [65_536, 1 << 20, 300_001, 1_572_864][(i + round) % 4];
        const chunk = Buffer.alloc(size, (i * 7 + round) & 0xff);
        chunk[size - 1] = i;
        digests[i % 2].update(chunk);
        fed[i % 2].push(chunk);
      }
      await new Promise((r) => setTimeout(r, 5)); // let buffers come back
    }
    const hashes = await Promise.all(digests.map((d) => d.digest()));
    expect(hashes).toEqual(fed.map((chunks) => md5(Buffer.concat(chunks))));
  });
});
