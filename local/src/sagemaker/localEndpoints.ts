import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type Database from 'better-sqlite3';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import {
  CUSTOM_ATTRIBUTES_HEADER,
  DeploymentFailedError,
  EXPLAIN_CUSTOM_ATTRIBUTE,
  ModelInvocationError,
  NoEndpointError,
  type DeployedModel,
  type DeployResult,
  type Endpoints,
  type InvokeOptions,
  type InvokeResult,
  type ModelPackage,
} from '@cancer-mlops/shared/ports/sagemaker.ts';
import { resourceName, type NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { readModelArtifacts } from '@cancer-mlops/training/src/modelArtifacts.ts';
import { errorMessage, silentLog, type RuntimeLog } from '../log.ts';
import { defaultContainerCommand, stopProcess, type ContainerCommand } from './container.ts';
import type { CaptureEvent } from './dataCapture.ts';
import { ServeClient } from './serveClient.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sm_endpoints (
  name TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  package_arn TEXT NOT NULL,
  base_dir TEXT NOT NULL,
  deployed_at INTEGER NOT NULL
);
`;

interface EndpointRow {
  name: string;
  version: number;
  package_arn: string;
  base_dir: string;
  deployed_at: number;
}

/** A running `serve` process. */
interface Server {
  child: ChildProcess;
  url: string;
  port: number;
  /** Set once the process has printed its port. */
  client?: ServeClient;
  version: number;
  packageArn: string;
  baseDir: string;
  deployedAt: Date;
  /** Set when we stop it on purpose, so its exit is not mistaken for a crash. */
  stopping: boolean;
  /** When the process was started (ms), to tell a crash loop from a rare crash. */
  launchedAt: number;
  /** Consecutive failed health checks. */
  missedPings: number;
}

/** A server that runs this long before it crashes starts a fresh count of restarts. */
const STABLE_MS = 60_000;
/** Health checks of the serving process, as SageMaker pings its instances (default period). */
const HEALTH_CHECK_MS = 5_000;
/** Failed health checks in a row after which a hung server is killed (and restarted). */
const MAX_MISSED_PINGS = 3;
/** SageMaker's own limit for one invocation. */
const INVOKE_TIMEOUT_MS = 60_000;

export interface LocalEndpointsOptions {
  stateDir: string;
  /** The runtime database: the deployed model survives a restart (see restore). */
  db: Database.Database;
  objects: ObjectStore;
  names: NameContext;
  container?: ContainerCommand;
  /** How long a new server has to print its port and answer GET /ping 200. */
  healthTimeoutMs?: number;
  /** How long the old server keeps answering requests already sent to it before it is stopped. */
  drainMs?: number;
  /** SageMaker data capture: every invocation's input and output (see dataCapture.ts). */
  capture?: { record(event: CaptureEvent): void };
  /** How often the serving process is pinged (a hung one is killed after 3 misses). */
  healthCheckMs?: number;
  /** Extra environment for `serve`. */
  env?: Record<string, string>;
  now?: () => Date;
  log?: RuntimeLog;
}

/**
 * The real-time endpoint on this machine. A deployment materialises the package's model
 * folder, starts the container's own `serve` on a free port (SM_PORT=0; it prints the port it
 * got), waits for GET /ping 200, then switches traffic in one assignment and stops the old
 * server once it has drained. A server that never becomes healthy is stopped and the old one
 * keeps serving (DeploymentFailedError). The deployed model is kept in the runtime database
 * so a restarted runtime serves it again (restore). Invocations go over keep-alive connections
 * to the active server (serveClient.ts).
 */
export class LocalEndpoints implements Endpoints {
  readonly endpointName: string;
  private active: Server | undefined;
  private readonly starting = new Set<Server>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => Date;
  private readonly log: RuntimeLog;
  private closed = false;
  private restarts = 0;

  constructor(private readonly o: LocalEndpointsOptions) {
    o.db.exec(SCHEMA);
    this.endpointName = resourceName(o.names, 'endpoint');
    this.now = o.now ?? (() => new Date());
    this.log = o.log ?? silentLog;
  }

  /** Deployments run one at a time. */
  deploy(pkg: ModelPackage): Promise<DeployResult> {
    const run = this.queue.then(() => this.deployNow(pkg));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async current(): Promise<DeployedModel | null> {
    if (this.active) return this.describe(this.active);
    const row = this.row();
    return row
      ? {
          endpoint: this.endpointName,
          version: row.version,
          packageArn: row.package_arn,
          deployedAt: new Date(row.deployed_at),
        }
      : null;
  }

  async invoke(
    body: string | Uint8Array,
    contentType: string,
    accept: string,
    options: InvokeOptions = {},
  ): Promise<InvokeResult> {
    const server = this.active;
    if (!server?.client) {
      const row = this.row();
      throw new NoEndpointError(
        row
          ? `endpoint ${this.endpointName} (v${row.version}) is not running`
          : `no model is deployed on endpoint ${this.endpointName}`,
      );
    }
    const payload =
      typeof body === 'string'
        ? Buffer.from(body, 'utf8')
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    let res;
    try {
      // CustomAttributes reach the container as SageMaker forwards them: one header.
      res = await server.client.post(
        '/invocations',
        payload,
        contentType,
        accept,
        options.explain ? { [CUSTOM_ATTRIBUTES_HEADER]: EXPLAIN_CUSTOM_ATTRIBUTE } : undefined,
      );
    } catch (e) {
      // The process died or hung under this request: the same answer as a server that is down.
      throw new NoEndpointError(
        `endpoint ${this.endpointName} (v${server.version}) did not answer: ${errorMessage(e)}`,
      );
    }
    if (res.status < 200 || res.status >= 300) {
      throw new ModelInvocationError(res.status, res.body.toString('utf8').slice(0, 1000));
    }
    const out = { body: res.body, contentType: res.contentType ?? accept };
    this.o.capture?.record({
      ...(options.inferenceId ? { inferenceId: options.inferenceId } : {}),
      input: payload,
      output: out.body,
      inputContentType: contentType,
      outputContentType: out.contentType,
    });
    return out;
  }

  /**
   * Serves again what was deployed before the runtime stopped. A model that no longer starts
   * is logged and left undeployed in memory (invoke says so); the record stays for a retry.
   */
  async restore(): Promise<DeployedModel | null> {
    const row = this.row();
    if (!row || this.active) return this.current();
    if (!existsSync(join(row.base_dir, 'model'))) {
      this.log.error('the deployed model folder is gone; redeploy it', {
        version: row.version,
        dir: row.base_dir,
      });
      return null;
    }
    try {
      this.active = await this.launch(
        row.base_dir,
        row.version,
        row.package_arn,
        new Date(row.deployed_at),
      );
      this.log.info('endpoint restored', { version: row.version, url: this.active.url });
      return this.describe(this.active);
    } catch (e) {
      this.log.error('could not restore the endpoint', {
        version: row.version,
        reason: errorMessage(e),
      });
      return null;
    }
  }

  /** Stops every server (shutdown); the deployment record stays for restore(). */
  async stopAll(): Promise<void> {
    this.closed = true;
    const all = [...this.starting, ...(this.active ? [this.active] : [])];
    this.active = undefined;
    await Promise.all(all.map((s) => stop(s, 0)));
  }

  private async deployNow(pkg: ModelPackage): Promise<DeployResult> {
    const previous = this.active ? this.describe(this.active) : null;
    const stamp = this.now().toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const baseDir = join(
      this.o.stateDir,
      'sagemaker',
      'endpoints',
      this.endpointName,
      `v${pkg.version}-${stamp}`,
    );
    let server: Server;
    try {
      await this.materialise(pkg, baseDir);
      server = await this.launch(baseDir, pkg.version, pkg.arn, this.now());
    } catch (e) {
      await rm(baseDir, { recursive: true, force: true }).catch(() => undefined);
      const reason = e instanceof Error ? e.message : String(e);
      this.log.warn('deployment failed; the previous model keeps serving', {
        version: pkg.version,
        reason,
      });
      throw new DeploymentFailedError(
        `v${pkg.version} did not become healthy: ${reason}`,
        previous,
      );
    }
    // The switch: from here every invoke goes to the new server.
    const old = this.active;
    this.active = server;
    this.restarts = 0;
    this.o.db
      .prepare(
        `INSERT INTO sm_endpoints (name, version, package_arn, base_dir, deployed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version, package_arn = excluded.package_arn,
           base_dir = excluded.base_dir, deployed_at = excluded.deployed_at`,
      )
      .run(this.endpointName, pkg.version, pkg.arn, baseDir, server.deployedAt.getTime());
    if (old) {
      void stop(old, this.o.drainMs ?? 1000).then(() =>
        rm(old.baseDir, { recursive: true, force: true }).catch(() => undefined),
      );
    }
    this.log.info('endpoint switched', {
      version: pkg.version,
      previous: previous?.version ?? null,
      url: server.url,
    });
    return { status: 'InService', current: this.describe(server), previous };
  }

  /** The package's model folder under `<baseDir>/model/`, where `serve` looks (SM_BASE_DIR). */
  private async materialise(pkg: ModelPackage, baseDir: string): Promise<void> {
    const files = await readModelArtifacts(this.o.objects, this.o.names, pkg.modelDataUrl);
    for (const [name, body] of files) {
      const target = join(baseDir, 'model', ...name.split('/'));
      await mkdir(join(target, '..'), { recursive: true });
      await writeFile(target, body);
    }
  }

  private launch(
    baseDir: string,
    version: number,
    packageArn: string,
    deployedAt: Date,
  ): Promise<Server> {
    const timeoutMs = this.o.healthTimeoutMs ?? 60_000;
    const container = this.o.container ?? defaultContainerCommand(this.o.stateDir);
    const child = spawn(container.command, [...container.args, 'serve'], {
      cwd: container.cwd,
      // Loopback only: the model server is reached through invoke, never from the network.
      env: {
        ...process.env,
        ...container.env,
        ...this.o.env,
        SM_BASE_DIR: baseDir,
        SM_PORT: '0',
        SM_HOST: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'pipe'], // stdin: the child's lifeline (exitWithParent.mjs)
    });
    const server: Server = {
      child,
      url: '',
      port: 0,
      version,
      packageArn,
      baseDir,
      deployedAt,
      stopping: false,
      launchedAt: Date.now(),
      missedPings: 0,
    };
    this.starting.add(server);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-2000);
    });

    return new Promise<Server>((resolve, reject) => {
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.starting.delete(server);
        void stop(server, 0);
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(tail ? `${reason} (stderr: ${tail})` : reason));
      };
      // Until the port is known; from then on the /ping wait has its own deadline and reason.
      const timer = setTimeout(() => {
        if (!server.port) fail(`serve reported no listening port within ${timeoutMs} ms`);
      }, timeoutMs);
      timer.unref();
      child.once('error', (e) => fail(`serve could not start: ${e.message}`));
      child.once('exit', (code, signal) => {
        if (!settled) fail(`serve exited (${signal ?? `code ${code}`}) before it was healthy`);
        else this.onExit(server, code, signal);
      });
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (server.port) return;
        let msg: { event?: string; port?: number };
        try {
          msg = JSON.parse(line) as { event?: string; port?: number };
        } catch {
          return;
        }
        if (msg.event !== 'listening' || typeof msg.port !== 'number') return;
        server.port = msg.port;
        server.url = `http://127.0.0.1:${msg.port}`;
        server.client = new ServeClient(msg.port, { timeoutMs: INVOKE_TIMEOUT_MS });
        void server.client.waitForPing(timeoutMs).then(
          () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            this.starting.delete(server);
            this.watch(server);
            resolve(server);
          },
          (e: Error) => fail(e.message),
        );
      });
    });
  }

  /**
   * Pings the server every few seconds; one that stops answering (hung, not dead) is killed,
   * and its exit restarts it as a crash would.
   */
  private watch(server: Server): void {
    const every = this.o.healthCheckMs ?? HEALTH_CHECK_MS;
    const timer = setInterval(() => {
      if (server.stopping || this.closed) return clearInterval(timer);
      void server.client?.ping(Math.min(2000, every)).then((ok) => {
        server.missedPings = ok ? 0 : server.missedPings + 1;
        if (server.missedPings < MAX_MISSED_PINGS || server.stopping || this.active !== server)
          return;
        this.log.error('the serving process stopped answering /ping; killing it to restart it', {
          version: server.version,
          missedPings: server.missedPings,
        });
        server.child.kill('SIGKILL');
      });
    }, every);
    timer.unref();
    server.child.once('exit', () => clearInterval(timer));
  }

  /** A serving process that dies on its own is started again, a few times, on the same model. */
  private onExit(server: Server, code: number | null, signal: NodeJS.Signals | null): void {
    void server.client?.close();
    if (server.stopping || this.closed || this.active !== server) return;
    this.log.error('the serving process exited', { version: server.version, code, signal });
    this.active = undefined;
    if (Date.now() - server.launchedAt >= STABLE_MS) this.restarts = 0;
    if (this.restarts >= 3) return;
    this.restarts++;
    setTimeout(() => {
      if (this.closed || this.active) return;
      void this.restore();
    }, 500 * this.restarts).unref();
  }

  private describe(s: Server): DeployedModel {
    return {
      endpoint: this.endpointName,
      version: s.version,
      packageArn: s.packageArn,
      url: s.url,
      deployedAt: s.deployedAt,
    };
  }

  private row(): EndpointRow | undefined {
    return this.o.db.prepare('SELECT * FROM sm_endpoints WHERE name = ?').get(this.endpointName) as
      EndpointRow | undefined;
  }
}

/** SIGTERM after `drainMs`, SIGKILL if it has not exited 5 s later. */
async function stop(server: Server, drainMs: number): Promise<void> {
  server.stopping = true;
  const { child } = server;
  if (drainMs > 0 && child.exitCode === null && child.signalCode === null)
    await new Promise((r) => setTimeout(r, drainMs));
  await stopProcess(child);
  await server.client?.close();
}
