import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { installPlatform } from '@cancer-mlops/shared/runtime/platform.ts';
import { setLogSink } from '@cancer-mlops/shared/runtime/logger.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { modelPackageGroup } from '@cancer-mlops/shared/topology/common.ts';
import type { TransformJobs } from '@cancer-mlops/shared/ports/transform.ts';
import { LocalBus } from './bus/localBus.ts';
import { localQueueSender } from './queue/queueSender.ts';
import { S3NotificationSource } from './objectStore/s3Notifications.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { HttpGateway } from './gateway/httpGateway.ts';
import { LocalTrainingJobs } from './sagemaker/localTrainingJobs.ts';
import { LocalModelRegistry } from './sagemaker/localModelRegistry.ts';
import { LocalEndpoints } from './sagemaker/localEndpoints.ts';
import { LocalTransformJobs } from './sagemaker/localTransform.ts';
import { DataCaptureWriter, objectStoreCaptureSink } from './sagemaker/dataCapture.ts';
import { scorerFromEnv } from '@cancer-mlops/shared/adapters/scorerFromEnv.ts';
import {
  LOCAL_NAMES,
  LOCAL_REGION,
  openLocalState,
  stateLayout,
  type LocalState,
} from './localState.ts';
import { Invoker } from './mesh/invoker.ts';
import { Mesh } from './mesh/mesh.ts';
import { allTopologies } from './mesh/topologies.ts';
import { fileLog } from './runtimeLog.ts';
import type { RuntimeLog } from './log.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RuntimeOptions {
  stateDir: string;
  /** API port; 0 picks a free one. */
  port?: number;
  names?: NameContext;
  /** Seconds × receive count before a failed message is tried again (1 by default). */
  retryDelaySeconds?: number;
  /** How often bucket folders are scanned for hand-copied files. */
  scanIntervalMs?: number;
  /** Where the runtime's own log goes; the state folder's log file by default. */
  log?: RuntimeLog;
  env?: NodeJS.ProcessEnv;
}

/**
 * The embedded runtime: every port on this machine, the mesh wired from the topologies, the
 * HTTP API. The same handler modules as on Lambda run in this process; training jobs and
 * model servers run the container's code in child processes.
 */
export class LocalRuntime {
  private constructor(
    readonly state: LocalState,
    readonly platform: Platform,
    readonly bus: LocalBus,
    readonly notifications: S3NotificationSource,
    readonly scheduler: Scheduler,
    readonly gateway: HttpGateway,
    readonly training: LocalTrainingJobs,
    readonly registry: LocalModelRegistry,
    readonly endpoints: LocalEndpoints,
    readonly transform: LocalTransformJobs,
    readonly capture: DataCaptureWriter,
    readonly mesh: Mesh,
    readonly apiUrl: string,
    readonly token: string,
    readonly log: RuntimeLog,
  ) {}

