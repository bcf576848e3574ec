import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionSpec } from '@cancer-mlops/shared/topology/types.ts';
import { functionName, type NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { describeError } from '@cancer-mlops/shared/runtime/errors.ts';
import type { RuntimeLog } from '../log.ts';

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface InvokerOptions {
  /** Repository root; handler paths are `services/<service>/<handler>` under it. */
  root: string;
  names: NameContext;
  region: string;
  log: RuntimeLog;
}

/**
 * Runs a function's handler in this process, as Lambda would: the module is loaded once (a
 * warm container), each call gets a fresh Context whose remaining time counts down from the
 * function's timeout. Active calls are counted so the runtime knows when it is idle.
 */
export class Invoker {
  private readonly modules = new Map<string, Promise<LambdaHandler>>();
  private active = 0;
  private readonly counts = new Map<string, { invocations: number; errors: number }>();

  constructor(private readonly options: InvokerOptions) {}

  get activeInvocations(): number {
    return this.active;
  }

  stats(): Record<string, { invocations: number; errors: number }> {
    return Object.fromEntries(this.counts);
  }

  /** Loads the handler now, so a broken module fails the start, not the first event. */
  async load(service: string, fn: FunctionSpec): Promise<void> {
    await this.handlerOf(service, fn);
  }

  async invoke(service: string, fn: FunctionSpec, event: unknown): Promise<unknown> {
    const handler = await this.handlerOf(service, fn);
    const name = functionName(this.options.names, service, fn.name);
    const stat = this.counts.get(name) ?? { invocations: 0, errors: 0 };
    this.counts.set(name, stat);
    stat.invocations++;
    this.active++;
    try {
      return await handler(event, this.context(name, fn));
    } catch (e) {
      stat.errors++;
      this.options.log.error('function failed', { function: name, reason: describeError(e) });
      throw e;
    } finally {
      this.active--;
    }
  }

  private handlerOf(service: string, fn: FunctionSpec): Promise<LambdaHandler> {
    const file = path.join(this.options.root, 'services', service, fn.handler);
    let loaded = this.modules.get(file + '#' + (fn.export ?? 'handler'));
    if (!loaded) {
      loaded = import(pathToFileURL(file).href).then((m: Record<string, unknown>) => {
        const h = m[fn.export ?? 'handler'];
        if (typeof h !== 'function')
          throw new Error(`${file} has no export "${fn.export ?? 'handler'}"`);
        return h as LambdaHandler;
      });
      this.modules.set(file + '#' + (fn.export ?? 'handler'), loaded);
    }
    return loaded;
  }

  private context(name: string, fn: FunctionSpec): Context {
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    const { region } = this.options;
    return {
      callbackWaitsForEmptyEventLoop: false,
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${name}`,
      memoryLimitInMB: String(fn.memoryMb),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: `local/${name}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }
}
