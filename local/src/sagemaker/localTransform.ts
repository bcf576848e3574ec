import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import type { ModelRegistry } from '@cancer-mlops/shared/ports/sagemaker.ts';
import {
  transformOutputKey,
  type TransformJobs,
  type TransformJobSpec,
} from '@cancer-mlops/shared/ports/transform.ts';
import { bucketName, resourceName, type NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { readModelArtifacts } from '@cancer-mlops/training/src/modelArtifacts.ts';
import { errorMessage, silentLog, type RuntimeLog } from '../log.ts';
import type { LocalObjectStore } from '../objectStore/localObjectStore.ts';
import {
  LOCAL_ACCOUNT,
  SAGEMAKER_SOURCE,
  defaultContainerCommand,
  stopProcess,
  sagemakerArn,
  type ContainerCommand,
  type EmitEvent,
} from './container.ts';
import { ServeClient } from './serveClient.ts';
import { assemble, miniBatches, parseOutputFilter, TransformJobError } from './transformRecords.ts';

/**
 * SageMaker batch transform on this machine, the way SageMaker runs it: the model's own
 * container (`serve`, the same code as the endpoint and the image) is started on N ports,
 * the input is split at line breaks into mini-batches of at most MaxPayloadInMB
 * (BatchStrategy MultiRecord), each mini-batch is POSTed to /invocations as text/csv with at
 * most one request in flight per process, and the answers are assembled line by line in
 * input order (AssembleWith Line) into `<output prefix><input file name>.out`. DataProcessing
 * is applied as SageMaker does: InputFilter before the model, JoinSource Input and
 * OutputFilter after it. The job's end is a real-shaped `SageMaker Transform Job State
 * Change` event handed to `emit` (the runtime puts it on the default bus).
 *
 * Unlike SageMaker, the serving processes of the last model stay warm for `keepWarmMs`
 * after a job, so a night of batch files does not pay a container start per file.
 */

export const TRANSFORM_JOB_STATE_CHANGE = 'SageMaker Transform Job State Change';

export interface LocalTransformOptions {
  /** With the local store's readChunks, the input is read into one reused buffer. */
  objects: ObjectStore & { readChunks?: LocalObjectStore['readChunks'] };
  registry: Pick<ModelRegistry, 'get'>;
  names: NameContext;
  /** Model folders for the serving processes go under `<stateDir>/sagemaker/transform/`. */
  stateDir: string;
  emit: EmitEvent;
  container?: ContainerCommand;
  /** Serving processes per job (SageMaker InstanceCount); default: one per core. */
  instances?: number;
  keepWarmMs?: number;
  /**
   * SageMaker's ModelClientConfig: how long one mini-batch may take (InvocationsTimeoutInSeconds,
   * default 600 s) and how often a mini-batch whose container died or hung is retried on
   * another one (InvocationsMaxRetries, default 3).
   */
  invocationTimeoutMs?: number;
  invocationRetries?: number;
  healthTimeoutMs?: number;
  region?: string;
  accountId?: string;
  now?: () => Date;
  log?: RuntimeLog;
}

interface ServeProcess {
  child: ChildProcess;
  client: ServeClient;
}

interface Pool {
  packageArn: string;
  dir: string;
  /** The processes still in service (one that died or hung is taken out). */
  servers: ServeProcess[];
  /** How many were started. */
  size: number;
  idle: ServeProcess[];
  /** Mini-batches waiting for a process; given undefined when none is left. */
  waiting: ((s: ServeProcess | undefined) => void)[];
  timer?: NodeJS.Timeout;
  users: number;
}

export { TransformJobError, parseOutputFilter };

export class LocalTransformJobs implements TransformJobs {
  private readonly running = new Map<string, Promise<void>>();
  private readonly seen = new Set<string>();
  private pool: Promise<Pool> | undefined;
  private readonly pools = new Set<Pool>();
  private readonly now: () => Date;
  private readonly log: RuntimeLog;
  private readonly region: string;
  private readonly account: string;
  private closed = false;

  constructor(private readonly o: LocalTransformOptions) {
    this.now = o.now ?? (() => new Date());
    this.log = o.log ?? silentLog;
    this.region = o.region ?? 'us-east-1';
    this.account = o.accountId ?? LOCAL_ACCOUNT;
  }

  async start(spec: TransformJobSpec): Promise<void> {
    checkSpec(spec);
    // Job names are unique: a second start of the same job is a no-op, as on SageMaker.
    if (this.seen.has(spec.jobName)) return;
    if (await this.o.objects.head('artifacts', transformOutputKey(spec))) return;
    this.seen.add(spec.jobName);
    const run = this.run(spec).finally(() => this.running.delete(spec.jobName));
    this.running.set(spec.jobName, run);
  }

  /** Jobs running now (the runtime is idle only at 0). */
  runningJobs(): number {
    return this.running.size;
  }

  /** Resolves when no job is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Waits for running jobs, then stops the serving processes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
    await this.pool?.catch(() => undefined);
    await Promise.all([...this.pools].map((p) => this.stopPool(p)));
  }

  private async run(spec: TransformJobSpec): Promise<void> {
    const startedAt = this.now();
    await this.emit(spec, 'InProgress', startedAt);
    let failure: string | undefined;
    try {
      const pool = await this.acquire(spec.packageArn);
      try {
        // miniBatches copies each chunk at once, so a reused read buffer is safe here.
        const input = this.o.objects.readChunks
          ? this.o.objects.readChunks('artifacts', spec.inputKey)
          : ((await this.o.objects.getStream('artifacts', spec.inputKey)) as AsyncIterable<Buffer>);
        const output = this.transform(spec, pool, input);
        await this.o.objects.put('artifacts', transformOutputKey(spec), Readable.from(output), {
          contentType: 'text/csv',
        });
      } finally {
        this.release(pool);
      }
    } catch (e) {
      failure = e instanceof TransformJobError ? e.message : `ClientError: ${errorMessage(e)}`;
      this.log.error('transform job failed', { jobName: spec.jobName, reason: failure });
    }
    await this.emit(spec, failure ? 'Failed' : 'Completed', startedAt, this.now(), failure);
  }

  /** The job's output lines, in input order, from mini-batches run N at a time. */
  private async *transform(
    spec: TransformJobSpec,
    pool: Pool,
    input: AsyncIterable<Buffer>,
  ): AsyncGenerator<Buffer> {
    const dropId = spec.inputFilter === '$[1:]';
    const join = spec.joinSource === 'Input';
    const pick = join ? parseOutputFilter(spec.outputFilter) : undefined;
    const maxBytes = Math.max(1, spec.maxPayloadMb) * 1024 * 1024;
    // One mini-batch per process, and one split ahead so none waits for the next: more in
    // flight measured no faster, only bigger (each holds ~7 MB).
    const limit = pool.servers.length + 1;
    const inflight: Promise<Buffer>[] = [];
    const spare: Buffer[] = [];
    for await (const batch of miniBatches(input, maxBytes, dropId, spare)) {
      const result = this.invoke(pool, batch.payload).then((answer) => {
        const joined = assemble(batch, answer, join, pick);
        spare.push(batch.buffer); // answered: its bytes are no longer needed
        return joined;
      });
      result.catch(() => undefined); // awaited in order below; never an unhandled rejection
      inflight.push(result);
      while (inflight.length >= limit) yield await (inflight.shift() as Promise<Buffer>);
    }
    while (inflight.length > 0) yield await (inflight.shift() as Promise<Buffer>);
  }

  private async invoke(pool: Pool, payload: Buffer): Promise<Buffer> {
    const retries = this.o.invocationRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const server =
        pool.idle.pop() ??
        (await new Promise<ServeProcess | undefined>((resolve) => pool.waiting.push(resolve)));
      if (!server) throw new TransformJobError('ClientError: no model container is left running');
      let res;
      try {
        res = await server.client.post('/invocations', payload, 'text/csv', 'text/csv');
      } catch (e) {
        // The process died or hung under this mini-batch: take it out, try another one.
        this.retire(pool, server);
        this.log.warn('a transform container did not answer; mini-batch retried elsewhere', {
          attempt: attempt + 1,
          reason: errorMessage(e),
        });
        if (attempt < retries && pool.servers.length > 0) continue;
        throw new TransformJobError(
          `ClientError: the model container did not answer: ${errorMessage(e)}`,
        );
      }
      const next = pool.waiting.shift();
      if (next) next(server);
      else pool.idle.push(server);
      if (res.status !== 200) {
        throw new TransformJobError(
          `ClientError: the model answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`,
        );
      }
      return res.body;
    }
  }

  private retire(pool: Pool, server: ServeProcess): void {
    pool.servers = pool.servers.filter((s) => s !== server);
    void stopServe(server);
    if (pool.servers.length > 0) return;
    for (const waiter of pool.waiting.splice(0)) waiter(undefined);
  }

  /**
   * The serving processes of a package, started on first use and kept warm between jobs.
   * Concurrent jobs of one package share them; a job of another package gets its own, and
   * the older set stops once its last job is done.
   */
  private async acquire(packageArn: string): Promise<Pool> {
    if (this.closed) throw new TransformJobError('the local runtime is stopping');
    let current = this.pool ? await this.pool : undefined;
    // A serving process that died since the last job: start the set afresh.
    if (
      current &&
      current.users === 0 &&
      (current.servers.length < current.size ||
        current.servers.some((s) => s.child.exitCode !== null || s.child.signalCode !== null))
    ) {
      this.pool = undefined;
      await this.stopPool(current);
      current = undefined;
    }
    if (!current || current.packageArn !== packageArn) {
      if (current && current.users === 0) await this.stopPool(current);
      const starting = this.startPool(packageArn);
      this.pool = starting;
      starting.catch(() => {
        if (this.pool === starting) this.pool = undefined;
      });
      current = await starting;
    }
    if (current.timer) clearTimeout(current.timer);
    current.timer = undefined;
    current.users++;
    return current;
  }

  private release(pool: Pool): void {
    pool.users--;
    if (pool.users > 0) return;
    void (this.pool ?? Promise.resolve(undefined)).then(
      (current) => {
        if (current !== pool) {
          void this.stopPool(pool);
          return;
        }
        pool.timer = setTimeout(() => {
          if (pool.users > 0) return;
          void this.pool?.then((now) => {
            if (now === pool) this.pool = undefined;
          });
          void this.stopPool(pool);
        }, this.o.keepWarmMs ?? 300_000);
        pool.timer.unref();
      },
      () => void this.stopPool(pool),
    );
  }

  private async startPool(packageArn: string): Promise<Pool> {
    const pkg = await this.o.registry.get(packageArn);
    if (!pkg) throw new TransformJobError(`ClientError: model package ${packageArn} not found`);
    const dir = join(
      this.o.stateDir,
      'sagemaker',
      'transform',
      `v${pkg.version}-${Date.now().toString(36)}`,
    );
    const files = await readModelArtifacts(this.o.objects, this.o.names, pkg.modelDataUrl);
    for (const [name, body] of files) {
      const target = join(dir, 'model', ...name.split('/'));
      await mkdir(join(target, '..'), { recursive: true });
      await writeFile(target, body);
    }
    const n = Math.max(1, this.o.instances ?? availableParallelism());
    const started = await Promise.allSettled(Array.from({ length: n }, () => this.launch(dir)));
    const servers = started
      .filter((s) => s.status === 'fulfilled')
      .map((s) => (s as PromiseFulfilledResult<ServeProcess>).value);
    const failed = started.find((s) => s.status === 'rejected') as
      PromiseRejectedResult | undefined;
    if (failed) {
      await Promise.all(servers.map(stopServe));
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw new TransformJobError(
        `ClientError: the model container did not start: ${errorMessage(failed.reason)}`,
      );
    }
    this.log.info('transform containers started', { version: pkg.version, instances: n });
    const pool: Pool = {
      packageArn,
      dir,
      servers,
      size: servers.length,
      idle: [...servers],
      waiting: [],
      users: 0,
    };
    this.pools.add(pool);
    return pool;
  }

  private async stopPool(pool: Pool): Promise<void> {
    this.pools.delete(pool);
    if (pool.timer) clearTimeout(pool.timer);
    await Promise.all(pool.servers.map(stopServe));
    await rm(pool.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  private launch(baseDir: string): Promise<ServeProcess> {
    const container = this.o.container ?? defaultContainerCommand(this.o.stateDir);
    const timeoutMs = this.o.healthTimeoutMs ?? 60_000;
    const child = spawn(container.command, [...container.args, 'serve'], {
      cwd: container.cwd,
      env: {
        ...process.env,
        ...container.env,
        SM_BASE_DIR: baseDir,
        SM_PORT: '0',
        SM_HOST: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'pipe'], // stdin: the child's lifeline (exitWithParent.mjs)
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-2000);
    });
    return new Promise<ServeProcess>((resolve, reject) => {
      let done = false;
      const fail = (reason: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        void stopProcess(child);
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(tail ? `${reason} (stderr: ${tail})` : reason));
      };
      const timer = setTimeout(
        () => fail(`serve was not healthy within ${timeoutMs} ms`),
        timeoutMs,
      );
      timer.unref();
      child.once('error', (e) => fail(`serve could not start: ${e.message}`));
      child.once('exit', (code, signal) => fail(`serve exited (${signal ?? `code ${code}`})`));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let msg: { event?: string; port?: number };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          return;
        }
        if (done || msg.event !== 'listening' || typeof msg.port !== 'number') return;
        // One request at a time per process (MaxConcurrentTransforms 1): one connection.
        const client = new ServeClient(msg.port, {
          connections: 1,
          timeoutMs: this.o.invocationTimeoutMs ?? 600_000,
        });
        void client.waitForPing(timeoutMs, 50).then(
          () => {
            if (done) {
              void client.close();
              return;
            }
            done = true;
            clearTimeout(timer);
            resolve({ child, client });
          },
          (e: Error) => {
            void client.close();
            fail(e.message);
          },
        );
      });
    });
  }

  private async emit(
    spec: TransformJobSpec,
    status: 'InProgress' | 'Completed' | 'Failed',
    startedAt: Date,
    endedAt?: Date,
    failure?: string,
  ): Promise<void> {
    try {
      await this.o.emit(this.stateChange(spec, status, startedAt, endedAt, failure));
    } catch (e) {
      this.log.error('could not emit the transform job state change', {
        jobName: spec.jobName,
        status,
        reason: errorMessage(e),
      });
    }
  }

  /** The event SageMaker puts on the default bus; its detail mirrors DescribeTransformJob. */
  stateChange(
    spec: TransformJobSpec,
    status: 'InProgress' | 'Completed' | 'Failed' | 'Stopped',
    startedAt: Date,
    endedAt?: Date,
    failure?: string,
  ): BusEvent {
    const arn = sagemakerArn(this.region, this.account, `transform-job/${spec.jobName}`);
    const artifacts = bucketName(this.o.names, 'artifacts');
    const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      source: SAGEMAKER_SOURCE,
      'detail-type': TRANSFORM_JOB_STATE_CHANGE,
      resources: [arn],
      ...(endedAt ? { time: iso(endedAt) } : {}),
      detail: {
        TransformJobName: spec.jobName,
        TransformJobArn: arn,
        TransformJobStatus: status,
        ...(failure ? { FailureReason: failure.slice(0, 1024) } : {}),
        ModelName: resourceName(this.o.names, `model-v${spec.modelVersion}`),
        MaxConcurrentTransforms: spec.maxConcurrentTransforms ?? 1,
        MaxPayloadInMB: spec.maxPayloadMb,
        BatchStrategy: spec.batchStrategy,
        Environment: {},
        TransformInput: {
          DataSource: {
            S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${artifacts}/${spec.inputKey}` },
          },
          ContentType: spec.contentType,
          CompressionType: 'None',
          SplitType: spec.splitType,
        },
        TransformOutput: {
          S3OutputPath: `s3://${artifacts}/${spec.outputPrefix}`,
          Accept: spec.contentType,
          AssembleWith: spec.assembleWith,
        },
        DataProcessing: {
          InputFilter: spec.inputFilter,
          JoinSource: spec.joinSource,
          OutputFilter: spec.outputFilter,
        },
        TransformResources: {
          InstanceType: 'local',
          InstanceCount: Math.max(1, this.o.instances ?? availableParallelism()),
        },
        CreationTime: iso(startedAt),
        TransformStartTime: iso(startedAt),
        ...(endedAt ? { TransformEndTime: iso(endedAt) } : {}),
        Tags: {},
      },
    };
  }
}

function checkSpec(spec: TransformJobSpec): void {
  if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(spec.jobName)) {
    throw new Error(
      `ValidationException: transform job name ${spec.jobName} must be 1-63 letters, digits and dashes`,
    );
  }
  if (
    spec.contentType !== 'text/csv' ||
    spec.splitType !== 'Line' ||
    spec.assembleWith !== 'Line'
  ) {
    throw new Error(
      'ValidationException: the local transform runs text/csv split and assembled by line',
    );
  }
  if (spec.inputFilter !== '$' && spec.inputFilter !== '$[1:]') {
    throw new Error(
      `ValidationException: the local transform supports InputFilter "$" and "$[1:]", not ${spec.inputFilter}`,
    );
  }
  if (spec.joinSource === 'Input') parseOutputFilter(spec.outputFilter);
}

async function stopServe(server: ServeProcess): Promise<void> {
  await stopProcess(server.child);
  await server.client.close();
}
