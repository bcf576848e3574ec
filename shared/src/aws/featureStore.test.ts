import {
  DeleteRecordCommand,
  GetRecordCommand,
  PutRecordCommand,
  ResourceNotFound,
  SageMakerFeatureStoreRuntimeClient,
  SageMakerFeatureStoreRuntimeServiceException,
} from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { WDBC_FEATURES } from '../contracts/featureGroup.ts';
import type { FeatureRecord } from '../contracts/record.ts';
import {
  buildSageMakerFeatureStore,
  FeatureStoreNotImplementedError,
  toFeatureValues,
} from './featureStore.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const GROUP = 'cancer-mlops-test-patient-records';

const record = (over: Partial<FeatureRecord> = {}): FeatureRecord => ({
  record_id: '842302',
  patient_id: 'p_0123456789abcdef0123456789abcdef',
  event_time: '2024-03-01T12:00:00+02:00',
  diagnosis: 'M',
  malignancy_risk_score: 8,
  score_source: 'local',
  scorer_id: 'local:lexicon',
  is_deleted: false,
  ...Object.fromEntries(WDBC_FEATURES.map((f, i) => [f, i + 0.5])),
  ...over,
});

const throttled = () =>
  new SageMakerFeatureStoreRuntimeServiceException({
    name: 'ThrottlingException',
    message: 'Rate exceeded',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });

