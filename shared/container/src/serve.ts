/**
 * `serve`: the SageMaker inference server, also run as a child process by the local runtime.
 *
 *   GET  /ping                  200 once a model is loaded, 503 before (SageMaker health check)
 *   GET  /execution-parameters  batch-transform hints (SageMaker)
 *   POST /invocations           predictions; see README.md for the formats
 *
 * node:http with no framework: the inference proxy calls this at high rates, so the per-request
 * work is parse body -> one predictProba call -> one string.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { CsvError } from '@cancer-mlops/shared/domain/csv/errors.ts';
import { readNumericCsv } from '@cancer-mlops/shared/domain/csv/fastNumeric.ts';
import type { LoadedModel } from '@cancer-mlops/shared/domain/model/loaded.ts';
import { loadModel } from '@cancer-mlops/shared/domain/model/loaded.ts';
import { DEFAULT_PORT, sagemakerPaths } from './paths.ts';

/** SageMaker's real-time payload limit. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;
/** Identifiers a JSON instance may carry; they are not features and are ignored. */
const IGNORED_KEYS = new Set(['record_id', 'patient_id', 'event_time']);

export interface ServerOptions {
  baseDir: string;
  /** Default 8080; 0 = any free port (read it from the result). */
  port?: number;
  /** Default 0.0.0.0 (SageMaker); use 127.0.0.1 for a local child process. */
  host?: string;
  /** Refuse a model whose features differ from these. */
  expectedFeatures?: readonly string[];
  log?: (event: Record<string, unknown>) => void;
}

export interface RunningServer {
  port: number;
  server: Server;
  /** The loaded model, or null while none could be loaded. */
  model(): LoadedModel | null;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Format = 'json' | 'csv' | 'jsonlines';

/**
 * What an explained prediction carries: `full` the `{feature, value, contribution}` objects,
 * `values` only the contributions as numbers in model feature order (the caller knows the
 * features and the values it sent; a tenth of the bytes to write, capture and parse).
 */
type Explain = false | 'full' | 'values';

const explainOf = (v: string | undefined): Explain =>
  v === '1' || v === 'true' ? 'full' : v === 'values' ? 'values' : false;

/** `explain=…` in the query, `X-Explain`, or SageMaker's custom attributes (`a=1; explain=…`). */
function requestedExplain(url: string, q: number, headers: IncomingMessage['headers']): Explain {
  const header = headers['x-explain'];
  if (typeof header === 'string' && explainOf(header.trim())) return explainOf(header.trim());
  if (q >= 0) {
    const m = /(?:^|&)explain=(1|true|values)(?:&|$)/.exec(url.slice(q + 1));
    if (m) return explainOf(m[1]);
  }
  const m = /(?:^|[,;])\s*explain=(1|true|values)\s*(?:$|[,;])/.exec(
    String(headers['x-amzn-sagemaker-custom-attributes'] ?? ''),
  );
  return m ? explainOf(m[1]) : false;
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

function requestFormat(contentType: string | undefined): Format | null {
  const t = mediaType(contentType);
  if (t === 'text/csv') return 'csv';
  if (t === 'application/json') return 'json';
  if (
    t === 'application/jsonlines' ||
    t === 'application/x-jsonlines' ||
    t === 'application/jsonl'
  ) {
    return 'jsonlines';
  }
  return null;
}

/** First supported type in the Accept header (quality values are honoured roughly: order). */
function responseFormat(accept: string | undefined): Format | null {
  if (!accept) return 'json';
  const types = accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type.trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((t) => t.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { type } of types) {
    if (type === 'application/json' || type === '*/*' || type === 'application/*') return 'json';
    if (type === 'text/csv' || type === 'text/*') return 'csv';
    if (
      type === 'application/jsonlines' ||
      type === 'application/x-jsonlines' ||
      type === 'application/jsonl'
    ) {
      return 'jsonlines';
    }
  }
  return null;
}

function toNumber(v: unknown, where: () => string): number {
  if (v === null) return NaN; // missing: the model imputes the training median
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v))
    return Number(v);
  throw new HttpError(400, `${where()}: expected a number or null`);
}

