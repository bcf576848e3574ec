/**
 * The prepared model input, assembled in input order while notes are still being scored.
 * Rows that are ready go byte by byte into a large buffer; a row waiting for its note's
 * score takes its place in the queue as a promise, and `drain` hands out bytes strictly in
 * order. Memory stays bounded: parsing pauses (drain awaits the oldest note) when too many
 * notes or too many bytes wait behind one.
 */

export interface PendingRow {
  /** The row's bytes when it resolves, or undefined when it turned out to be an error row. */
  promise: Promise<Buffer | undefined>;
  settled: boolean;
}

export interface AssemblerOptions {
  /** Size of each output chunk handed to the upload. */
  chunkBytes?: number;
  /** Rows waiting for a note score before parsing pauses. */
  maxPending?: number;
  /** Ready bytes queued behind a waiting note before parsing pauses. */
  maxQueuedBytes?: number;
}

export class OutputAssembler {
  private buf: Buffer;
  private pos = 0;
  private readonly queue: (Buffer | PendingRow)[] = [];
  private queuedBytes = 0;
  private pending = 0;
  private readonly chunkBytes: number;
  private readonly maxPending: number;
  private readonly maxQueuedBytes: number;
  /** Bytes handed out so far. */
  bytes = 0;

  constructor(options: AssemblerOptions = {}) {
    this.chunkBytes = options.chunkBytes ?? 1 << 20;
    this.maxPending = options.maxPending ?? 256;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 8 << 20;
    this.buf = Buffer.allocUnsafe(this.chunkBytes);
  }

  /** Makes room for `n` more bytes (a row is far smaller than a chunk). */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.cut();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  /** Copies `src[start, end)`; the caller reserved room. A loop beats `copy` for short spans. */
  copy(src: Buffer, start: number, end: number): void {
    const out = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) out[p++] = src[i];
    this.pos = p;
  }

  /** Writes ASCII text (numbers, commas); the caller reserved room. */
  ascii(text: string): void {
    const out = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) out[p++] = text.charCodeAt(i);
    this.pos = p;
  }

  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** Hands out `src[start, end)` itself, after what is already written (no copy). */
  ref(src: Buffer, start: number, end: number): void {
    this.cut();
    const slice = src.subarray(start, end);
    this.queue.push(slice);
    this.queuedBytes += slice.length;
  }

  /** A row whose bytes come later. */
  later(row: PendingRow): void {
    this.cut();
    this.queue.push(row);
    this.pending++;
  }

  /** Moves what the buffer holds to the queue and starts a new one. */
  private cut(): void {
    if (this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    this.buf = Buffer.allocUnsafe(this.chunkBytes);
    this.pos = 0;
  }

  /**
   * Hands out every chunk that is ready, in order. Mid-file (`final` false) it waits for a
   * note only when too much waits behind it; at the end it waits for all of them.
   */
  async *drain(final: boolean): AsyncGenerator<Buffer> {
    // Mid-file a part-filled buffer keeps filling; at the end it goes too.
    if (final) this.cut();
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (Buffer.isBuffer(head)) {
        this.queue.shift();
        this.queuedBytes -= head.length;
        this.bytes += head.length;
        yield head;
        continue;
      }
      if (
        !final &&
        !head.settled &&
        this.pending < this.maxPending &&
        this.queuedBytes < this.maxQueuedBytes
      )
        return;
      const bytes = await head.promise;
      this.queue.shift();
      this.pending--;
      if (bytes !== undefined) {
        this.bytes += bytes.length;
        yield bytes;
      }
    }
  }
}

/** Runs at most `concurrency` tasks at once, in the order they were asked for. */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly concurrency: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so no newcomer slips in.
    if (this.running >= this.concurrency)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
