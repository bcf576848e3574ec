import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { createLambdaContext, lambdaLogStreamName } from '../lambda/context.ts';
import { errorMessage, stderrLog, type RuntimeLog } from '../log.ts';

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => unknown;

export interface GatewayRoute {
  method: string;
  /** `/predict`, or with path parameters `/models/{version}`. */
  path: string;
  auth: 'none' | 'jwt';
  handler: HttpHandler;
  /** Physical function name, for the Lambda context. */
  functionName?: string;
  /** The function's timeout: the context's deadline, and a 500 when exceeded (a Lambda timeout). */
  timeoutSeconds?: number;
  memoryMb?: number;
}

export interface HttpGatewayOptions {
  /** The bearer token `jwt` routes accept; without one, every `jwt` route answers 401. */
  token?: string;
  region?: string;
  accountId?: string;
  apiId?: string;
  /** API Gateway's payload limit, 10 MB. */
  maxBodyBytes?: number;
  /** API Gateway HTTP APIs give up on an integration after 30 s with a 503. */
  integrationTimeoutMs?: number;
  log?: RuntimeLog;
}

interface CompiledRoute {
  route: GatewayRoute;
  routeKey: string;
  functionName: string;
  logStreamName: string;
  /** For routes with `{param}` segments. */
  segments?: string[];
}

const JSON_TYPE = { 'content-type': 'application/json' };
const NOT_FOUND = '{"message":"Not Found"}';
const UNAUTHORIZED = '{"message":"Unauthorized"}';
const TOO_LARGE = '{"message":"Request Entity Too Large"}';
const INTERNAL_ERROR = '{"message":"Internal Server Error"}';
const UNAVAILABLE = '{"message":"Service Unavailable"}';

/** Bodies of these types reach the handler as text; anything else base64-encoded. */
const TEXT_TYPE =
  /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded|[\w.+-]*\+(json|xml))\b)/i;

/**
 * API Gateway HTTP API on localhost: `METHOD /path` routes to Lambda-style handlers with the
 * payload format 2.0 event, and the handler's result mapped back as 2.0 specifies. Like
 * API Gateway it answers 404 `{"message":"Not Found"}` for unknown routes, 413 past 10 MB,
 * 401 `{"message":"Unauthorized"}` for a `jwt` route without the right bearer token
 * (compared in constant time), 500 `{"message":"Internal Server Error"}` when a handler
 * throws (never the error text; that goes to the log) and 503 after the integration timeout.
 *
 * Kept lean on purpose (no framework, one map lookup per request): /predict runs through it.
 */
export class HttpGateway {
  private readonly exact = new Map<string, CompiledRoute>();
  private readonly parameterised: CompiledRoute[] = [];
  private readonly tokenDigest: Buffer | undefined;
  private readonly claims: Record<string, unknown>;
  private readonly maxBody: number;
  private readonly integrationTimeoutMs: number;
  private readonly region: string;
  private readonly accountId: string;
  private readonly apiId: string;
  private readonly log: RuntimeLog;
  private server: http.Server | undefined;
  /** Request ids: unique per gateway without a random draw per request. */
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private requests = 0;
  private clockSecond = 0;
  private clockText = '';

  constructor(options: HttpGatewayOptions = {}) {
    this.tokenDigest = options.token ? sha256(options.token) : undefined;
    this.claims = options.token ? jwtClaims(options.token) : {};
    this.maxBody = options.maxBodyBytes ?? 10 * 1024 * 1024;
    this.integrationTimeoutMs = options.integrationTimeoutMs ?? 30_000;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.apiId = options.apiId ?? 'local';
    this.log = options.log ?? stderrLog('gateway');
  }

  addRoute(route: GatewayRoute): void {
    const method = route.method.toUpperCase();
    if (!route.path.startsWith('/')) throw new Error(`route path must start with /: ${route.path}`);
    const routeKey = `${method} ${route.path}`;
    if (this.exact.has(routeKey) || this.parameterised.some((r) => r.routeKey === routeKey)) {
      throw new Error(`route ${routeKey} is defined twice`);
    }
    const compiled: CompiledRoute = {
      route: { ...route, method },
      routeKey,
      functionName: route.functionName ?? `local-${method}-${route.path}`,
      logStreamName: lambdaLogStreamName(),
    };
    if (route.path.includes('{')) {
      compiled.segments = route.path.split('/');
      this.parameterised.push(compiled);
    } else {
      this.exact.set(routeKey, compiled);
    }
  }