/** JSON instances (objects by feature name, or arrays in model order) into rows. */
function instancesToRows(instances: unknown[], features: readonly string[]): Float64Array {
  const d = features.length;
  const index = new Map(features.map((f, i) => [f, i]));
  const rows = new Float64Array(instances.length * d);
  instances.forEach((inst, r) => {
    let values: unknown = inst;
    if (values && typeof values === 'object' && !Array.isArray(values) && 'features' in values) {
      values = (values as { features: unknown }).features; // SageMaker's {"features": [...]}
    }
    if (Array.isArray(values)) {
      if (values.length !== d)
        throw new HttpError(400, `instance ${r}: ${values.length} values; the model takes ${d}`);
      for (let f = 0; f < d; f++)
        rows[r * d + f] = toNumber(values[f], () => `instance ${r}, value ${f}`);
      return;
    }
    if (!values || typeof values !== 'object') {
      throw new HttpError(400, `instance ${r}: expected an object of feature values or an array`);
    }
    const seen = new Uint8Array(d);
    for (const [key, v] of Object.entries(values)) {
      const f = index.get(key);
      if (f === undefined) {
        if (IGNORED_KEYS.has(key)) continue;
        throw new HttpError(
          400,
          `instance ${r}: unknown feature ${JSON.stringify(key.slice(0, 64))}`,
        );
      }
      rows[r * d + f] = toNumber(v, () => `instance ${r}, feature ${key}`);
      seen[f] = 1;
    }
    const missing = features.filter((_, f) => seen[f] === 0);
    if (missing.length) {
      throw new HttpError(
        400,
        `instance ${r}: missing feature${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).join(', ')}` +
          `${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} (send null for an unknown value)`,
      );
    }
  });
  return rows;
}

/** The rows of a body, as the chunks it arrived in; CSV rows may be borrowed (see readNumericCsv). */
function parseBody(
  chunks: Buffer[],
  format: Format,
  model: LoadedModel,
): { rows: Float64Array; n: number } {
  const d = model.features.length;
  if (format === 'csv') {
    try {
      const { values, rows } = readNumericCsv(chunks, d, { borrow: true });
      return { rows: values, n: rows };
    } catch (err) {
      if (err instanceof CsvError) throw new HttpError(400, `text/csv body, ${err.message}`);
      throw err;
    }
  }
  const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
  let instances: unknown[];
  if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'body is not valid JSON');
    }
    if (Array.isArray(parsed)) instances = parsed;
    else if (
      parsed &&
      typeof parsed === 'object' &&
      Array.isArray((parsed as { instances?: unknown }).instances)
    ) {
      instances = (parsed as { instances: unknown[] }).instances;
    } else throw new HttpError(400, 'expected {"instances": [...]} or an array of instances');
  } else {
    instances = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (!line) continue;
      try {
        instances.push(JSON.parse(line));
      } catch {
        throw new HttpError(400, `application/jsonlines body, line ${i + 1}: not valid JSON`);
      }
    }
  }
  return { rows: instancesToRows(instances, model.features), n: instances.length };
}

function renderPredictions(
  format: Format,
  model: LoadedModel,
  rows: Float64Array,
  n: number,
  explain: Explain,
): string {
  const p = model.predictProba(rows, n);
  const threshold = model.threshold;
  const parts = new Array<string>(n);
  if (format === 'csv') {
    for (let i = 0; i < n; i++)
      parts[i] = `${p[i]},${p[i] >= threshold ? 'malignant' : 'benign'}\n`;
    return parts.join('');
  }
  const d = model.features.length;
  for (let i = 0; i < n; i++) {
    const label = p[i] >= threshold ? 'malignant' : 'benign';
    if (!explain) {
      parts[i] = `{"probability_malignant":${p[i]},"prediction":"${label}"}`;
      continue;
    }
    const e = model.explain(rows.subarray(i * d, i * d + d));
    parts[i] = JSON.stringify({
      probability_malignant: p[i],
      prediction: label,
      raw_probability: e.rawProbability,
      bias: e.bias,
      contributions:
        explain === 'values' ? e.contributions.map((c) => c.contribution) : e.contributions,
    });
  }
  return format === 'json' ? `{"predictions":[${parts.join(',')}]}` : `${parts.join('\n')}\n`;
}

