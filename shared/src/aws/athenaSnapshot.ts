import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type AthenaClient,
  type ColumnInfo,
} from '@aws-sdk/client-athena';
import { DescribeFeatureGroupCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  modelFeatureNames,
  WDBC_FEATURE_GROUP,
  type FeatureGroup,
} from '../contracts/featureGroup.ts';
import type { FeatureRecord } from '../contracts/record.ts';
import type { FeatureStore, SnapshotQuery } from '../ports/featureStore.ts';

/**
 * Point-in-time snapshots of the offline feature store through Athena, with the same meaning
 * as the local store's SQL: per record the latest version with event_time <= cutoff and,
 * bitemporally, write_time <= cutoff (Feature Store's own column: when the row reached the
 * offline store), ties broken by the later write; a record whose latest version is a delete
 * marker (is_deleted) is left out, and so is one whose latest version has no label.
 */

export interface OfflineTable {
  /** Glue database (`sagemaker_featurestore`). */
  database: string;
  /** Glue table Feature Store created (`<group>_<timestamp>`). */
  table: string;
}

export interface AthenaSnapshotOptions {
  /** The table, or how to find it (e.g. offlineStoreTable below, resolved once). */
  table: OfflineTable | (() => Promise<OfflineTable>);
  workGroup: string;
  /** s3:// prefix for query results, e.g. `s3://<artifacts>/athena-results/`. */
  outputLocation: string;
  group?: FeatureGroup;
  /** Columns to read: snapshotColumns(group) by default; every one must be a feature of the group. */
  columns?: string[];
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Gives up on a query after this long (Lambda timeouts are minutes). */
  timeoutMs?: number;
}

export type AthenaSnapshot = Pick<FeatureStore, 'snapshot' | 'countLabelledWrittenSince'>;

/** The columns a snapshot returns, in order: identity, label, measurements + score, provenance. */
export function snapshotColumns(group: FeatureGroup = WDBC_FEATURE_GROUP): string[] {
  return [
    'record_id',
    'patient_id',
    'event_time',
    'diagnosis',
    ...modelFeatureNames(group),
    'score_source',
    'scorer_id',
  ];
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
const ident = (name: string) => {
  if (!IDENT.test(name)) throw new Error(`not a safe SQL identifier: ${name}`);
  return `"${name}"`;
};
/** A Date as an Athena (Trino) timestamp literal expression; toISOString leaves nothing to inject. */
const ts = (d: Date) => `from_iso8601_timestamp('${d.toISOString()}')`;
const table = (t: OfflineTable) => `${ident(t.database)}.${ident(t.table)}`;

export function snapshotSql(
  t: OfflineTable,
  query: SnapshotQuery,
  columns: readonly string[] = snapshotColumns(),
): string {
  const bitemporal = query.bitemporal ?? true;
  const cols = columns.map(ident).join(', ');
  return [
    'WITH versions AS (',
    `  SELECT ${cols}, "is_deleted",`,
    '    row_number() OVER (',
    '      PARTITION BY "record_id"',
    '      ORDER BY from_iso8601_timestamp("event_time") DESC, "write_time" DESC, "api_invocation_time" DESC',
    '    ) AS "version_rank"',
    `  FROM ${table(t)}`,
    `  WHERE from_iso8601_timestamp("event_time") <= ${ts(query.cutoff)}`,
    ...(bitemporal ? [`    AND "write_time" <= ${ts(query.cutoff)}`] : []),
    ')',
    `SELECT ${cols}`,
    'FROM versions',
    'WHERE "version_rank" = 1',
    '  AND NOT "is_deleted"',
    ...(query.labelledOnly ? [`  AND "diagnosis" IN ('M', 'B')`] : []),
    'ORDER BY "record_id"',
  ].join('\n');
}

export function countLabelledSinceSql(t: OfflineTable, since: Date): string {
  return [
    'SELECT count(DISTINCT "record_id") AS "labelled"',
    `FROM ${table(t)}`,
    `WHERE "write_time" > ${ts(since)}`,
    '  AND NOT "is_deleted"',
    `  AND "diagnosis" IN ('M', 'B')`,
  ].join('\n');
}

/** The offline store's Glue table of a feature group, from DescribeFeatureGroup. */
export async function offlineStoreTable(
  sm: SageMakerClient,
  featureGroupName: string,
): Promise<OfflineTable> {
  const out = await sm.send(
    new DescribeFeatureGroupCommand({ FeatureGroupName: featureGroupName }),
  );
  const catalog = out.OfflineStoreConfig?.DataCatalogConfig;
  if (!catalog?.Database || !catalog.TableName) {
    throw new Error(
      `feature group ${featureGroupName} has no offline store table (is its offline store enabled?)`,
    );
  }
  return { database: catalog.Database, table: catalog.TableName };
}

export class AthenaQueryError extends Error {
  override readonly name = 'AthenaQueryError';
}

export function buildAthenaSnapshot(
  client: AthenaClient,
  options: AthenaSnapshotOptions,
): AthenaSnapshot {
  const group = options.group ?? WDBC_FEATURE_GROUP;
  const numeric = new Set(modelFeatureNames(group));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = options.pollMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 240_000;
  let resolved: Promise<OfflineTable> | undefined;
  const offline = () =>
    (resolved ??=
      typeof options.table === 'function' ? options.table() : Promise.resolve(options.table));

  const run = async (sql: string): Promise<string> => {
    const started = await client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: (await offline()).database },
        WorkGroup: options.workGroup,
        ResultConfiguration: { OutputLocation: options.outputLocation },
      }),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new AthenaQueryError('StartQueryExecution returned no query id');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = out.QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') return id;
      if (state === 'FAILED' || state === 'CANCELLED') {
        throw new AthenaQueryError(
          `Athena query ${id} ${state}: ${out.QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`,
        );
      }
      if (Date.now() > deadline)
        throw new AthenaQueryError(`Athena query ${id} still ${state} after ${timeoutMs} ms`);
      await sleep(pollMs);
    }
  };

  async function* rows(id: string): AsyncIterable<Record<string, string | null>> {
    let token: string | undefined;
    let columns: ColumnInfo[] | undefined;
    let first = true;
    do {
      const page = await client.send(
        new GetQueryResultsCommand({
          QueryExecutionId: id,
          MaxResults: 1000,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      columns ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      const data = page.ResultSet?.Rows ?? [];
      // The first row of the first page repeats the column names.
      for (const row of first ? data.slice(1) : data) {
        const out: Record<string, string | null> = {};
        (row.Data ?? []).forEach((cell, i) => {
          const name = columns![i]?.Name;
          if (name) out[name] = cell.VarCharValue ?? null;
        });
        yield out;
      }
      first = false;
      token = page.NextToken;
    } while (token);
  }

  return {
    async *snapshot(query) {
      const id = await run(
        snapshotSql(await offline(), query, options.columns ?? snapshotColumns(group)),
      );
      for await (const row of rows(id)) yield toRecord(row, numeric);
    },

    async countLabelledWrittenSince(since) {
      const id = await run(countLabelledSinceSql(await offline(), since));
      for await (const row of rows(id)) return Number(row.labelled ?? 0);
      return 0;
    },
  };
}

function toRecord(row: Record<string, string | null>, numeric: ReadonlySet<string>): FeatureRecord {
  const out: Record<string, unknown> = { is_deleted: false };
  for (const [name, value] of Object.entries(row)) {
    if (value === null || value === '') continue;
    out[name] = numeric.has(name) ? Number(value) : value;
  }
  return out as FeatureRecord;
}
