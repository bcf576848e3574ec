import { Pool } from 'undici';
import { errorMessage } from '../log.ts';

/**
 * The runtime's HTTP client to one `serve` process (an endpoint's or a transform job's), over
 * keep-alive connections on loopback. undici rather than node:http: on a saturated /predict
 * path node:http's client cost about a sixth of the runtime's CPU per request, undici about a
 * third of that (measured with autocannon at 64 connections: 3.2k -> 3.8k requests/s).
 */
export interface ServeResponse {
  status: number;
  body: Buffer;
  contentType?: string;
}

export class ServeClient {
  private readonly pool: Pool;
  /** Pings have their own connection: they must not queue behind requests a hung server holds. */
  private readonly health: Pool;

  constructor(
    readonly port: number,
    options: { connections?: number; timeoutMs?: number } = {},
  ) {
    // A hung process must not hold a request (and its connection) for undici's default 300 s.
    const timeout = options.timeoutMs ?? 300_000;
    this.pool = new Pool(`http://127.0.0.1:${port}`, {
      connections: options.connections ?? 64,
      pipelining: 1,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    this.health = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  }

  async post(
    path: string,
    body: Buffer,
    contentType: string,
    accept: string,
    extraHeaders?: Record<string, string>,
  ): Promise<ServeResponse> {
    const res = await this.pool.request({
      path,
      method: 'POST',
      body,
      headers: { 'content-type': contentType, accept, ...extraHeaders },
    });
    const answer = Buffer.from(await res.body.arrayBuffer());
    const type = res.headers['content-type'];
    return {
      status: res.statusCode,
      body: answer,
      ...(typeof type === 'string' ? { contentType: type } : {}),
    };
  }

  /** True when GET /ping answers 200 within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<boolean> {
    return (await this.pingStatus(timeoutMs).catch(() => 0)) === 200;
  }

  /** GET /ping until it answers 200; throws with the last answer or error at the deadline. */
  async waitForPing(timeoutMs: number, pollMs = 100): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      try {
        const status = await this.pingStatus(2000);
        if (status === 200) return;
        last = `GET /ping answered ${status}`;
      } catch (e) {
        last = errorMessage(e);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`no healthy answer within ${timeoutMs} ms (${last})`);
  }

  private async pingStatus(timeoutMs: number): Promise<number> {
    // A signal, not undici's own timeouts: it also ends a ping still queued behind a stuck one.
    const res = await this.health.request({
      path: '/ping',
      method: 'GET',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body.dump();
    return res.statusCode;
  }

  /** Drops the connections (the process is stopping or gone). */
  async close(): Promise<void> {
    await Promise.all([this.pool, this.health].map((p) => p.destroy().catch(() => undefined)));
  }
}