const CONTENT_TYPE: Record<Format, string> = {
  json: 'application/json',
  csv: 'text/csv',
  jsonlines: 'application/jsonlines',
};

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'application/json',
  extra?: Record<string, string>,
): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  send(res, status, JSON.stringify({ error: message }));
}

/** Beyond this much discarded body the connection is cut instead of drained. */
const MAX_DRAIN_BYTES = 8 * MAX_BODY_BYTES;

/**
 * Reads the body as the chunks it arrives in (a CSV mini-batch goes from them straight into the
 * parser, not through one more 6 MB buffer), refusing (413) once it passes MAX_BODY_BYTES. The
 * rest of an oversized body is read and discarded (up to a cap) so the client receives the 413
 * instead of a reset connection.
 */
function readBody(req: IncomingMessage): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > MAX_BODY_BYTES;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (size > MAX_DRAIN_BYTES) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        reject(
          new HttpError(413, `body of ${size} bytes exceeds the ${MAX_BODY_BYTES}-byte limit`),
        );
      } else resolve(chunks);
    });
    req.on('error', reject);
  });
}

/** Starts the server; resolves once it listens. The model is loaded before listening when present. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const paths = sagemakerPaths(options.baseDir);
  const log = options.log ?? (() => {});
  let model: LoadedModel | null = null;
  let lastAttempt = 0;
  let loadError = 'no model loaded yet';
  let modelHeaders: Record<string, string> = {};

  const tryLoad = async (): Promise<void> => {
    lastAttempt = Date.now();
    try {
      const bytes = await readFile(paths.model);
      model = loadModel(bytes, { expectedFeatures: options.expectedFeatures });
      modelHeaders = { 'X-Model-Id': model.metadata.modelId };
      log({
        event: 'model-loaded',
        modelId: model.metadata.modelId,
        features: model.features.length,
      });
    } catch (err) {
      loadError = err instanceof Error ? err.message : String(err);
      log({ event: 'model-load-failed', reason: loadError });
    }
  };
  await tryLoad();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === '/ping') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'use GET');
      // A model written after start-up (local runtime) is picked up, at most once a second.
      if (!model && Date.now() - lastAttempt > 1000) await tryLoad();
      if (model) return send(res, 200, '{"status":"ok"}', 'application/json', modelHeaders);
      return sendError(res, 503, `model not loaded: ${loadError}`);
    }
    if (path === '/execution-parameters') {
      return send(
        res,
        200,
        JSON.stringify({
          MaxConcurrentTransforms: availableParallelism(),
          BatchStrategy: 'MULTI_RECORD',
          // What the batch service asks for (services/batch/src/prepareBatch.ts).
          MaxPayloadInMB: 2,
        }),
      );
    }
    if (path !== '/invocations') return sendError(res, 404, `no route ${path}`);
    if (req.method !== 'POST') return sendError(res, 405, 'use POST');
    const chunks = await readBody(req);
    if (!model) throw new HttpError(503, `model not loaded: ${loadError}`);
    const inFormat = requestFormat(req.headers['content-type']);
    if (!inFormat) {
      throw new HttpError(
        415,
        'Content-Type must be text/csv, application/json or application/jsonlines',
      );
    }
    const outFormat = responseFormat(req.headers.accept);
    if (!outFormat)
      throw new HttpError(
        406,
        'Accept must allow application/json, text/csv or application/jsonlines',
      );
    const explain = requestedExplain(url, q, req.headers);
    if (explain && outFormat === 'csv')
      throw new HttpError(406, 'explanations need a JSON or JSON Lines response');
    // Synchronous from here to the answer: borrowed rows stay valid while they are used.
    const { rows, n } = parseBody(chunks, inFormat, model);
    if (n === 0) throw new HttpError(400, 'no records in the body');
    send(
      res,
      200,
      renderPredictions(outFormat, model, rows, n, explain),
      CONTENT_TYPE[outFormat],
      modelHeaders,
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof HttpError) {
        if (err.status === 413) res.setHeader('Connection', 'close');
        sendError(res, err.status, err.message);
      } else {
        log({
          event: 'invocation-error',
          reason: err instanceof Error ? err.message : String(err),
        });
        sendError(res, 500, 'internal error');
      }
    });
  });
  server.keepAliveTimeout = 65_000; // longer than typical load-balancer idle timeouts
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    model: () => model,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
