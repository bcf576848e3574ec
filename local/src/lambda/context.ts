import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  /** Physical function name, `<prefix>-<stage>-<service>-<function>`. */
  functionName: string;
  timeoutSeconds: number;
  memoryMb?: number;
  region?: string;
  accountId?: string;
  awsRequestId?: string;
  /** Milliseconds since the epoch; the invocation's deadline is taken from it. */
  now?: () => number;
  /** One per execution environment on Lambda: pass the same one for every invocation of a function. */
  logStreamName?: string;
}

/** A log stream name as Lambda makes them: `2026/03/01/[$LATEST]<32 hex>`. */
export function lambdaLogStreamName(now: number = Date.now()): string {
  const day = new Date(now).toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

/**
 * The Context a Lambda handler receives, for one invocation: the deadline behind
 * getRemainingTimeInMillis starts now and lasts the function's timeout, as on Lambda. The
 * deprecated done/fail/succeed do nothing (handlers here are async).
 */
export function createLambdaContext(options: LambdaContextOptions): Context {
  const now = options.now ?? Date.now;
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const deadline = now() + options.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 128),
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: options.logStreamName ?? lambdaLogStreamName(now()),
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