  /** Starts listening; port 0 picks a free port. Resolves with where it listens. */
  listen(port = 0, host = '127.0.0.1'): Promise<{ port: number; host: string; url: string }> {
    if (this.server) throw new Error('the gateway is already listening');
    if (
      !this.tokenDigest &&
      [...this.exact.values(), ...this.parameterised].some((r) => r.route.auth === 'jwt')
    ) {
      this.log.warn('no API token configured: every jwt route will answer 401');
    }
    const server = http.createServer((req, res) => this.onRequest(req, res));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address() as AddressInfo;
        const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve({
          port: address.port,
          host: address.address,
          url: `http://${shown}:${address.port}`,
        });
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const requestId = `${this.idPrefix}${(++this.requests).toString(36).padStart(6, '0')}=`;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQueryString = q < 0 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    let pathParameters: Record<string, string> | undefined;
    let compiled = this.exact.get(`${method} ${rawPath}`);
    if (!compiled && this.parameterised.length > 0) {
      for (const r of this.parameterised) {
        pathParameters = matchPath(r.segments as string[], rawPath);
        if (r.route.method === method && pathParameters) {
          compiled = r;
          break;
        }
      }
    }
    if (!compiled) return this.reject(req, res, 404, NOT_FOUND, requestId);
    if (compiled.route.auth === 'jwt' && !this.authorised(req.headers.authorization)) {
      return this.reject(req, res, 401, UNAUTHORIZED, requestId, { 'www-authenticate': 'Bearer' });
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBody)
      return this.reject(req, res, 413, TOO_LARGE, requestId, { connection: 'close' });

    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > this.maxBody) {
        tooLarge = true;
        this.send(res, 413, TOO_LARGE, requestId, { connection: 'close' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      void this.invoke(compiled, req, res, {
        requestId,
        rawPath,
        rawQueryString,
        method,
        pathParameters,
        body,
      });
    });
    req.on('error', () => res.destroy());
  }

