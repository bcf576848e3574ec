import { NoteToScoreMessageSchema } from '@cancer-mlops/shared/contracts/messages.ts';
import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { sqsConsumer } from '@cancer-mlops/shared/runtime/sqsConsumer.ts';
import { scoreNote, type ScoreNoteDeps } from '../scoreNote.ts';

/** SQS notes-to-score -> malignancy_risk_score -> feature-writes; failures retry via the queue. */
export const createHandler = (deps: () => Promise<ScoreNoteDeps>) =>
  sqsConsumer(
    { service: 'scoring', schema: NoteToScoreMessageSchema, concurrency: 5 },
    async (message) => {
      await scoreNote(await deps(), message);
    },
  );

export const handler = createHandler(async () => {
  const p = await platform();
  return { scorer: p.scorer, state: p.state, queues: p.queues, metrics: p.metrics, now: p.now };
});
