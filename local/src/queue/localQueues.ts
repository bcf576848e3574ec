import { randomBytes, randomUUID } from 'node:crypto';
import type { SQSMessageAttribute } from 'aws-lambda';
import type { RuntimeDb } from '../db.ts';
import { md5Hex, md5OfMessageAttributes, sqsQueueArn } from './sqsEvent.ts';

export interface QueueConfig {
  /** Physical name, `<prefix>-<stage>-<logical>`. */
  name: string;
  visibilityTimeoutSeconds: number;
  /** Receives before the message moves to the dead-letter queue (SQS redrive policy). */
  maxReceiveCount: number;
  /** Physical name of the dead-letter queue; without one, messages are retried forever (as on SQS). */
  dlqName?: string;
}

/** A message attribute in the shape the Lambda SQS event carries it. */
export type MessageAttributeValue = Pick<
  SQSMessageAttribute,
  'dataType' | 'stringValue' | 'binaryValue'
>;

export interface SendOptions {
  messageAttributes?: Record<string, MessageAttributeValue>;
  /** SQS DelaySeconds: the message stays invisible this long after it is sent (0-900). */
  delaySeconds?: number;
}

export interface ReceiveOptions {
  /** Overrides the queue's visibility timeout for these messages (0-43200, as SQS). */
  visibilityTimeoutSeconds?: number;
}

export interface ReceivedMessage {
  messageId: string;
  /** New on every receive; only the latest one deletes or changes the message. */
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
    DeadLetterQueueSourceArn?: string;
  };
  messageAttributes: Record<string, MessageAttributeValue>;
}

export interface QueueDepth {
  /** Receivable now. */
  visible: number;
  /** Received and not yet deleted, inside their visibility timeout. */
  inFlight: number;
  /** Sent with a delay that has not passed yet. */
  delayed: number;
  /** Messages in this queue's dead-letter queue (0 without one). */
  dlq: number;
}

export interface DeadLetter {
  messageId: string;
  body: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  /** Why it died: the last failure the consumer reported, or that it was never deleted. */
  error: string;
  receiveCount: number;
  sourceQueue: string;
  sentAt: Date;
  deadLetteredAt: Date;
}

export class QueueNotFoundError extends Error {
  override readonly name = 'QueueNotFoundError';
  constructor(queue: string) {
    super(`queue does not exist: ${queue}`);
  }
}

export interface LocalQueuesOptions {
  /** Milliseconds since the epoch; injectable so tests move time instead of waiting. */
  now?: () => number;
  region?: string;
  accountId?: string;
  /** SenderId attribute of sent messages (an IAM principal id on AWS). */
  senderId?: string;
}

/** SQS's largest message since 2025 (1 MiB); a bigger one would fail on AWS, so it fails here. */
export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_ERROR_CHARS = 4000;

interface QueueRow {
  name: string;
  visibility_timeout_ms: number;
  max_receive_count: number;
  dlq_name: string | null;
}

interface MessageRow {
  seq: number;
  message_id: string;
  body: string;
  md5_of_body: string;
  message_attributes: string | null;
  sender_id: string;
  sent_at: number;
  receive_count: number;
  first_received_at: number | null;
  last_error: string | null;
  dead_letter_source: string | null;
  dead_lettered_at: number | null;
}

type Listener = (queue: string) => void;

/**
 * Durable SQS-like standard queues in the runtime database. Every operation is one SQLite
 * transaction, so a process killed at any point loses nothing: a received message that was
 * not deleted becomes visible again when its visibility timeout passes, with its receive
 * count kept, and moves to the dead-letter queue once that count would exceed
 * maxReceiveCount, carrying the last failure the consumer recorded.
 *
 * The API is synchronous (better-sqlite3 is), which keeps the mesh's poll loop cheap; await
 * works on it all the same.
 */
export class LocalQueues {
  private readonly now: () => number;
  private readonly region: string;
  private readonly accountId: string;
  private readonly senderId: string;
  private readonly listeners = new Set<Listener>();
  private readonly configs = new Map<string, QueueRow>();
  private readonly stmt;

