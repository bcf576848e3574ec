import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';
import type { FeatureRecord, NoteScore } from '@cancer-mlops/shared/contracts/record.ts';
import type {
  FeatureStore,
  SnapshotQuery,
  WriteResult,
} from '@cancer-mlops/shared/ports/featureStore.ts';
import type { EventPublisher, QueueSender } from '@cancer-mlops/shared/ports/messaging.ts';
import type { NoteScorer } from '@cancer-mlops/shared/ports/noteScorer.ts';
import type { StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import { WDBC_FEATURE_GROUP } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { conflictingFields } from '@cancer-mlops/shared/domain/validation/sameObservation.ts';
export { MemoryMetrics } from '@cancer-mlops/shared/testing/memoryMetrics.ts';

/** In-memory fakes of the ports scoring uses; they keep what they were given. */
export class MemoryQueues implements QueueSender {
  readonly sent: { queue: string; messages: unknown[] }[] = [];
  async send(queue: string, messages: readonly unknown[]) {
    this.sent.push({
      queue,
      messages: messages.map((m) => JSON.parse(JSON.stringify(m)) as unknown),
    });
  }
  messages<T = unknown>(queue: string): T[] {
    return this.sent.filter((s) => s.queue === queue).flatMap((s) => s.messages as T[]);
  }
}

export class MemoryEvents implements EventPublisher {
  readonly published: BusEvent[] = [];
  failWith: Error | undefined;
  async publish(events: readonly BusEvent[]) {
    if (this.failWith) throw this.failWith;
    this.published.push(...events);
  }
}

export class MemoryState implements StateStore {
  readonly data = new Map<string, unknown>();
  private id = (ns: string, key: string) => `${ns}/${key}`;
  async get<T>(ns: string, key: string) {
    const v = this.data.get(this.id(ns, key));
    return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as T);
  }
  async put(ns: string, key: string, value: unknown) {
    this.data.set(this.id(ns, key), JSON.parse(JSON.stringify(value)));
  }
  async putIfAbsent(ns: string, key: string, value: unknown) {
    if (this.data.has(this.id(ns, key))) return false;
    await this.put(ns, key, value);
    return true;
  }
  async delete(ns: string, key: string) {
    this.data.delete(this.id(ns, key));
  }
  async list<T>(ns: string) {
    return [...this.data.entries()]
      .filter(([k]) => k.startsWith(`${ns}/`))
      .map(([k, v]) => ({ key: k.slice(ns.length + 1), value: v as T }));
  }
}

/** A scorer whose answer a test decides; it records every note it was shown. */
export class FakeScorer implements NoteScorer {
  readonly id: string;
  readonly promptVersion = 'rubric-test-1';
  readonly notes: string[] = [];
  answer: (note: string) => Promise<NoteScore>;

  constructor(
    id = 'bedrock:anthropic.claude-3-sonnet',
    answer?: (note: string) => Promise<NoteScore>,
  ) {
    this.id = id;
    this.answer =
      answer ??
      (async (note) => ({
        malignancy_risk_score: 8,
        evidence: [{ quote: 'invasive ductal carcinoma', weight: 1, rule: 'invasive-carcinoma' }],
        rationale: `Found: ${note.slice(0, 40)}`,
        scorer_id: this.id,
        prompt_version: this.promptVersion,
      }));
  }

  async score(note: string) {
    this.notes.push(note);
    return this.answer(note);
  }
}

/** A feature store keyed by record id + event time, like the real ones. */
export class MemoryFeatureStore implements FeatureStore {
  readonly rows = new Map<string, FeatureRecord>();
  failFor: ((r: FeatureRecord) => Error | undefined) | undefined;

  async put(records: readonly FeatureRecord[]): Promise<WriteResult> {
    const result: WriteResult = { written: 0, duplicates: 0 };
    for (const r of records) {
      const error = this.failFor?.(r);
      if (error) throw error;
      const key = `${r.record_id}@${Date.parse(r.event_time)}`;
      const stored = this.rows.get(key);
      if (stored) {
        const fields = conflictingFields(stored, r, WDBC_FEATURE_GROUP);
        if (fields.length === 0) result.duplicates += 1;
        else (result.conflicts ??= []).push({ record_id: r.record_id, fields });
      } else {
        this.rows.set(key, r);
        result.written += 1;
      }
    }
    return result;
  }
  async latest(recordId: string) {
    return [...this.rows.values()]
      .filter((r) => r.record_id === recordId)
      .sort((a, b) => Date.parse(b.event_time) - Date.parse(a.event_time))[0];
  }
  // eslint-disable-next-line require-yield
  async *snapshot(_q: SnapshotQuery): AsyncIterable<FeatureRecord> {
    throw new Error('not used by scoring');
  }
  async countLabelledWrittenSince() {
    return 0;
  }
}
