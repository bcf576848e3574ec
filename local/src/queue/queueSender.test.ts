import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRuntimeDb, type RuntimeDb } from '../db.ts';
import { LocalQueues, QueueNotFoundError } from './localQueues.ts';
import { localQueueSender } from './queueSender.ts';

describe('Function: localQueueSender', () => {
  let dir: string;
  let db: RuntimeDb;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-sender-'));
    db = openRuntimeDb(dir);
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends JSON messages to the physical queue of a logical name', async () => {
    // Prepare
    const queues = new LocalQueues(db);
    queues.createQueue({
      name: 'cancer-mlops-dev-feature-writes',
      visibilityTimeoutSeconds: 180,
      maxReceiveCount: 5,
    });
    const sender = localQueueSender(queues, { prefix: 'cancer-mlops', stage: 'dev' });

    // Act
    await sender.send('feature-writes', [{ record_id: 'r1' }, { record_id: 'r2' }]);
    await sender.send('feature-writes', []);

    // Assess
    const bodies = queues
      .receive('cancer-mlops-dev-feature-writes', 10)
      .map((m) => JSON.parse(m.body));
    expect(bodies).toEqual([{ record_id: 'r1' }, { record_id: 'r2' }]);
    await expect(sender.send('missing', [{}])).rejects.toBeInstanceOf(QueueNotFoundError);
  });
});