  constructor(
    private readonly db: RuntimeDb,
    options: LocalQueuesOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.senderId = options.senderId ?? 'AIDALOCALRUNTIME';
    this.stmt = {
      upsertQueue: db.prepare(
        `INSERT INTO queues (name, visibility_timeout_ms, max_receive_count, dlq_name, created_at)
         VALUES (@name, @visibility_timeout_ms, @max_receive_count, @dlq_name, @now)
         ON CONFLICT (name) DO UPDATE SET visibility_timeout_ms = excluded.visibility_timeout_ms,
           max_receive_count = excluded.max_receive_count, dlq_name = excluded.dlq_name`,
      ),
      ensureQueue: db.prepare(
        `INSERT INTO queues (name, visibility_timeout_ms, max_receive_count, dlq_name, created_at)
         VALUES (?, 30000, 0, NULL, ?) ON CONFLICT (name) DO NOTHING`,
      ),
      getQueue: db.prepare(
        'SELECT name, visibility_timeout_ms, max_receive_count, dlq_name FROM queues WHERE name = ?',
      ),
      listQueues: db.prepare(
        'SELECT name, visibility_timeout_ms, max_receive_count, dlq_name FROM queues ORDER BY name',
      ),
      insert: db.prepare(
        `INSERT INTO queue_messages (queue, message_id, body, md5_of_body, message_attributes, sender_id, sent_at, visible_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      candidates: db.prepare(
        `SELECT seq, message_id, body, md5_of_body, message_attributes, sender_id, sent_at, receive_count,
                first_received_at, last_error, dead_letter_source, dead_lettered_at
         FROM queue_messages WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?`,
      ),
      markReceived: db.prepare(
        `UPDATE queue_messages SET receive_count = receive_count + 1, receipt_handle = ?, visible_at = ?,
           first_received_at = COALESCE(first_received_at, ?) WHERE seq = ?`,
      ),
      moveToDlq: db.prepare(
        `UPDATE queue_messages SET queue = ?, dead_letter_source = ?, dead_lettered_at = ?, visible_at = ?,
           receipt_handle = NULL, last_error = COALESCE(last_error, ?) WHERE seq = ?`,
      ),
      delete: db.prepare('DELETE FROM queue_messages WHERE queue = ? AND receipt_handle = ?'),
      changeVisibility: db.prepare(
        'UPDATE queue_messages SET visible_at = ? WHERE queue = ? AND receipt_handle = ?',
      ),
      recordFailure: db.prepare(
        'UPDATE queue_messages SET last_error = ? WHERE queue = ? AND receipt_handle = ?',
      ),
      depth: db.prepare(
        `SELECT COALESCE(SUM(visible_at <= @now), 0) AS visible,
                COALESCE(SUM(visible_at > @now AND receipt_handle IS NOT NULL), 0) AS inFlight,
                COALESCE(SUM(visible_at > @now AND receipt_handle IS NULL), 0) AS delayed
         FROM queue_messages WHERE queue = @queue`,
      ),
      count: db.prepare('SELECT COUNT(*) AS n FROM queue_messages WHERE queue = ?'),
      dlqList: db.prepare(
        `SELECT seq, message_id, body, md5_of_body, message_attributes, sender_id, sent_at, receive_count,
                first_received_at, last_error, dead_letter_source, dead_lettered_at
         FROM queue_messages WHERE queue = ? ORDER BY seq LIMIT ?`,
      ),
      redrive: db.prepare(
        `UPDATE queue_messages SET queue = @queue, receive_count = 0, first_received_at = NULL, receipt_handle = NULL,
           last_error = NULL, dead_letter_source = NULL, dead_lettered_at = NULL, visible_at = @now
         WHERE queue = @dlq AND (dead_letter_source = @queue OR dead_letter_source IS NULL)`,
      ),
      purge: db.prepare('DELETE FROM queue_messages WHERE queue = ?'),
      nextVisible: db.prepare('SELECT MIN(visible_at) AS at FROM queue_messages WHERE queue = ?'),
    };
  }

  /** Creates the queue (and its DLQ) or updates its settings; safe to call on every start. */
  createQueue(config: QueueConfig): void {
    if (!config.name) throw new Error('a queue needs a name');
    assertRange('visibilityTimeoutSeconds', config.visibilityTimeoutSeconds, 0, 43_200);
    if (config.dlqName !== undefined) {
      assertRange('maxReceiveCount', config.maxReceiveCount, 1, 1000);
      if (config.dlqName === config.name)
        throw new Error(`queue ${config.name} cannot be its own DLQ`);
    }
    const now = this.now();
    this.db.transaction(() => {
      this.stmt.upsertQueue.run({
        name: config.name,
        visibility_timeout_ms: Math.round(config.visibilityTimeoutSeconds * 1000),
        max_receive_count: Math.floor(config.maxReceiveCount),
        dlq_name: config.dlqName ?? null,
        now,
      });
      if (config.dlqName) this.stmt.ensureQueue.run(config.dlqName, now);
    })();
    this.configs.delete(config.name);
  }

  hasQueue(name: string): boolean {
    return this.stmt.getQueue.get(name) !== undefined;
  }

  listQueues(): QueueConfig[] {
    return (this.stmt.listQueues.all() as QueueRow[]).map((r) => ({
      name: r.name,
      visibilityTimeoutSeconds: r.visibility_timeout_ms / 1000,
      maxReceiveCount: r.max_receive_count,
      ...(r.dlq_name ? { dlqName: r.dlq_name } : {}),
    }));
  }

  arn(name: string): string {
    return sqsQueueArn(this.region, this.accountId, name);
  }

  /** Sends every body in one transaction (all or none); returns the message ids in order. */
  send(name: string, bodies: readonly string[], options: SendOptions = {}): string[] {
    this.queue(name);
    const delayMs = Math.round((options.delaySeconds ?? 0) * 1000);
    assertRange('delaySeconds', delayMs / 1000, 0, 900);
    const attributes = options.messageAttributes ?? {};
    for (const [k, v] of Object.entries(attributes)) {
      if (v.stringValue === undefined && v.binaryValue === undefined) {
        throw new Error(`message attribute ${k} has neither stringValue nor binaryValue`);
      }
    }
    const attributesJson = Object.keys(attributes).length > 0 ? JSON.stringify(attributes) : null;
    for (const body of bodies) {
      if (typeof body !== 'string' || body.length === 0) {
        throw new Error(`queue ${name}: a message body must be a non-empty string`);
      }
      if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
        throw new Error(`queue ${name}: message body exceeds ${MAX_BODY_BYTES} bytes`);
      }
    }
    const now = this.now();
    const ids = bodies.map(() => randomUUID());
    this.db
      .transaction(() => {
        bodies.forEach((body, i) => {
          this.stmt.insert.run(
            name,
            ids[i],
            body,
            md5Hex(body),
            attributesJson,
            this.senderId,
            now,
            now + delayMs,
          );
        });
      })
      .immediate();
    if (ids.length > 0) this.notify(name);
    return ids;
  }

  /**
   * Receives up to `max` visible messages, each made invisible for the visibility timeout.
   * A message already received maxReceiveCount times is moved to the DLQ instead, as SQS
   * does on the receive that would exceed the count.
   */
  receive(name: string, max = 1, options: ReceiveOptions = {}): ReceivedMessage[] {
    const q = this.queue(name);
    assertRange('max', max, 1, 10_000);
    if (options.visibilityTimeoutSeconds !== undefined) {
      assertRange('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds, 0, 43_200);
    }
    const visibilityMs =
      options.visibilityTimeoutSeconds === undefined
        ? q.visibility_timeout_ms
        : Math.round(options.visibilityTimeoutSeconds * 1000);
    const now = this.now();
    const out: ReceivedMessage[] = [];
    // With a zero visibility timeout a message just received is visible again: never hand
    // out the same one twice in one call.
    const taken = new Set<number>();
    this.db
      .transaction(() => {
        while (out.length < max) {
          const rows = this.stmt.candidates.all(
            name,
            now,
            max - out.length + taken.size,
          ) as MessageRow[];
          const fresh = rows.filter((r) => !taken.has(r.seq));
          if (fresh.length === 0) break;
          for (const row of fresh) {
            if (out.length >= max) break;
            taken.add(row.seq);
            if (q.dlq_name && row.receive_count >= q.max_receive_count) {
              this.stmt.moveToDlq.run(
                q.dlq_name,
                name,
                now,
                now,
                `not deleted after ${row.receive_count} receives (no failure was recorded: the consumer timed out or crashed)`,
                row.seq,
              );
              continue;
            }
            const handle = receiptHandle();
            this.stmt.markReceived.run(handle, now + visibilityMs, now, row.seq);
            out.push(
              this.toMessage(row, handle, row.receive_count + 1, row.first_received_at ?? now),
            );
          }
        }
      })
      .immediate();
    return out;
  }

  /**
   * Deletes the message received with this handle. Like SQS, a handle that is no longer the
   * latest one (the message was received again, or is already gone) is accepted without an
   * error and deletes nothing: false tells the caller so.
   */
  delete(name: string, handle: string): boolean {
    this.queue(name);
    return this.stmt.delete.run(name, handle).changes === 1;
  }

  /** DeleteMessageBatch: one transaction for many handles; returns how many were deleted. */
  deleteBatch(name: string, handles: readonly string[]): number {
    this.queue(name);
    let deleted = 0;
    this.db
      .transaction(() => {
        for (const h of handles) deleted += this.stmt.delete.run(name, h).changes;
      })
      .immediate();
    return deleted;
  }

  /** Makes the message visible again after `seconds` (0 = now); false for a stale handle. */
  changeVisibility(name: string, handle: string, seconds: number): boolean {
    this.queue(name);
    assertRange('visibilityTimeoutSeconds', seconds, 0, 43_200);
    const changed =
      this.stmt.changeVisibility.run(this.now() + Math.round(seconds * 1000), name, handle)
        .changes === 1;
    if (changed && seconds === 0) this.notify(name);
    return changed;
  }

  /**
   * Attaches why the consumer failed this message; if it ends in the DLQ, the dead letter
   * carries the last such reason. False for a stale handle.
   */
  recordFailure(name: string, handle: string, error: string): boolean {
    this.queue(name);
    const text = error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}…` : error;
    return this.stmt.recordFailure.run(text, name, handle).changes === 1;
  }

  depth(name: string): QueueDepth {
    const q = this.queue(name);
    const row = this.stmt.depth.get({ now: this.now(), queue: name }) as Omit<QueueDepth, 'dlq'>;
    const dlq = q.dlq_name ? (this.stmt.count.get(q.dlq_name) as { n: number }).n : 0;
    return { visible: row.visible, inFlight: row.inFlight, delayed: row.delayed, dlq };
  }

  /** The dead letters of `name` (the messages in its DLQ), oldest first. */
  dlqList(name: string, limit = 1000): DeadLetter[] {
    const q = this.queue(name);
    if (!q.dlq_name) return [];
    return (this.stmt.dlqList.all(q.dlq_name, limit) as MessageRow[]).map((r) => ({
      messageId: r.message_id,
      body: r.body,
      messageAttributes: r.message_attributes ? JSON.parse(r.message_attributes) : {},
      error: r.last_error ?? 'no failure was recorded',
      receiveCount: r.receive_count,
      sourceQueue: r.dead_letter_source ?? name,
      sentAt: new Date(r.sent_at),
      deadLetteredAt: new Date(r.dead_lettered_at ?? r.sent_at),
    }));
  }

  /** Moves the DLQ's messages back to `name` with their receive count reset; returns how many. */
  redrive(name: string): number {
    const q = this.queue(name);
    if (!q.dlq_name) return 0;
    const moved = this.stmt.redrive.run({ queue: name, dlq: q.dlq_name, now: this.now() }).changes;
    if (moved > 0) this.notify(name);
    return moved;
  }

  /** Deletes every message in the queue (not its DLQ); returns how many. */
  purge(name: string): number {
    this.queue(name);
    return this.stmt.purge.run(name).changes;
  }

  /** When the earliest message (visible or not) is or becomes visible: lets a poller sleep exactly. */
  nextVisibleAt(name: string): number | undefined {
    this.queue(name);
    const row = this.stmt.nextVisible.get(name) as { at: number | null };
    return row.at ?? undefined;
  }

  /** Called with the queue name whenever messages become receivable now (send, redrive, visibility 0). */
  onMessage(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(name: string): void {
    for (const l of this.listeners) l(name);
  }

  private queue(name: string): QueueRow {
    let q = this.configs.get(name);
    if (!q) {
      q = this.stmt.getQueue.get(name) as QueueRow | undefined;
      if (!q) throw new QueueNotFoundError(name);
      this.configs.set(name, q);
    }
    return q;
  }

  private toMessage(
    row: MessageRow,
    handle: string,
    receiveCount: number,
    firstReceivedAt: number,
  ): ReceivedMessage {
    const messageAttributes = row.message_attributes
      ? (JSON.parse(row.message_attributes) as Record<string, MessageAttributeValue>)
      : {};
    const md5Attrs = md5OfMessageAttributes(messageAttributes);
    return {
      messageId: row.message_id,
      receiptHandle: handle,
      body: row.body,
      md5OfBody: row.md5_of_body,
      ...(md5Attrs ? { md5OfMessageAttributes: md5Attrs } : {}),
      attributes: {
        ApproximateReceiveCount: String(receiveCount),
        SentTimestamp: String(row.sent_at),
        SenderId: row.sender_id,
        ApproximateFirstReceiveTimestamp: String(firstReceivedAt),
        ...(row.dead_letter_source
          ? { DeadLetterQueueSourceArn: this.arn(row.dead_letter_source) }
          : {}),
      },
      messageAttributes,
    };
  }
}

/** Opaque and unguessable, like SQS's; a new one on every receive. */
const receiptHandle = () => randomBytes(36).toString('base64');

function assertRange(what: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${what} must be a number from ${min} to ${max}, got ${value}`);
  }
}
