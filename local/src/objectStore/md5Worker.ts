import { Worker } from 'node:worker_threads';

/**
 * MD5, the local object store's ETag, computed on a worker thread. A 200 MB batch file costs
 * ~0.3 s of hashing: on the event loop that time is taken from every other stage (and from
 * /predict), and a put's hash runs in series with whatever produces its stream. On the worker
 * it overlaps both, on the core the event loop is not using.
 *
 * One worker for the process, started on first use, holding the process open only while a
 * hash is pending. Its code is plain CommonJS evaluated in the worker: it needs nothing but
 * node:crypto and node:fs, and so no TypeScript loader.
 */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const open = new Map();
parentPort.on('message', async (m) => {
  try {
    if (m.op === 'update') {
      let h = open.get(m.id);
      if (!h) open.set(m.id, (h = createHash('md5')));
      h.update(new Uint8Array(m.chunk, 0, m.length));
      if (m.spare) parentPort.postMessage({ spare: m.chunk }, [m.chunk]);
    } else if (m.op === 'digest') {
      const h = open.get(m.id) ?? createHash('md5');
      open.delete(m.id);
      parentPort.postMessage({ id: m.id, hex: h.digest('hex') });
    } else if (m.op === 'drop') {
      open.delete(m.id);
    } else if (m.op === 'file') {
      const h = createHash('md5');
      for await (const c of fs.createReadStream(m.file, { highWaterMark: 1 << 20 })) h.update(c);
      parentPort.postMessage({ id: m.id, hex: h.digest('hex') });
    }
  } catch (e) {
    open.delete(m.id);
    parentPort.postMessage({ id: m.id, error: String((e && e.message) || e), code: e && e.code });
  }
});
`;

interface Reply {
  /** A transfer buffer handed back once hashed. */
  spare?: ArrayBuffer;
  id: number;
  hex?: string;
  error?: string;
  code?: string;
}

interface Pending {
  resolve(hex: string): void;
  reject(e: Error): void;
}

let worker: Worker | undefined;
let nextId = 1;

/**
 * Transfer buffers for large chunks, handed back by the worker once hashed: a 200 MB stream
 * is then a few buffers reused instead of 200 fresh ones (each paid again in page faults and
 * in collection on the event loop).
 */
const SPARE_FROM = 64 * 1024;
const SPARE_SIZE = 1 << 20;
const MAX_SPARES = 16;
const spares: ArrayBuffer[] = [];

function transferBuffer(length: number): { buffer: ArrayBuffer; spare: boolean } {
  if (length < SPARE_FROM) return { buffer: new ArrayBuffer(length), spare: false };
  const found = spares.pop();
  if (found && found.byteLength >= length) return { buffer: found, spare: true };
  return { buffer: new ArrayBuffer(Math.max(length, SPARE_SIZE)), spare: true };
}
const pending = new Map<number, Pending>();

function fail(id: number, e: Error): void {
  const p = pending.get(id);
  pending.delete(id);
  p?.reject(e);
}

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(SOURCE, { eval: true });
  w.unref();
  w.on('message', (r: Reply) => {
    if (r.spare) {
      if (spares.length < MAX_SPARES) spares.push(r.spare);
      return;
    }
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (pending.size === 0) w.unref();
    if (r.hex !== undefined) p.resolve(r.hex);
    else p.reject(Object.assign(new Error(r.error ?? 'md5 failed'), { code: r.code }));
  });
  const lost = (e: Error) => {
    if (worker === w) worker = undefined;
    for (const id of [...pending.keys()]) fail(id, e);
  };
  w.on('error', lost);
  w.on('exit', (code) => lost(new Error(`the md5 worker exited (code ${code})`)));
  worker = w;
  return w;
}

function request(message: Record<string, unknown>, id: number): Promise<string> {
  const w = getWorker();
  const done = new Promise<string>((resolve, reject) => pending.set(id, { resolve, reject }));
  w.ref(); // a pending hash keeps the process alive
  w.postMessage(message);
  return done;
}

/** The MD5 (hex) of a file's bytes; errors keep their `code` (ENOENT when it vanished). */
export function md5OfFile(file: string): Promise<string> {
  const id = nextId++;
  return request({ op: 'file', id, file }, id);
}

/** An MD5 fed chunk by chunk (copied, so callers may reuse their buffers). */
export class Md5Digest {
  private readonly id = nextId++;
  private readonly worker = getWorker();

  update(chunk: Uint8Array): void {
    // A copy in a buffer of its own, so it can be transferred.
    const { buffer, spare } = transferBuffer(chunk.length);
    new Uint8Array(buffer, 0, chunk.length).set(chunk);
    this.worker.postMessage(
      { op: 'update', id: this.id, chunk: buffer, length: chunk.length, spare },
      [buffer],
    );
  }

  digest(): Promise<string> {
    // A worker that died meanwhile took the earlier chunks with it.
    if (worker !== this.worker) return Promise.reject(new Error('the md5 worker was lost'));
    return request({ op: 'digest', id: this.id }, this.id);
  }

  /** Forgets a digest that will not be asked for (a failed write). */
  discard(): void {
    this.worker.postMessage({ op: 'drop', id: this.id });
  }
}
