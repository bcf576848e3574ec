import { z } from 'zod';
import { eventConsumer } from '@cancer-mlops/shared/runtime/eventConsumer.ts';
import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { analyzeDrift, analyzeDriftDeps, type AnalyzeDriftDeps } from '../analyzeDrift.ts';

/** monitor.analyzeDrift, on its schedule (EventBridge "Scheduled Event"). */
export const createHandler = (deps: () => Promise<AnalyzeDriftDeps>) =>
  eventConsumer(
    { service: 'monitor', detailTypes: ['Scheduled Event'], detail: z.unknown() },
    async () => analyzeDrift(await deps(), { trigger: 'schedule' }),
  );

export const handler = createHandler(async () => analyzeDriftDeps(await platform()));