  private async invoke(
    compiled: CompiledRoute,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    r: {
      requestId: string;
      rawPath: string;
      rawQueryString: string;
      method: string;
      pathParameters: Record<string, string> | undefined;
      body: Buffer;
    },
  ): Promise<void> {
    const { route } = compiled;
    const event = this.event(compiled, req, r);
    const lambdaTimeoutMs = (route.timeoutSeconds ?? 30) * 1000;
    const context = createLambdaContext({
      functionName: compiled.functionName,
      timeoutSeconds: route.timeoutSeconds ?? 30,
      memoryMb: route.memoryMb,
      region: this.region,
      accountId: this.accountId,
      logStreamName: compiled.logStreamName,
    });
    // A Lambda that times out is a failed integration (500); a gateway that gives up first, 503.
    const [limitMs, limitStatus] =
      lambdaTimeoutMs <= this.integrationTimeoutMs
        ? [lambdaTimeoutMs, 500]
        : [this.integrationTimeoutMs, 503];
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      this.log.error('route handler timed out', {
        routeKey: compiled.routeKey,
        requestId: r.requestId,
      });
      this.send(res, limitStatus, limitStatus === 503 ? UNAVAILABLE : INTERNAL_ERROR, r.requestId);
    }, limitMs);
    try {
      const result = await route.handler(event, context);
      if (settled) return;
      this.respond(res, result, r.requestId);
    } catch (e) {
      if (settled) return;
      this.log.error('route handler failed', {
        routeKey: compiled.routeKey,
        requestId: r.requestId,
        awsRequestId: context.awsRequestId,
        error: errorMessage(e),
      });
      this.send(res, 500, INTERNAL_ERROR, r.requestId);
    } finally {
      settled = true;
      clearTimeout(timer);
    }
  }

  private event(
    compiled: CompiledRoute,
    req: http.IncomingMessage,
    r: {
      requestId: string;
      rawPath: string;
      rawQueryString: string;
      method: string;
      pathParameters: Record<string, string> | undefined;
      body: Buffer;
    },
  ): APIGatewayProxyEventV2 {
    const headers: Record<string, string> = {};
    let cookies: string[] | undefined;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      const value = raw[i + 1];
      if (name === 'cookie') {
        // Format 2.0 moves cookies out of the headers into their own list.
        cookies ??= [];
        for (const c of value.split(';')) if (c.trim()) cookies.push(c.trim());
        continue;
      }
      headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
    }
    const now = Date.now();
    const hasBody = r.body.length > 0;
    const textual =
      hasBody && (!headers['content-type'] || TEXT_TYPE.test(headers['content-type']));
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: compiled.routeKey,
      rawPath: r.rawPath,
      rawQueryString: r.rawQueryString,
      headers,
      requestContext: {
        accountId: this.accountId,
        apiId: this.apiId,
        domainName: headers.host ?? 'localhost',
        domainPrefix: (headers.host ?? 'localhost').split('.')[0].split(':')[0],
        http: {
          method: r.method,
          path: r.rawPath,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: r.requestId,
        routeKey: compiled.routeKey,
        stage: '$default',
        time: this.clfTime(now),
        timeEpoch: now,
      },
      isBase64Encoded: hasBody && !textual,
    };
    if (cookies) event.cookies = cookies;
    if (r.rawQueryString) event.queryStringParameters = parseQuery(r.rawQueryString);
    if (r.pathParameters) event.pathParameters = r.pathParameters;
    if (hasBody) event.body = textual ? r.body.toString('utf8') : r.body.toString('base64');
    if (compiled.route.auth === 'jwt') {
      (event.requestContext as unknown as { authorizer: unknown }).authorizer = {
        jwt: { claims: this.claims, scopes: null },
      };
    }
    return event;
  }

  /** Maps a handler's result as format 2.0 does: a structured result, or any value as 200 JSON. */
  private respond(res: http.ServerResponse, result: unknown, requestId: string): void {
    if (isStructured(result)) {
      const status = result.statusCode ?? 200;
      if (
        !Number.isInteger(status) ||
        status < 100 ||
        status > 599 ||
        (result.body !== undefined && typeof result.body !== 'string')
      ) {
        this.log.error('route handler returned an invalid response', { requestId });
        return this.send(res, 500, INTERNAL_ERROR, requestId);
      }
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(result.headers ?? {}))
        headers[k.toLowerCase()] = String(v);
      if (result.cookies?.length) headers['set-cookie'] = result.cookies;
      const body =
        result.body === undefined
          ? ''
          : result.isBase64Encoded
            ? Buffer.from(result.body, 'base64')
            : result.body;
      return this.send(res, status, body, requestId, headers, false);
    }
    const body =
      typeof result === 'string' ? result : result === undefined ? '' : JSON.stringify(result);
    this.send(res, 200, body, requestId);
  }

  private reject(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    body: string,
    requestId: string,
    extra: http.OutgoingHttpHeaders = {},
  ): void {
    // Drain the unread body so a keep-alive connection stays usable.
    req.resume();
    this.send(res, status, body, requestId, extra);
  }

  private send(
    res: http.ServerResponse,
    status: number,
    body: string | Buffer,
    requestId: string,
    extra: http.OutgoingHttpHeaders = {},
    json = true,
  ): void {
    if (res.headersSent) return;
    const headers: http.OutgoingHttpHeaders = json ? { ...JSON_TYPE, ...extra } : { ...extra };
    headers['apigw-requestid'] = requestId;
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(status, headers);
    res.end(body);
  }

  private authorised(header: string | undefined): boolean {
    if (!this.tokenDigest || !header) return false;
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match) return false;
    return timingSafeEqual(sha256(match[1]), this.tokenDigest);
  }

  /** API Gateway's request time, `12/Mar/2020:19:03:58 +0000`, formatted once a second. */
  private clfTime(now: number): string {
    const second = Math.floor(now / 1000);
    if (second !== this.clockSecond) {
      const d = new Date(second * 1000);
      const p = (n: number) => String(n).padStart(2, '0');
      this.clockText = `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(
        d.getUTCMinutes(),
      )}:${p(d.getUTCSeconds())} +0000`;
      this.clockSecond = second;
    }
    return this.clockText;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const sha256 = (s: string) => createHash('sha256').update(s).digest();

function isStructured(result: unknown): result is APIGatewayProxyStructuredResultV2 {
  return typeof result === 'object' && result !== null && 'statusCode' in result;
}

/** Repeated parameters are joined with commas, as format 2.0 does. */
function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const k = decode(eq < 0 ? pair : pair.slice(0, eq));
    const v = eq < 0 ? '' : decode(pair.slice(eq + 1));
    out[k] = out[k] === undefined ? v : `${out[k]},${v}`;
  }
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function matchPath(segments: string[], rawPath: string): Record<string, string> | undefined {
  const parts = rawPath.split('/');
  const params: Record<string, string> = {};
  const last = segments[segments.length - 1];
  const greedy = /^\{(\w+)\+\}$/.exec(last);
  if (greedy ? parts.length < segments.length : parts.length !== segments.length) return undefined;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (greedy && i === segments.length - 1) {
      params[greedy[1]] = decode(parts.slice(i).join('/'));
      break;
    }
    const param = /^\{(\w+)\}$/.exec(s);
    if (param) {
      if (!parts[i]) return undefined;
      params[param[1]] = decode(parts[i]);
    } else if (s !== parts[i]) return undefined;
  }
  return params;
}

/** The payload of a JWT-shaped token, so requestContext.authorizer.jwt.claims is real. */
function jwtClaims(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) return {};
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
