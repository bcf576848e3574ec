/**
 * Small JSON documents keyed by namespace + key: idempotency keys, cooldowns, caches, the
 * promotion ledger. On AWS an S3 prefix with conditional writes; locally SQLite.
 */
export interface StateStore {
  get<T = unknown>(namespace: string, key: string): Promise<T | undefined>;
  put(namespace: string, key: string, value: unknown): Promise<void>;
  /** Writes only when absent; true when this call created it (the idempotency primitive). */
  putIfAbsent(namespace: string, key: string, value: unknown): Promise<boolean>;
  delete(namespace: string, key: string): Promise<void>;
  list<T = unknown>(namespace: string, prefix?: string): Promise<{ key: string; value: T }[]>;
}

export interface SecretStore {
  /** The secret's value; creates nothing on AWS, generates on first use locally. */
  getSecret(name: string): Promise<string>;
}

/** Counters of every stage: powertools metrics on AWS, counters in the state folder locally. */
export interface MetricsSink {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  flush(): Promise<void>;
}
