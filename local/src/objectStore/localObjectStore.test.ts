import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ObjectExistsError, ObjectNotFoundError } from '@cancer-mlops/shared/ports/objectStore.ts';
import { openRuntimeDb, type RuntimeDb } from '../db.ts';
import { InvalidObjectKeyError, LocalObjectStore, TEMP_PREFIX } from './localObjectStore.ts';

const names = { prefix: 'cancer-mlops', stage: 'dev' };
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('Class: LocalObjectStore', () => {
  let dir: string;
  let db: RuntimeDb;
  let store: LocalObjectStore;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-objects-'));
    db = openRuntimeDb(path.join(dir, 'state'));
    store = new LocalObjectStore(path.join(dir, 'buckets'), names, { db });
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('Method: put / get', () => {
    it('stores strings, bytes and streams at <root>/<logical bucket>/<key>', async () => {
      // Act
      await store.put('raw', 'incoming/a.csv', 'id,x\n1,2\n');
      await store.put('artifacts', 'models/m.bin', new Uint8Array([1, 2, 3]));
      await store.put('artifacts', 'big/stream.txt', Readable.from(['hello ', 'stream']));

      // Assess
      expect(fs.readFileSync(path.join(dir, 'buckets', 'raw', 'incoming', 'a.csv'), 'utf8')).toBe(
        'id,x\n1,2\n',
      );
      expect([...((await store.get('artifacts', 'models/m.bin')) ?? [])]).toEqual([1, 2, 3]);
      expect(await readAll(await store.getStream('artifacts', 'big/stream.txt'))).toBe(
        'hello stream',
      );
    });

    it('gives puts of large bodies, large strings and streams the MD5 ETag (hashed off the event loop)', async () => {
      // Arrange
      const big = Buffer.alloc(2 * (1 << 20) + 3, 0x5a);
      const hex = (b: Buffer) => createHash('md5').update(b).digest('hex');

      // Act
      await store.put('artifacts', 'big.bin', big);
      await store.put('artifacts', 'streamed.bin', Readable.from([big.subarray(0, 5), big]));
      const text = `${'é'.repeat(1 << 20)}ü`; // a capture batch: a large string, not ASCII
      await store.put('artifacts', 'big.jsonl', text);

      // Assess
      expect((await store.head('artifacts', 'big.bin'))?.etag).toBe(hex(big));
      expect((await store.head('artifacts', 'big.jsonl'))?.etag).toBe(hex(Buffer.from(text)));
      expect((await store.get('artifacts', 'big.jsonl'))?.toString('utf8')).toBe(text);
      expect((await store.head('artifacts', 'streamed.bin'))?.etag).toBe(
        hex(Buffer.concat([big.subarray(0, 5), big])),
      );
    });

    it('returns undefined from get and rejects getStream for a missing object', async () => {
      // Act & Assess
      expect(await store.get('raw', 'nope.csv')).toBeUndefined();
      await expect(store.getStream('raw', 'nope.csv')).rejects.toBeInstanceOf(ObjectNotFoundError);
      await store.put('raw', 'dir/file', 'x');
      await expect(store.getStream('raw', 'dir')).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('reads an object in chunks of one reused buffer (readChunks), for consumers that copy', async () => {
      // Prepare
      const big = Buffer.alloc(2 * (1 << 20) + 3);
      for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
      await store.put('artifacts', 'chunks.bin', big);

      // Act
      const copies: Buffer[] = [];
      const buffers = new Set<ArrayBufferLike>();
      for await (const c of store.readChunks('artifacts', 'chunks.bin')) {
        copies.push(Buffer.from(c));
        buffers.add(c.buffer);
      }

      // Assess
      expect(Buffer.concat(copies).equals(big)).toBe(true);
      expect(copies.length).toBe(3);
      expect(buffers.size).toBe(1);
      await expect(store.readChunks('raw', 'nope.csv').next()).rejects.toBeInstanceOf(
        ObjectNotFoundError,
      );
    });

    it('replaces an object on a second put, but not with ifNoneMatch', async () => {
      // Prepare
      await store.put('artifacts', 'ledger/champion.json', '{"v":1}', { ifNoneMatch: true });

      // Act
      const second = store.put('artifacts', 'ledger/champion.json', '{"v":2}', {
        ifNoneMatch: true,
      });

      // Assess
      await expect(second).rejects.toBeInstanceOf(ObjectExistsError);
      expect((await store.get('artifacts', 'ledger/champion.json'))?.toString()).toBe('{"v":1}');
      await store.put('artifacts', 'ledger/champion.json', '{"v":3}');
      expect((await store.get('artifacts', 'ledger/champion.json'))?.toString()).toBe('{"v":3}');
    });

    it('lets exactly one of many concurrent create-only puts win', async () => {
      // Act
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          store.put('artifacts', 'lock', `writer ${i}`, { ifNoneMatch: true }),
        ),
      );

      // Assess
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(
        results
          .filter((r) => r.status === 'rejected')
          .map((r) => (r as PromiseRejectedResult).reason),
      ).toEqual(Array(7).fill(expect.any(ObjectExistsError)));
    });

    it('never exposes a half-written object: it appears only when the stream ends', async () => {
      // Prepare
      const body = new PassThrough();
      const writing = store.put('raw', 'incoming/slow.csv', body);
      body.write('first half,');
      await new Promise((r) => setTimeout(r, 20));

      // Act
      const during = await collect(store.list('raw', ''));
      const whileWriting = await store.get('raw', 'incoming/slow.csv');
      body.end('second half');
      await writing;

      // Assess
      expect(during).toEqual([]);
      expect(whileWriting).toBeUndefined();
      expect((await store.get('raw', 'incoming/slow.csv'))?.toString()).toBe(
        'first half,second half',
      );
      expect(fs.readdirSync(path.join(dir, 'buckets', 'raw', 'incoming'))).toEqual(['slow.csv']);
    });

    it('removes the temporary file when a stream fails', async () => {
      // Prepare
      const body = new Readable({
        read() {
          this.destroy(new Error('upload interrupted'));
        },
      });

      // Act
      const put = store.put('raw', 'incoming/broken.csv', body);

      // Assess
      await expect(put).rejects.toThrow('upload interrupted');
      expect(fs.readdirSync(path.join(dir, 'buckets', 'raw', 'incoming'))).toEqual([]);
    });

    it('refuses keys a folder cannot hold', async () => {
      // Act & Assess
      for (const key of [
        '../escape',
        'a//b',
        '/abs',
        'trailing/',
        'a/./b',
        '',
        `x/${TEMP_PREFIX}1`,
      ]) {
        await expect(store.put('raw', key, 'x')).rejects.toBeInstanceOf(InvalidObjectKeyError);
      }
      await expect(store.put('../raw', 'k', 'x')).rejects.toBeInstanceOf(InvalidObjectKeyError);
      await store.put('raw', 'a/b', 'x');
      await expect(store.put('raw', 'a', 'x')).rejects.toThrow(/both an object and the folder/);
    });
  });

  describe('Method: head', () => {
    it('returns size, modification time and the MD5 ETag, also of a hand-copied file', async () => {
      // Prepare
      await store.put('raw', 'incoming/a.csv', 'abc');
      fs.mkdirSync(path.join(dir, 'buckets', 'raw', 'manual'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'buckets', 'raw', 'manual', 'b.csv'), 'hello');

      // Act
      const a = await store.head('raw', 'incoming/a.csv');
      const b = await store.head('raw', 'manual/b.csv');
      const missing = await store.head('raw', 'manual/none.csv');

      // Assess
      expect(a).toEqual({
        key: 'incoming/a.csv',
        size: 3,
        lastModified: expect.any(Date),
        etag: md5('abc'),
      });
      expect(b?.etag).toBe(md5('hello'));
      expect(missing).toBeUndefined();
    });
  });

  describe('Method: list', () => {
    it('lists keys under a prefix in byte order, with hidden temp files left out', async () => {
      // Prepare
      for (const key of [
        'incoming/b.csv',
        'incoming/a.csv',
        'incoming/sub/c.csv',
        'quarantine/x.json',
        'incomingX',
      ]) {
        await store.put('raw', key, key);
      }
      fs.writeFileSync(
        path.join(dir, 'buckets', 'raw', 'incoming', `${TEMP_PREFIX}123`),
        'partial',
      );

      // Act
      const incoming = await collect(store.list('raw', 'incoming/'));
      const inc = await collect(store.list('raw', 'inc'));
      const all = await collect(store.list('raw', ''));
      const none = await collect(store.list('batch-in', ''));

      // Assess
      expect(incoming.map((o) => o.key)).toEqual([
        'incoming/a.csv',
        'incoming/b.csv',
        'incoming/sub/c.csv',
      ]);
      expect(inc.map((o) => o.key)).toEqual([
        'incoming/a.csv',
        'incoming/b.csv',
        'incoming/sub/c.csv',
        'incomingX',
      ]);
      expect(all).toHaveLength(5);
      expect(incoming[0]).toEqual({
        key: 'incoming/a.csv',
        size: 14,
        lastModified: expect.any(Date),
        etag: md5('incoming/a.csv'),
      });
      expect(none).toEqual([]);
    });
  });

  describe('Method: delete', () => {
    it('deletes the object and its emptied folders; deleting a missing key is fine', async () => {
      // Prepare
      await store.put('raw', 'a/b/c.csv', 'x');
      await store.put('raw', 'a/keep.csv', 'y');

      // Act
      await store.delete('raw', 'a/b/c.csv');
      await store.delete('raw', 'a/b/c.csv');

      // Assess
      expect(await store.get('raw', 'a/b/c.csv')).toBeUndefined();
      expect(fs.existsSync(path.join(dir, 'buckets', 'raw', 'a', 'b'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'buckets', 'raw', 'a', 'keep.csv'))).toBe(true);
      await store.put('raw', 'a/b', 'now a file');
      expect((await store.get('raw', 'a/b'))?.toString()).toBe('now a file');
    });
  });

  describe('Method: without a database', () => {
    it('works as a plain folder store', async () => {
      // Prepare
      const plain = new LocalObjectStore(path.join(dir, 'plain'), names);

      // Act
      await plain.put('raw', 'k', 'v');

      // Assess
      expect((await plain.head('raw', 'k'))?.etag).toBe(md5('v'));
      expect(plain.physicalBucket('raw')).toBe('cancer-mlops-dev-raw');
    });
  });
});
