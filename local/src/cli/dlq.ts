import { dlqName, queueName } from '@cancer-mlops/shared/topology/names.ts';
import { openLocalState } from '../localState.ts';
import { UsageError, existingStateDir, parse, stateDirOf } from './args.ts';

/** `mlops dlq list QUEUE` / `mlops dlq redrive QUEUE` (QUEUE is the logical name, e.g. notes-to-score). */
export async function dlqCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {});
  const [action, queue] = positionals;
  if (!['list', 'redrive'].includes(action ?? '') || !queue)
    throw new UsageError('usage: mlops dlq list|redrive QUEUE');
  const state = openLocalState(existingStateDir(stateDirOf(values.state)));
  try {
    const physical = queueName(state.names, queue);
    if (!state.queues.hasQueue(physical)) {
      const known = state.queues
        .listQueues()
        .map((q) => q.name)
        .filter((n) => !n.endsWith('-dlq'))
        .map((n) => n.slice(`${state.names.prefix}-${state.names.stage}-`.length));
      throw new UsageError(
        `no queue "${queue}"; queues: ${known.join(', ') || '(none yet: start the runtime once)'}`,
      );
    }
    if (action === 'redrive') {
      const n = state.queues.redrive(physical);
      console.log(`${n} message(s) moved from ${queue}-dlq back to ${queue}`);
      return 0;
    }
    const letters = state.queues.dlqList(physical);
    if (values.json) {
      // Bodies stay out of the listing: they may hold note text.
      console.log(
        JSON.stringify(
          letters.map(({ body: _b, ...rest }) => ({
            ...rest,
            bodyBytes: _b.length,
            ...letterSubject(_b),
          })),
          null,
          2,
        ),
      );
      return 0;
    }
    console.log(`${letters.length} dead letter(s) in ${dlqName(state.names, queue)}`);
    for (const l of letters) {
      const subject = letterSubject(l.body);
      const about = subject.recordId
        ? `  record ${subject.recordId}`
        : subject.request
          ? `  request ${subject.request}`
          : '';
      console.log(
        `- ${l.messageId}${about}  received ${l.receiveCount}x, dead since ${l.deadLetteredAt.toISOString()}\n    ${l.error}`,
      );
    }
    return 0;
  } finally {
    state.close();
  }
}

/**
 * What a dead letter is about, so an operator can find the row: the record id of a record
 * message or the idempotency key of a training request. Nothing else of the body (a note,
 * the measurements) is shown.
 */
export function letterSubject(body: string): { recordId?: string; request?: string } {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return {};
  }
  if (message === null || typeof message !== 'object') return {};
  const m = message as { record?: { record_id?: unknown }; idempotency_key?: unknown };
  const id = m.record?.record_id;
  if (typeof id === 'string' || typeof id === 'number')
    return { recordId: String(id).slice(0, 64) };
  if (typeof m.idempotency_key === 'string') return { request: m.idempotency_key.slice(0, 64) };
  return {};
}
