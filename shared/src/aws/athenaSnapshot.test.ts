import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { DescribeFeatureGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AthenaQueryError,
  buildAthenaSnapshot,
  countLabelledSinceSql,
  offlineStoreTable,
  snapshotSql,
} from './athenaSnapshot.ts';

const TABLE = {
  database: 'sagemaker_featurestore',
  table: 'cancer_mlops_test_patient_records_1767225600',
};
const CUTOFF = new Date('2026-01-05T03:00:00Z');

describe('Function: snapshotSql', () => {
  it('selects the latest version per record as of the cutoff, in event time and in write time, labelled and not deleted', () => {
    expect(
      snapshotSql(TABLE, { cutoff: CUTOFF, labelledOnly: true }, [
        'record_id',
        'event_time',
        'diagnosis',
        'radius_mean',
      ]),
    ).toBe(
      [
        'WITH versions AS (',
        '  SELECT "record_id", "event_time", "diagnosis", "radius_mean", "is_deleted",',
        '    row_number() OVER (',
        '      PARTITION BY "record_id"',
        '      ORDER BY from_iso8601_timestamp("event_time") DESC, "write_time" DESC, "api_invocation_time" DESC',
        '    ) AS "version_rank"',
        '  FROM "sagemaker_featurestore"."cancer_mlops_test_patient_records_1767225600"',
        `  WHERE from_iso8601_timestamp("event_time") <= from_iso8601_timestamp('2026-01-05T03:00:00.000Z')`,
        `    AND "write_time" <= from_iso8601_timestamp('2026-01-05T03:00:00.000Z')`,
        ')',
        'SELECT "record_id", "event_time", "diagnosis", "radius_mean"',
        'FROM versions',
        'WHERE "version_rank" = 1',
        '  AND NOT "is_deleted"',
        `  AND "diagnosis" IN ('M', 'B')`,
        'ORDER BY "record_id"',
      ].join('\n'),
    );
  });

  it('drops the write-time bound only when asked for an event-time-only snapshot', () => {
    const sql = snapshotSql(TABLE, { cutoff: CUTOFF, bitemporal: false }, ['record_id']);
    expect(sql).not.toMatch(/"write_time" <=/);
    expect(sql).not.toMatch(/diagnosis/);
  });

  it('refuses identifiers that are not plain column names', () => {
    expect(() => snapshotSql({ database: 'db', table: 't"; DROP' }, { cutoff: CUTOFF })).toThrow(
      /not a safe SQL identifier/,
    );
  });
});

describe('Function: countLabelledSinceSql', () => {
  it('counts distinct labelled, undeleted records written after a time', () => {
    expect(countLabelledSinceSql(TABLE, CUTOFF)).toBe(
      [
        'SELECT count(DISTINCT "record_id") AS "labelled"',
        'FROM "sagemaker_featurestore"."cancer_mlops_test_patient_records_1767225600"',
        `WHERE "write_time" > from_iso8601_timestamp('2026-01-05T03:00:00.000Z')`,
        '  AND NOT "is_deleted"',
        `  AND "diagnosis" IN ('M', 'B')`,
      ].join('\n'),
    );
  });
});

