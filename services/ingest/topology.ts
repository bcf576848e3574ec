import type { ServiceTopology } from '@cancer-mlops/shared/topology/types.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';

export const topology = (_ctx: NameContext): ServiceTopology => ({
  service: 'ingest',
  description:
    'Hospital files in raw/incoming/ -> validated, pseudonymised records on notes-to-score',
  ownsEventBus: true,
  functions: [
    {
      name: 'onRawObject',
      handler: 'src/handlers/onRawObject.ts',
      description: 'Parse, validate, quarantine and pseudonymise a dropped hospital file',
      timeoutSeconds: 900,
      memoryMb: 1024,
      triggers: [{ type: 's3', bucket: 'raw', prefix: 'incoming/' }],
      permissions: [
        { kind: 's3:read', bucket: 'raw', prefix: 'incoming/' },
        { kind: 's3:write', bucket: 'raw', prefix: 'quarantine/' },
        { kind: 'sqs:send', queue: 'notes-to-score' },
        { kind: 'events:put', bus: 'custom' },
        { kind: 'secrets:read', secret: 'pseudonym-key' },
        // The first-ingest time of each file, so a re-dropped file keeps its event times.
        { kind: 's3:read', bucket: 'artifacts', prefix: 'state/ingest-files/' },
        { kind: 's3:write', bucket: 'artifacts', prefix: 'state/ingest-files/' },
      ],
    },
  ],
  queues: [],
  buckets: [{ name: 'raw' }],
  rules: [],
});