describe('Adapter: buildSageMakerFeatureStore', () => {
  const fs = mockClient(SageMakerFeatureStoreRuntimeClient);
  const client = new SageMakerFeatureStoreRuntimeClient({ region: 'us-east-1' });
  afterEach(() => fs.reset());

  describe('Method: put', () => {
    it('puts the record as FeatureName/ValueAsString pairs, event time in UTC, absent values omitted', async () => {
      // Prepare
      fs.on(GetRecordCommand).resolves({});
      fs.on(PutRecordCommand).resolves({});
      const store = buildSageMakerFeatureStore(client, names);
      const r = record({ diagnosis: undefined, scorer_id: undefined, score_source: 'provided' });
      // Act
      const result = await store.put([r]);
      // Assess
      expect(result).toEqual({ written: 1, duplicates: 0 });
      expect(fs.commandCalls(GetRecordCommand)[0].args[0].input).toEqual({
        FeatureGroupName: GROUP,
        RecordIdentifierValueAsString: '842302',
        FeatureNames: ['event_time', 'diagnosis', ...WDBC_FEATURES],
      });
      const input = fs.commandCalls(PutRecordCommand)[0].args[0].input;
      expect(input.FeatureGroupName).toBe(GROUP);
      expect(input.Record).toEqual([
        { FeatureName: 'record_id', ValueAsString: '842302' },
        { FeatureName: 'patient_id', ValueAsString: 'p_0123456789abcdef0123456789abcdef' },
        { FeatureName: 'event_time', ValueAsString: '2024-03-01T10:00:00.000Z' },
        { FeatureName: 'malignancy_risk_score', ValueAsString: '8' },
        { FeatureName: 'score_source', ValueAsString: 'provided' },
        ...WDBC_FEATURES.map((f, i) => ({ FeatureName: f, ValueAsString: String(i + 0.5) })),
      ]);
    });

    const stored = (over: Record<string, string> = {}) => ({
      Record: [
        { FeatureName: 'event_time', ValueAsString: '2024-03-01T10:00:00Z' },
        { FeatureName: 'diagnosis', ValueAsString: 'M' },
        ...WDBC_FEATURES.map((f, i) => ({ FeatureName: f, ValueAsString: String(i + 0.5) })),
      ].map((v) => ({ ...v, ValueAsString: over[v.FeatureName] ?? v.ValueAsString })),
    });

    it('skips a record the online store already holds at the same event time (a replay)', async () => {
      fs.on(GetRecordCommand).resolves(stored());
      const store = buildSageMakerFeatureStore(client, names);
      await expect(store.put([record()])).resolves.toEqual({ written: 0, duplicates: 1 });
      expect(fs.commandCalls(PutRecordCommand)).toHaveLength(0);
    });

    it('writes nothing and reports a conflict when the same event time holds other values', async () => {
      fs.on(GetRecordCommand).resolves(stored({ diagnosis: 'B', radius_mean: '11.34' }));
      const store = buildSageMakerFeatureStore(client, names);
      await expect(store.put([record()])).resolves.toEqual({
        written: 0,
        duplicates: 0,
        conflicts: [{ record_id: '842302', fields: ['radius_mean', 'diagnosis'] }],
      });
      expect(fs.commandCalls(PutRecordCommand)).toHaveLength(0);
    });

    it('writes a newer version of a known record', async () => {
      fs.on(GetRecordCommand).resolves({
        Record: [{ FeatureName: 'event_time', ValueAsString: '2023-01-01T00:00:00Z' }],
      });
      fs.on(PutRecordCommand).resolves({});
      const store = buildSageMakerFeatureStore(client, names);
      await expect(store.put([record()])).resolves.toEqual({ written: 1, duplicates: 0 });
    });

    it('writes a delete marker as a soft DeleteRecord', async () => {
      fs.on(GetRecordCommand).resolves({});
      fs.on(DeleteRecordCommand).resolves({});
      const store = buildSageMakerFeatureStore(client, names);
      await store.put([record({ is_deleted: true })]);
      expect(fs.commandCalls(DeleteRecordCommand)[0].args[0].input).toEqual({
        FeatureGroupName: GROUP,
        RecordIdentifierValueAsString: '842302',
        EventTime: '2024-03-01T10:00:00.000Z',
        DeletionMode: 'SoftDelete',
      });
      expect(fs.commandCalls(PutRecordCommand)).toHaveLength(0);
    });

    it('lets a throttled PutRecord fail so the queue retries the message', async () => {
      fs.on(GetRecordCommand).resolves({});
      fs.on(PutRecordCommand).rejects(throttled());
      const store = buildSageMakerFeatureStore(client, names);
      await expect(store.put([record()])).rejects.toMatchObject({ name: 'ThrottlingException' });
    });

    it('can skip the duplicate check (no GetRecord)', async () => {
      fs.on(PutRecordCommand).resolves({});
      const store = buildSageMakerFeatureStore(client, names, { skipDuplicates: false });
      await store.put([record()]);
      expect(fs.commandCalls(GetRecordCommand)).toHaveLength(0);
    });
  });

  describe('Method: latest', () => {
    it('reads the online record back into a FeatureRecord', async () => {
      const stored = record({ event_time: '2024-03-01T10:00:00.000Z' });
      fs.on(GetRecordCommand).resolves({ Record: toFeatureValues(stored) });
      const store = buildSageMakerFeatureStore(client, names);
      await expect(store.latest('842302')).resolves.toEqual(stored);
      expect(fs.commandCalls(GetRecordCommand)[0].args[0].input).toEqual({
        FeatureGroupName: GROUP,
        RecordIdentifierValueAsString: '842302',
      });
    });

    it('answers undefined for an unknown or deleted record', async () => {
      fs.on(GetRecordCommand)
        .resolvesOnce({})
        .rejectsOnce(new ResourceNotFound({ message: 'gone', $metadata: {} }));
      const store = buildSageMakerFeatureStore(client, names);
      await expect(store.latest('x')).resolves.toBeUndefined();
      await expect(store.latest('x')).resolves.toBeUndefined();
    });
  });

  describe('Method: snapshot', () => {
    it('says where point-in-time reads on AWS are built when no offline reader is plugged in', () => {
      const store = buildSageMakerFeatureStore(client, names);
      expect(() => store.snapshot({ cutoff: new Date() })).toThrow(FeatureStoreNotImplementedError);
    });

    it('delegates snapshots and counts to the offline reader', async () => {
      const rows = [record()];
      const offline = {
        snapshot: async function* () {
          yield* rows;
        },
        countLabelledWrittenSince: async () => 42,
      };
      const store = buildSageMakerFeatureStore(client, names, { offline });
      const out: FeatureRecord[] = [];
      for await (const r of store.snapshot({ cutoff: new Date() })) out.push(r);
      expect(out).toEqual(rows);
      await expect(store.countLabelledWrittenSince(new Date())).resolves.toBe(42);
    });
  });
});