  static async start(o: RuntimeOptions): Promise<LocalRuntime> {
    const names = o.names ?? LOCAL_NAMES;
    const layout = stateLayout(o.stateDir);
    const state = openLocalState(o.stateDir, names);
    const log = o.log ?? fileLog(layout.logFile);
    setLogSink((entry) =>
      log[entry.level === 'debug' ? 'info' : entry.level](entry.message, entry),
    );
    const token = apiToken(layout.tokenFile);
    const bus = new LocalBus(state.db, { queues: state.queues, region: LOCAL_REGION, log });
    const emit = (event: Parameters<LocalBus['putEvents']>[1][number]) => {
      bus.putEvents('default', [event]);
    };
    const capture = new DataCaptureWriter({
      sink: objectStoreCaptureSink(state.objects),
      endpointName: `${names.prefix}-${names.stage}-endpoint`,
      log,
    });
    const training = new LocalTrainingJobs({
      stateDir: o.stateDir,
      objects: state.objects,
      names,
      emit,
      region: LOCAL_REGION,
      log,
    });
    const registry = new LocalModelRegistry({
      db: state.db,
      emit,
      region: LOCAL_REGION,
      log,
      group: modelPackageGroup(names),
    });
    const endpoints = new LocalEndpoints({
      stateDir: o.stateDir,
      db: state.db,
      objects: state.objects,
      names,
      capture,
      log,
    });
    const transform = new LocalTransformJobs({
      stateDir: o.stateDir,
      objects: state.objects,
      names,
      emit,
      registry,
      log,
    });
    const platform: Platform = {
      names,
      objects: state.objects,
      queues: localQueueSender(state.queues, names),
      events: bus.publisher(),
      state: state.state,
      secrets: state.secrets,
      metrics: state.metrics,
      features: state.features,
      scorer: await scorerFromEnv(o.env ?? process.env, 'local'),
      training,
      registry,
      endpoints,
      transform: transform as TransformJobs,
      now: () => new Date(),
    };
    installPlatform(platform);

    const notifications = new S3NotificationSource(state.objects, state.db, {
      region: LOCAL_REGION,
      scanIntervalMs: o.scanIntervalMs ?? 500,
      log,
    });
    const scheduler = new Scheduler({ region: LOCAL_REGION, log });
    const gateway = new HttpGateway({ token, region: LOCAL_REGION, log });
    const mesh = new Mesh(allTopologies(names), {
      names,
      region: LOCAL_REGION,
      queues: state.queues,
      bus,
      objects: {
        onObjectCreated: (filter, listener) => {
          notifications.onObjectCreated(filter, listener);
        },
      },
      scheduler: {
        add: (name, expression, fire) => scheduler.add({ name, expression, handler: fire }),
      },
      gateway: {
        route: (method, p, auth, handler) =>
          gateway.addRoute({ method, path: p, auth, handler: (event) => handler(event) }),
      },
      invoker: new Invoker({ root: REPO_ROOT, names, region: LOCAL_REGION, log }),
      log,
      retryDelaySeconds: o.retryDelaySeconds ?? 1,
    });
    let url: string;
    try {
      // The port first: a busy port must fail the start before any model server is spawned.
      ({ url } = await gateway.listen(o.port ?? 0));
      await mesh.wire();
      await training.recover();
      await endpoints.restore();
    } catch (e) {
      // Leave nothing behind: no listening socket, no child process, no open database.
      await release({ gateway, bus, training, endpoints, transform, capture, state }).catch(
        () => undefined,
      );
      throw e;
    }
    mesh.start();
    scheduler.start();
    await notifications.start();
    return new LocalRuntime(
      state,
      platform,
      bus,
      notifications,
      scheduler,
      gateway,
      training,
      registry,
      endpoints,
      transform,
      capture,
      mesh,
      url,
      token,
      log,
    );
  }

  /** A real-shaped EventBridge 'Scheduled Event', as the scheduler sends. */
  scheduledEvent(rule: string, at = new Date()) {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: LOCAL_REGION,
      resources: [`arn:aws:events:${LOCAL_REGION}:000000000000:rule/${rule}`],
      detail: {},
    };
  }

  /** Adds a local-only route (the CLI's control channel); never part of a topology. */
  addLocalRoute(
    method: string,
    routePath: string,
    handler: (event: { body?: string }) => Promise<unknown>,
  ): void {
    this.gateway.addRoute({
      method,
      path: routePath,
      auth: 'jwt',
      handler: (event) => handler(event),
      timeoutSeconds: 29,
    });
  }

  /** Nothing queued or in flight, no handler running, no job running, no file waiting. */
  isIdle(): boolean {
    if (this.mesh.busy) return false;
    if (this.training.runningJobs() > 0 || this.transform.runningJobs() > 0) return false;
    for (const q of this.state.queues.listQueues()) {
      if (q.name.endsWith('-dlq')) continue;
      const d = this.state.queues.depth(q.name);
      if (d.visible + d.inFlight + d.delayed > 0) return false;
    }
    return true;
  }

  /** Resolves once the runtime has stayed idle (including the bus outbox and the scanner) for `stableMs`. */
  async waitUntilIdle(stableMs = 1500, pollMs = 100): Promise<void> {
    let since: number | undefined;
    for (;;) {
      await this.bus.idle();
      await this.notifications.idle();
      if (this.isIdle()) {
        since ??= Date.now();
        if (Date.now() - since >= stableMs) return;
      } else since = undefined;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  async stop(): Promise<void> {
    await this.notifications.stop();
    await this.scheduler.stop();
    await this.mesh.stop();
    await release(this);
  }
}

/** Closes what a runtime holds, in order: the API, the bus, child processes, capture, state. */
async function release(r: {
  gateway: HttpGateway;
  bus: LocalBus;
  training: LocalTrainingJobs;
  endpoints: LocalEndpoints;
  transform: LocalTransformJobs;
  capture: DataCaptureWriter;
  state: LocalState;
}): Promise<void> {
  await r.gateway.close();
  r.bus.close();
  await r.training.stopAll();
  await r.endpoints.stopAll();
  await r.transform.close();
  await r.capture.close();
  setLogSink(undefined);
  r.state.close();
}

/** The local API's bearer token: created at first start, kept in the state folder (0600). */
function apiToken(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const token = randomBytes(24).toString('base64url');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
    return token;
  }
}
