import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import { ObjectExistsError } from '@cancer-mlops/shared/ports/objectStore.ts';

/**
 * The promotion ledger: an append-only record of every decision about a model and every
 * change of what serves, so "which model served at time T, and why" has one answer. Each
 * entry is its own object `ledger/entries/<key>.json` in the artifacts bucket, written only
 * if absent: concurrent writers never overwrite each other, and a retried handler that
 * passes the same dedupe key appends nothing twice. `ledger/serving.json` is a convenience
 * copy of the latest serving change for readers that only need "what serves now".
 */

export const LEDGER_BUCKET = 'artifacts';
export const LEDGER_PREFIX = 'ledger/entries/';
export const SERVING_KEY = 'ledger/serving.json';

export type LedgerAction =
  /** The approval policy or an operator approved the package. */
  | 'approved'
  /** The approval policy or an operator rejected the package. */
  | 'rejected'
  /** Manual mode: the policy's recommendation, waiting for a person. */
  | 'awaiting-approval'
  /** The package now serves. */
  | 'promoted'
  /** Serving went back to an earlier model: by an operator, or automatically when a deployment failed. */
  | 'rolled-back';

export interface LedgerEntry {
  at: string;
  action: LedgerAction;
  /** The package the entry is about (for rolled-back: the one taken out, or that failed to deploy). */
  version: number;
  package_arn: string;
  /** `policy`, `deployer`, or `operator:<name>`. */
  actor: string;
  reason: string;
  /**
   * Set on entries that change (or confirm) what serves: the version serving afterwards,
   * null when nothing serves. Absent on decisions.
   */
  serving?: number | null;
  serving_package_arn?: string | null;
  endpoint?: string;
  /** The policy's or the operator's numbers at the time, for the record. */
  details?: Record<string, unknown>;
}

export interface ServedModel {
  version: number;
  package_arn: string;
  since: string;
  /** Why it serves: the promotion or rollback entry's reason. */
  reason: string;
  /** The approval decision behind it, when there was one. */
  approval?: { at: string; actor: string; reason: string };
  endpoint?: string;
}

export interface Ledger {
  /** Appends an entry; false when an entry with this dedupe key already exists. */
  append(entry: Omit<LedgerEntry, 'at'> & { at?: string }, dedupeKey?: string): Promise<boolean>;
  /** Every entry, oldest first. */
  entries(): Promise<LedgerEntry[]>;
  /** What served at `t`, or null when nothing did. */
  servedAt(t: Date): Promise<ServedModel | null>;
  /** What serves now. */
  serving(): Promise<ServedModel | null>;
}

const compactTime = (iso: string) => iso.replace(/[-:.]/g, '');
/** Dedupe keys become one path segment. */
const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);

export function createLedger(objects: ObjectStore, now: () => Date = () => new Date()): Ledger {
  const entries = async (): Promise<LedgerEntry[]> => {
    const found: { key: string; entry: LedgerEntry }[] = [];
    for await (const info of objects.list(LEDGER_BUCKET, LEDGER_PREFIX)) {
      if (!info.key.endsWith('.json')) continue;
      const raw = await objects.get(LEDGER_BUCKET, info.key);
      if (raw)
        found.push({ key: info.key, entry: JSON.parse(raw.toString('utf8')) as LedgerEntry });
    }
    // By time, then by key (which starts with the time), so equal times keep write order.
    found.sort((a, b) =>
      a.entry.at < b.entry.at ? -1 : a.entry.at > b.entry.at ? 1 : a.key < b.key ? -1 : 1,
    );
    return found.map((f) => f.entry);
  };

  const servedAt = async (t: Date): Promise<ServedModel | null> => {
    const all = await entries();
    const until = t.toISOString();
    let change: LedgerEntry | undefined;
    for (const e of all) {
      if (e.at > until) break;
      if (e.serving !== undefined) change = e;
    }
    if (!change || change.serving === null || change.serving === undefined) return null;
    const version = change.serving;
    const approval = [...all]
      .reverse()
      .find((e) => e.at <= change.at && e.version === version && e.action === 'approved');
    return {
      version,
      package_arn: change.serving_package_arn ?? change.package_arn,
      since: sinceOf(all, change, version),
      reason: change.reason,
      ...(approval
        ? { approval: { at: approval.at, actor: approval.actor, reason: approval.reason } }
        : {}),
      ...(change.endpoint ? { endpoint: change.endpoint } : {}),
    };
  };

  return {
    async append(input, dedupeKey) {
      const entry: LedgerEntry = { ...input, at: input.at ?? now().toISOString() };
      const key = `${LEDGER_PREFIX}${dedupeKey ? safe(dedupeKey) : `${compactTime(entry.at)}-${randomBytes(4).toString('hex')}`}.json`;
      try {
        await objects.put(LEDGER_BUCKET, key, `${JSON.stringify(entry)}\n`, {
          contentType: 'application/json',
          ifNoneMatch: true,
        });
      } catch (e) {
        if (e instanceof ObjectExistsError) return false;
        throw e;
      }
      if (entry.serving !== undefined) {
        const snapshot =
          entry.serving === null
            ? { version: null, since: entry.at, reason: entry.reason }
            : {
                version: entry.serving,
                package_arn: entry.serving_package_arn ?? entry.package_arn,
                endpoint: entry.endpoint ?? null,
                since: entry.at,
                reason: entry.reason,
              };
        await objects.put(LEDGER_BUCKET, SERVING_KEY, `${JSON.stringify(snapshot, null, 2)}\n`, {
          contentType: 'application/json',
        });
      }
      return true;
    },
    entries,
    servedAt,
    serving: () => servedAt(now()),
  };
}

/** When the version took over: a confirmation (same version again) does not reset the clock. */
function sinceOf(all: LedgerEntry[], change: LedgerEntry, version: number): string {
  let since = change.at;
  const changes = all.filter((e) => e.serving !== undefined && e.at <= change.at);
  for (let i = changes.length - 1; i >= 0; i--) {
    if (changes[i].serving !== version) break;
    since = changes[i].at;
  }
  return since;
}
