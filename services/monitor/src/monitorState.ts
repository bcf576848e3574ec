import type { StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import type { HistoryEntry } from './report/types.ts';

/**
 * What the monitor remembers between runs, as small documents in the state store
 * (namespace `monitor`): where the capture window stands, the labelled predictions of the
 * last weeks, a history of runs for the "over time" plots, the ground-truth files already
 * read and the retraining ledger of reactToDrift.
 */

export const MONITOR_NS = 'monitor';
export const GROUND_TRUTH_NS = 'monitor-ground-truth';
export const REACTIONS_NS = 'monitor-reactions';

export interface CaptureCursor {
  /** Capture hours from this one on are listed (earlier hours are done). */
  since: string;
  /** When the current window opened (the last close). */
  opened_at: string;
  /** Files of the listed hours already consumed, with how much of them. */
  consumed: Record<string, { lines: number; size: number }>;
}

export interface LabelledItem {
  id: string;
  p: number;
  pred: 0 | 1;
  y: 0 | 1;
  /** When the label arrived. */
  at: string;
  /** Model version that made the prediction, when known. */
  v: string | null;
}

export const MAX_LABELLED = 5000;
export const MAX_HISTORY = 500;

export const floorHour = (d: Date) => new Date(Math.floor(d.getTime() / 3_600_000) * 3_600_000);

export async function loadCursor(
  state: StateStore,
  now: Date,
  initialLookbackHours: number,
): Promise<{ cursor: CaptureCursor; fresh: boolean }> {
  const stored = await state.get<CaptureCursor>(MONITOR_NS, 'capture-cursor');
  if (stored && typeof stored.since === 'string' && stored.consumed)
    return { cursor: stored, fresh: false };
  const start = new Date(now.getTime() - initialLookbackHours * 3_600_000);
  return {
    cursor: { since: floorHour(start).toISOString(), opened_at: start.toISOString(), consumed: {} },
    fresh: true,
  };
}

export const saveCursor = (state: StateStore, cursor: CaptureCursor) =>
  state.put(MONITOR_NS, 'capture-cursor', cursor);

export async function loadLabelled(state: StateStore): Promise<LabelledItem[]> {
  const doc = await state.get<{ items?: LabelledItem[] }>(MONITOR_NS, 'labelled');
  return Array.isArray(doc?.items) ? doc.items : [];
}

/** Adds labels (a newer label for the same id replaces the older), keeps `windowDays`. */
export function mergeLabelled(
  existing: readonly LabelledItem[],
  added: readonly LabelledItem[],
  now: Date,
  windowDays: number,
): LabelledItem[] {
  const cutoff = now.getTime() - windowDays * 86_400_000;
  const byId = new Map<string, LabelledItem>();
  for (const item of [...existing, ...added]) {
    if (Date.parse(item.at) >= cutoff) byId.set(item.id, item);
  }
  return [...byId.values()].sort((a, b) => a.at.localeCompare(b.at)).slice(-MAX_LABELLED);
}

export const saveLabelled = (state: StateStore, items: LabelledItem[]) =>
  state.put(MONITOR_NS, 'labelled', { items });

export async function loadHistory(state: StateStore): Promise<HistoryEntry[]> {
  const doc = await state.get<{ runs?: HistoryEntry[] }>(MONITOR_NS, 'history');
  return Array.isArray(doc?.runs) ? doc.runs : [];
}

export const saveHistory = (state: StateStore, runs: HistoryEntry[]) =>
  state.put(MONITOR_NS, 'history', { runs: runs.slice(-MAX_HISTORY) });

/**
 * What the endpoint serves now (DescribeEndpoint on AWS, the local endpoint locally), and
 * where its baseline lies: the folder of the statistics.json its model package names.
 */
export async function servingModel(p: {
  endpoints: { current(): Promise<{ version: number | string; packageArn: string } | null> };
  registry?: { get(arn: string): Promise<{ reports?: { dataStatistics?: string } } | undefined> };
}): Promise<{ version: string; baselinePrefix?: string } | null> {
  const current = await p.endpoints.current();
  if (!current) return null;
  const pkg = p.registry ? await p.registry.get(current.packageArn) : undefined;
  const m = /^s3:\/\/[^/]+\/(.*\/)statistics\.json$/.exec(pkg?.reports?.dataStatistics ?? '');
  return { version: String(current.version), ...(m ? { baselinePrefix: m[1] } : {}) };
}
