import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { ourEvent } from '../contracts/events.ts';
import { buildEventBridgePublisher, EventPublishError } from './eventBridgePublisher.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };
const detail = {
  ingest_id: 'ing_1',
  bucket: 'b',
  key: 'incoming/a.csv',
  rows: 3,
  accepted: 2,
  quarantined: 1,
};

describe('Adapter: buildEventBridgePublisher', () => {
  const eb = mockClient(EventBridgeClient);
  afterEach(() => eb.reset());

  describe('Method: publish', () => {
    it('puts events on the custom bus with the detail as JSON', async () => {
      // Prepare
      eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
      const publisher = buildEventBridgePublisher(
        new EventBridgeClient({ region: 'us-east-1' }),
        names,
      );
      // Act
      await publisher.publish([ourEvent('RecordsIngested', detail)]);
      // Assess
      expect(eb.commandCalls(PutEventsCommand)[0].args[0].input).toEqual({
        Entries: [
          {
            EventBusName: 'cancer-mlops-test-bus',
            Source: 'cancer-mlops.ingest',
            DetailType: 'RecordsIngested',
            Detail: JSON.stringify(detail),
          },
        ],
      });
    });

    it('chunks by 10 entries', async () => {
      eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
      const publisher = buildEventBridgePublisher(
        new EventBridgeClient({ region: 'us-east-1' }),
        names,
      );
      await publisher.publish(
        Array.from({ length: 21 }, () => ourEvent('RecordsIngested', detail)),
      );
      expect(eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length)).toEqual(
        [10, 10, 1],
      );
    });

    it('fails when an entry is rejected (PutEvents still answers 200)', async () => {
      eb.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
      });
      const publisher = buildEventBridgePublisher(
        new EventBridgeClient({ region: 'us-east-1' }),
        names,
      );
      await expect(publisher.publish([ourEvent('RecordsIngested', detail)])).rejects.toThrow(
        new EventPublishError(
          '1 of 1 event(s) rejected by cancer-mlops-test-bus (ThrottlingException)',
        ),
      );
    });
  });
});