describe('Adapter: buildAthenaSnapshot', () => {
  const athena = mockClient(AthenaClient);
  const snapshot = buildAthenaSnapshot(new AthenaClient({ region: 'us-east-1' }), {
    table: TABLE,
    workGroup: 'cancer-mlops-test-features',
    outputLocation: 's3://cancer-mlops-test-artifacts/athena-results/',
    columns: ['record_id', 'event_time', 'diagnosis', 'radius_mean', 'malignancy_risk_score'],
    sleep: async () => {},
    pollMs: 1,
  });
  afterEach(() => athena.reset());

  const header = {
    Data: [
      { VarCharValue: 'record_id' },
      { VarCharValue: 'event_time' },
      { VarCharValue: 'diagnosis' },
      { VarCharValue: 'radius_mean' },
      { VarCharValue: 'malignancy_risk_score' },
    ],
  };
  const columnInfo = [
    'record_id',
    'event_time',
    'diagnosis',
    'radius_mean',
    'malignancy_risk_score',
  ].map((Name) => ({ Name, Type: 'varchar' }));

  it('starts the query in the workgroup, polls it, and pages through the results as records', async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena
      .on(GetQueryResultsCommand)
      .resolvesOnce({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columnInfo },
          Rows: [
            header,
            {
              Data: [
                { VarCharValue: 'r1' },
                { VarCharValue: '2026-01-03T00:00:00.000Z' },
                { VarCharValue: 'M' },
                { VarCharValue: '17.99' },
                { VarCharValue: '8' },
              ],
            },
          ],
        },
        NextToken: 'page-2',
      })
      .resolvesOnce({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columnInfo },
          Rows: [
            {
              Data: [
                { VarCharValue: 'r2' },
                { VarCharValue: '2026-01-03T00:00:00.000Z' },
                { VarCharValue: 'B' },
                { VarCharValue: '12.1' },
                {},
              ],
            },
          ],
        },
      });

    // Act
    const records = [];
    for await (const r of snapshot.snapshot({ cutoff: CUTOFF, labelledOnly: true }))
      records.push(r);

    // Assess
    expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input).toEqual({
      QueryString: snapshotSql(TABLE, { cutoff: CUTOFF, labelledOnly: true }, [
        'record_id',
        'event_time',
        'diagnosis',
        'radius_mean',
        'malignancy_risk_score',
      ]),
      QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: 'sagemaker_featurestore' },
      WorkGroup: 'cancer-mlops-test-features',
      ResultConfiguration: { OutputLocation: 's3://cancer-mlops-test-artifacts/athena-results/' },
    });
    expect(athena.commandCalls(GetQueryExecutionCommand)[0].args[0].input).toEqual({
      QueryExecutionId: 'q-1',
    });
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: 'q-1', MaxResults: 1000 },
      { QueryExecutionId: 'q-1', MaxResults: 1000, NextToken: 'page-2' },
    ]);
    expect(records).toEqual([
      {
        is_deleted: false,
        record_id: 'r1',
        event_time: '2026-01-03T00:00:00.000Z',
        diagnosis: 'M',
        radius_mean: 17.99,
        malignancy_risk_score: 8,
      },
      {
        is_deleted: false,
        record_id: 'r2',
        event_time: '2026-01-03T00:00:00.000Z',
        diagnosis: 'B',
        radius_mean: 12.1,
      },
    ]);
  });

  it('counts newly labelled records', async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: [{ Name: 'labelled', Type: 'bigint' }] },
        Rows: [{ Data: [{ VarCharValue: 'labelled' }] }, { Data: [{ VarCharValue: '57' }] }],
      },
    });

    // Act
    const n = await snapshot.countLabelledWrittenSince(CUTOFF);

    // Assess
    expect(n).toBe(57);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input.QueryString).toBe(
      countLabelledSinceSql(TABLE, CUTOFF),
    );
  });

  it('fails with Athena’s reason', async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: 'FAILED',
          StateChangeReason: "COLUMN_NOT_FOUND: line 2:10: Column 'scorer_id' cannot be resolved",
        },
      },
    });

    // Act
    const act = snapshot.countLabelledWrittenSince(CUTOFF);

    // Assess
    await expect(act).rejects.toThrow(AthenaQueryError);
    await expect(act).rejects.toThrow(/q-3 FAILED: COLUMN_NOT_FOUND/);
  });
});

describe('Function: offlineStoreTable', () => {
  const sm = mockClient(SageMakerClient);
  afterEach(() => sm.reset());

  it("reads the offline store's Glue table from DescribeFeatureGroup", async () => {
    // Prepare
    sm.on(DescribeFeatureGroupCommand, {
      FeatureGroupName: 'cancer-mlops-test-patient-records',
    }).resolves({
      OfflineStoreConfig: {
        S3StorageConfig: { S3Uri: 's3://x' },
        DataCatalogConfig: {
          Catalog: 'AwsDataCatalog',
          ...{ Database: TABLE.database, TableName: TABLE.table },
        },
      },
    } as never);

    // Act / Assess
    await expect(
      offlineStoreTable(
        new SageMakerClient({ region: 'us-east-1' }),
        'cancer-mlops-test-patient-records',
      ),
    ).resolves.toEqual(TABLE);
  });
});
