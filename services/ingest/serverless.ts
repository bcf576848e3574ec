// Generated from topology.ts; `npm run package -w services/ingest -- --stage <stage>` (offline).
import { nameContextFromCli, toServerless } from '@cancer-mlops/shared/topology/toServerless.ts';
import { topology } from './topology.ts';

const ctx = nameContextFromCli();

export default toServerless(topology(ctx), ctx);
