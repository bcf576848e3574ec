import os from 'node:os';
import { createLedger } from '@cancer-mlops/shared/ledger/ledger.ts';
import { modelPackageGroup } from '@cancer-mlops/shared/topology/common.ts';
import { UsageError, parse } from './args.ts';
import type { CommandContext } from './control.ts';
import {
  modelsApprove,
  modelsList,
  modelsReject,
  modelsRollback,
  modelsShow,
  modelsStatus,
  train,
  type CliResult,
  type ModelsCliDeps,
} from './models.ts';

function deps(ctx: CommandContext): ModelsCliDeps {
  const p = ctx.runtime.platform;
  return {
    registry: p.registry,
    ledger: createLedger(p.objects, p.now),
    state: p.state,
    endpoints: p.endpoints,
    queues: p.queues,
    events: p.events,
    actor: os.userInfo().username,
    now: p.now,
    group: modelPackageGroup(p.names),
  };
}

function print(ctx: CommandContext, result: CliResult, json: boolean): number {
  ctx.out(json ? JSON.stringify(result.json, null, 2) : result.text);
  return 0;
}

/** `mlops models list | show V | approve V [--reason R] | reject V --reason R | rollback [--to V] --reason R`. */
export async function modelsCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    reason: { type: 'string' },
    to: { type: 'string' },
  });
  const [action, ref] = positionals;
  const d = deps(ctx);
  switch (action) {
    case 'list':
      return print(ctx, await modelsList(d), values.json);
    case 'status':
      return print(ctx, await modelsStatus(d), values.json);
    case 'show':
      return print(ctx, await modelsShow(d, ref), values.json);
    case 'approve':
      return print(ctx, await modelsApprove(d, ref, values.reason), values.json);
    case 'reject':
      return print(ctx, await modelsReject(d, ref, values.reason), values.json);
    case 'rollback':
      return print(
        ctx,
        await modelsRollback(d, { to: values.to, reason: values.reason }),
        values.json,
      );
    default:
      throw new UsageError(
        'usage: mlops models list | status | show V | approve V [--reason R] | reject V --reason R | rollback --reason R [--to V]',
      );
  }
}

/** `mlops train [--reason TEXT] [--cutoff ISO]`. */
export async function trainCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  const { values } = parse(argv, { reason: { type: 'string' }, cutoff: { type: 'string' } });
  return print(
    ctx,
    await train(deps(ctx), { detail: values.reason, cutoff: values.cutoff }),
    values.json,
  );
}
