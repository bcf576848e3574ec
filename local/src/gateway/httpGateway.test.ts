import http from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { RuntimeLog } from '../log.ts';
import { HttpGateway, type GatewayRoute } from './httpGateway.ts';

const TOKEN = 'local-secret-token';

/** A request with exactly these raw headers (repeated ones included). */
function rawRequest(url: string, method: string, body: string, headers: string[]) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const req = http.request(
        url,
        { method, headers: ['Host', new URL(url).host, ...headers] },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    },
  );
}

describe('Class: HttpGateway', () => {
  let gateway: HttpGateway;
  let url: string;
  let errors: Record<string, unknown>[];
  const log: RuntimeLog = {
    info: () => {},
    warn: () => {},
    error: (_m, e) => errors.push(e ?? {}),
  };

  async function start(
    routes: Partial<GatewayRoute>[],
    options: ConstructorParameters<typeof HttpGateway>[0] = {},
  ) {
    gateway = new HttpGateway({ token: TOKEN, log, ...options });
    for (const r of routes) {
      gateway.addRoute({
        method: 'GET',
        path: '/health',
        auth: 'none',
        handler: () => ({ ok: true }),
        ...r,
      });
    }
    ({ url } = await gateway.listen(0));
  }

  beforeEach(() => {
    errors = [];
  });

  afterEach(async () => {
    await gateway?.close();
  });

  describe('Method: the 2.0 request event', () => {
    it('builds the payload format 2.0 event and a Lambda context', async () => {
      // Prepare
      let seen: { event: APIGatewayProxyEventV2; context: Context } | undefined;
      await start([
        {
          method: 'POST',
          path: '/predict',
          auth: 'jwt',
          functionName: 'cancer-mlops-dev-inference-predict',
          timeoutSeconds: 29,
          handler: (event, context) => {
            seen = { event, context };
            return { ok: true };
          },
        },
      ]);

      // Act: raw headers, since fetch would merge the repeated one itself
      const res = await rawRequest(
        `${url}/predict?model=v1&x=a%20b&model=v2`,
        'POST',
        JSON.stringify({ radius_mean: 17.99 }),
        [
          'Authorization',
          `Bearer ${TOKEN}`,
          'Content-Type',
          'application/json',
          'X-Trace',
          'one',
          'X-Trace',
          'two',
          'Cookie',
          'a=1; b=2',
          'User-Agent',
          'doctor-ui/1.0',
        ],
      );

      // Assess
      expect(res.status).toBe(200);
      const { event, context } = seen!;
      expect(event).toMatchObject({
        version: '2.0',
        routeKey: 'POST /predict',
        rawPath: '/predict',
        rawQueryString: 'model=v1&x=a%20b&model=v2',
        cookies: ['a=1', 'b=2'],
        queryStringParameters: { model: 'v1,v2', x: 'a b' },
        body: '{"radius_mean":17.99}',
        isBase64Encoded: false,
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          http: {
            method: 'POST',
            path: '/predict',
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: 'doctor-ui/1.0',
          },
          routeKey: 'POST /predict',
          stage: '$default',
        },
      });
      expect(event.headers).toMatchObject({
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        'x-trace': 'one,two',
        'user-agent': 'doctor-ui/1.0',
      });
      expect(event.headers.cookie).toBeUndefined();
      expect(event.requestContext.domainName).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(event.requestContext.requestId).toBe(res.headers['apigw-requestid']);
      expect(event.requestContext.time).toMatch(
        /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/,
      );
      expect(typeof event.requestContext.timeEpoch).toBe('number');
      expect(context.functionName).toBe('cancer-mlops-dev-inference-predict');
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
      expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(29_000);
    });

    it('leaves out body, cookies and query parameters when the request has none', async () => {
      // Prepare
      let event: APIGatewayProxyEventV2 | undefined;
      await start([{ handler: (e) => void (event = e) }]);

      // Act
      await fetch(`${url}/health`);

      // Assess
      expect(event).toMatchObject({
        routeKey: 'GET /health',
        rawQueryString: '',
        isBase64Encoded: false,
      });
      expect(event).not.toHaveProperty('body');
      expect(event).not.toHaveProperty('cookies');
      expect(event).not.toHaveProperty('queryStringParameters');
      expect(event!.requestContext).not.toHaveProperty('authorizer');
    });

    it('base64-encodes a binary body', async () => {
      // Prepare
      let event: APIGatewayProxyEventV2 | undefined;
      await start([{ method: 'POST', path: '/upload', handler: (e) => void (event = e) }]);

      // Act
      await fetch(`${url}/upload`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array([0, 255, 1]),
      });

      // Assess
      expect(event).toMatchObject({
        isBase64Encoded: true,
        body: Buffer.from([0, 255, 1]).toString('base64'),
      });
    });

    it('fills pathParameters for {param} routes', async () => {
      // Prepare
      let event: APIGatewayProxyEventV2 | undefined;
      await start([{ path: '/models/{version}', handler: (e) => void (event = e) }]);

      // Act
      const res = await fetch(`${url}/models/v%201`);
      const miss = await fetch(`${url}/models/v1/extra`);

      // Assess
      expect(res.status).toBe(200);
      expect(event).toMatchObject({
        routeKey: 'GET /models/{version}',
        pathParameters: { version: 'v 1' },
      });
      expect(miss.status).toBe(404);
    });
  });

  describe('Method: the 2.0 response mapping', () => {
    it('sends any non-structured value as 200 application/json', async () => {
      // Prepare
      await start([
        { path: '/object', handler: () => ({ probability: 0.93 }) },
        { path: '/string', handler: async () => 'Hello from Lambda!' },
      ]);

      // Act
      const object = await fetch(`${url}/object`);
      const text = await fetch(`${url}/string`);

      // Assess
      expect(object.status).toBe(200);
      expect(object.headers.get('content-type')).toBe('application/json');
      expect(await object.json()).toEqual({ probability: 0.93 });
      expect(text.status).toBe(200);
      expect(text.headers.get('content-type')).toBe('application/json');
      expect(await text.text()).toBe('Hello from Lambda!');
    });

    it('honours statusCode, headers, cookies and a base64 body', async () => {
      // Prepare
      await start([
        {
          path: '/structured',
          handler: () => ({
            statusCode: 422,
            headers: { 'Content-Type': 'application/problem+json', 'X-Count': 3 },
            cookies: ['s=1; HttpOnly', 't=2'],
            body: '{"reason":"radius_mean is missing"}',
          }),
        },
        {
          path: '/binary',
          handler: () => ({
            statusCode: 200,
            isBase64Encoded: true,
            body: Buffer.from('raw bytes').toString('base64'),
          }),
        },
      ]);

      // Act
      const structured = await fetch(`${url}/structured`);
      const binary = await fetch(`${url}/binary`);

      // Assess
      expect(structured.status).toBe(422);
      expect(structured.headers.get('content-type')).toBe('application/problem+json');
      expect(structured.headers.get('x-count')).toBe('3');
      expect(structured.headers.getSetCookie()).toEqual(['s=1; HttpOnly', 't=2']);
      expect(await structured.json()).toEqual({ reason: 'radius_mean is missing' });
      expect(await binary.text()).toBe('raw bytes');
    });
  });

  describe('Method: errors like API Gateway', () => {
    it('answers 404 with a JSON message for an unknown path or method', async () => {
      // Prepare
      await start([{}]);

      // Act
      const path = await fetch(`${url}/nope`);
      const method = await fetch(`${url}/health`, { method: 'DELETE' });

      // Assess
      expect(path.status).toBe(404);
      expect(await path.json()).toEqual({ message: 'Not Found' });
      expect(method.status).toBe(404);
    });

    it('answers 401 Unauthorized on a jwt route without the right bearer token', async () => {
      // Prepare
      let calls = 0;
      await start([
        { method: 'POST', path: '/predict', auth: 'jwt', handler: () => ({ calls: ++calls }) },
      ]);
      const post = (headers: Record<string, string>) =>
        fetch(`${url}/predict`, { method: 'POST', headers, body: '{}' });

      // Act
      const missing = await post({});
      const wrong = await post({ authorization: 'Bearer not-the-token' });
      const noScheme = await post({ authorization: TOKEN });
      const right = await post({ authorization: `bearer ${TOKEN}` });

      // Assess
      for (const res of [missing, wrong, noScheme]) {
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ message: 'Unauthorized' });
      }
      expect(right.status).toBe(200);
      expect(calls).toBe(1);
    });

    it('answers 401 on every jwt route when no token is configured', async () => {
      // Prepare
      await start([{ path: '/model', auth: 'jwt' }], { token: undefined });

      // Act
      const res = await fetch(`${url}/model`, { headers: { authorization: 'Bearer anything' } });

      // Assess
      expect(res.status).toBe(401);
    });

    it('passes the claims of a JWT-shaped token in requestContext.authorizer', async () => {
      // Prepare
      const jwt = [
        Buffer.from('{"alg":"none"}').toString('base64url'),
        Buffer.from('{"sub":"clinic-7","scope":"predict"}').toString('base64url'),
        'sig',
      ].join('.');
      let event: APIGatewayProxyEventV2 | undefined;
      await start([{ path: '/model', auth: 'jwt', handler: (e) => void (event = e) }], {
        token: jwt,
      });

      // Act
      await fetch(`${url}/model`, { headers: { authorization: `Bearer ${jwt}` } });

      // Assess
      expect((event!.requestContext as unknown as { authorizer: unknown }).authorizer).toEqual({
        jwt: { claims: { sub: 'clinic-7', scope: 'predict' }, scopes: null },
      });
    });

    it('answers 500 Internal Server Error when the handler throws, and logs why', async () => {
      // Prepare
      await start([
        {
          path: '/boom',
          handler: () => {
            throw new Error('patient 123 has no radius');
          },
        },
        { path: '/invalid', handler: () => ({ statusCode: 'teapot' }) },
      ]);

      // Act
      const res = await fetch(`${url}/boom`);
      const invalid = await fetch(`${url}/invalid`);

      // Assess
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ message: 'Internal Server Error' });
      expect(text).not.toContain('patient');
      expect(errors[0]).toMatchObject({
        routeKey: 'GET /boom',
        error: 'Error: patient 123 has no radius',
      });
      expect(invalid.status).toBe(500);
    });

    it('answers 413 for a body over the payload limit, declared or streamed', async () => {
      // Prepare
      let calls = 0;
      await start([{ method: 'POST', path: '/predict', handler: () => ({ calls: ++calls }) }], {
        maxBodyBytes: 1024,
      });
      const streamed = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(512));
          controller.close();
        },
      });

      // Act
      const declared = await fetch(`${url}/predict`, { method: 'POST', body: 'x'.repeat(1025) });
      const chunked = await fetch(`${url}/predict`, {
        method: 'POST',
        body: streamed,
        duplex: 'half',
      } as RequestInit);
      const fits = await fetch(`${url}/predict`, { method: 'POST', body: 'x'.repeat(1024) });

      // Assess
      expect(declared.status).toBe(413);
      expect(await declared.json()).toEqual({ message: 'Request Entity Too Large' });
      expect(chunked.status).toBe(413);
      expect(fits.status).toBe(200);
      expect(calls).toBe(1);
    });

    it('answers 500 when the function times out and 503 when the gateway gives up first', async () => {
      // Prepare
      const never = () => new Promise(() => {});
      await start(
        [
          { path: '/slow-lambda', timeoutSeconds: 0.05, handler: never },
          { path: '/slow-gateway', timeoutSeconds: 60, handler: never },
        ],
        { integrationTimeoutMs: 50 },
      );

      // Act
      const lambda = await fetch(`${url}/slow-lambda`);
      const gatewayTimeout = await fetch(`${url}/slow-gateway`);

      // Assess
      expect(lambda.status).toBe(500);
      expect(gatewayTimeout.status).toBe(503);
      expect(await gatewayTimeout.json()).toEqual({ message: 'Service Unavailable' });
    });
  });

  describe('Method: listen', () => {
    it('picks a free port for port 0 and refuses duplicate routes', async () => {
      // Prepare
      await start([{}]);
      const other = new HttpGateway({ log });
      other.addRoute({ method: 'GET', path: '/health', auth: 'none', handler: () => 'other' });

      // Act
      const second = await other.listen(0);
      const res = await fetch(`${second.url}/health`);
      await other.close();

      // Assess
      expect(second.url).not.toBe(url);
      expect(await res.text()).toBe('other');
      expect(() =>
        gateway.addRoute({ method: 'get', path: '/health', auth: 'none', handler: () => 1 }),
      ).toThrow(/twice/);
    });
  });
});
