import { apiGatewayV2Request, lambdaContext } from '../testing/factories.ts';
import { HttpError, httpHandler } from './httpHandler.ts';

describe('Function: httpHandler', () => {
  const echo = httpHandler({ service: 'test', maxBodyBytes: 100 }, async (req) => {
    const body = req.json() as { fail?: string };
    if (body.fail === 'http') throw new HttpError(422, 'cannot do that', { field: 'fail' });
    if (body.fail === 'crash') throw new Error('secret internal detail');
    return { statusCode: 201, body: { ok: true } };
  });

  it('answers JSON with the status the handler chose', async () => {
    // Act
    const res = await echo(
      apiGatewayV2Request({ method: 'POST', path: '/x', body: '{}' }),
      lambdaContext(),
    );

    // Assess
    expect(res).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
    });
  });

  it.each([
    ['a body over the limit', 'x'.repeat(101), 413, /limit is 100/],
    ['invalid JSON', '{nope', 400, /not valid JSON/],
    ['an empty body', '', 400, /empty/],
    ['an HttpError', '{"fail":"http"}', 422, /cannot do that/],
  ])('turns %s into a JSON error with a reason', async (_name, body, status, reason) => {
    // Act
    const res = await echo(
      apiGatewayV2Request({ method: 'POST', path: '/x', body }),
      lambdaContext(),
    );

    // Assess
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body as string).message).toMatch(reason);
  });

  it('hides the message of an unexpected error behind a 500', async () => {
    // Act
    const res = await echo(
      apiGatewayV2Request({ method: 'POST', path: '/x', body: '{"fail":"crash"}' }),
      lambdaContext(),
    );

    // Assess
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/secret/);
  });
});
