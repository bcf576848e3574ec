import type { StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import type { RuntimeDb } from '../db.ts';

/**
 * The StateStore port on the runtime database: JSON documents keyed by namespace + key.
 * putIfAbsent is one INSERT ... ON CONFLICT DO NOTHING, atomic across processes, which is
 * what makes it an idempotency primitive. Values go through JSON (a Date comes back as an
 * ISO string), as they do in the S3-backed store on AWS.
 */
export class SqliteStateStore implements StateStore {
  private readonly stmt;

  constructor(
    db: RuntimeDb,
    private readonly now: () => number = Date.now,
  ) {
    this.stmt = {
      get: db.prepare('SELECT value FROM state WHERE namespace = ? AND key = ?'),
      put: db.prepare(
        `INSERT INTO state (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ),
      putIfAbsent: db.prepare(
        'INSERT INTO state (namespace, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (namespace, key) DO NOTHING',
      ),
      delete: db.prepare('DELETE FROM state WHERE namespace = ? AND key = ?'),
      list: db.prepare(
        'SELECT key, value FROM state WHERE namespace = ? AND substr(key, 1, length(?)) = ? ORDER BY key',
      ),
    };
  }

  async get<T = unknown>(namespace: string, key: string): Promise<T | undefined> {
    const row = this.stmt.get.get(namespace, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async put(namespace: string, key: string, value: unknown): Promise<void> {
    this.stmt.put.run(namespace, key, serialise(value, namespace, key), this.now());
  }

  async putIfAbsent(namespace: string, key: string, value: unknown): Promise<boolean> {
    return (
      this.stmt.putIfAbsent.run(namespace, key, serialise(value, namespace, key), this.now())
        .changes === 1
    );
  }

  async delete(namespace: string, key: string): Promise<void> {
    this.stmt.delete.run(namespace, key);
  }

  async list<T = unknown>(namespace: string, prefix = ''): Promise<{ key: string; value: T }[]> {
    return (this.stmt.list.all(namespace, prefix, prefix) as { key: string; value: string }[]).map(
      (r) => ({
        key: r.key,
        value: JSON.parse(r.value) as T,
      }),
    );
  }
}

function serialise(value: unknown, namespace: string, key: string): string {
  const json = JSON.stringify(value);
  if (json === undefined)
    throw new TypeError(`state ${namespace}/${key}: the value cannot be stored as JSON`);
  return json;
}
