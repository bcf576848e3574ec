import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import type { ServiceTopology } from '@cancer-mlops/shared/topology/types.ts';
import { topology as ingest } from '../../../services/ingest/topology.ts';
import { topology as scoring } from '../../../services/scoring/topology.ts';
import { topology as training } from '../../../services/training/topology.ts';
import { topology as inference } from '../../../services/inference/topology.ts';
import { topology as batch } from '../../../services/batch/topology.ts';
import { topology as monitor } from '../../../services/monitor/topology.ts';

/** Every service's topology: the same objects `serverless.ts` deploys from. */
export function allTopologies(ctx: NameContext): ServiceTopology[] {
  return [ingest, scoring, training, inference, batch, monitor].map((t) => t(ctx));
}
