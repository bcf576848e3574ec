import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { createLogger } from './logger.ts';
import { describeError } from './errors.ts';

/** An error with an HTTP status and a reason the caller can act on. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface HttpRequest {
  event: APIGatewayProxyEventV2;
  /** The raw body as bytes' length (after base64 decoding). */
  bodyBytes: number;
  body: string;
  /** Parsed JSON body; undefined when there is no body. */
  json: () => unknown;
}

export interface HttpResult {
  statusCode?: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface HttpOptions {
  service: string;
  /** Bodies above this many bytes get 413 before any parsing. */
  maxBodyBytes?: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { ...JSON_HEADERS, ...headers },
  body: JSON.stringify(body),
});

/**
 * An HTTP API (payload 2.0) handler: size limit, JSON parsing, and errors as JSON with a
 * status and a reason. Unexpected errors answer 500 without their message, which could carry
 * request data; the message is logged without the request.
 */
export function httpHandler(
  options: HttpOptions,
  handle: (req: HttpRequest, context: Context) => Promise<HttpResult>,
) {
  const log = createLogger(options.service);
  const max = options.maxBodyBytes ?? 1_048_576;
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(
    async (event, context) => {
      try {
        const raw = event.body ?? '';
        const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
        const bodyBytes = event.isBase64Encoded
          ? Buffer.byteLength(raw, 'base64')
          : Buffer.byteLength(raw, 'utf8');
        if (bodyBytes > max)
          throw new HttpError(413, `request body is ${bodyBytes} bytes; the limit is ${max}`);
        const req: HttpRequest = {
          event,
          body,
          bodyBytes,
          json: () => {
            if (body.trim() === '')
              throw new HttpError(400, 'request body is empty; send a JSON object');
            try {
              return JSON.parse(body);
            } catch {
              throw new HttpError(400, 'request body is not valid JSON');
            }
          },
        };
        const result = await handle(req, context);
        return jsonResponse(result.statusCode ?? 200, result.body, result.headers);
      } catch (e) {
        if (e instanceof HttpError) {
          return jsonResponse(e.statusCode, { message: e.message, ...(e.details ?? {}) });
        }
        log.error('request failed', {
          requestId: event?.requestContext?.requestId,
          reason: describeError(e),
        });
        return jsonResponse(500, {
          message: 'internal error',
          requestId: event?.requestContext?.requestId,
        });
      }
    },
  );
}
