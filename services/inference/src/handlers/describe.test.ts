import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiGatewayV2Request, lambdaContext } from '@cancer-mlops/shared/testing/factories.ts';
import { topology } from '../../topology.ts';
import type { DescribeDeps } from '../describe.ts';
import { createHandler } from './describe.ts';
import { fakeEndpoints, fakeRegistry, PACKAGE_ARN } from '../../test/predictFakes.ts';

async function get(
  deps: DescribeDeps,
  path: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const handler = createHandler(async () => deps);
  const res = (await handler(
    apiGatewayV2Request({ method: 'GET', path }),
    lambdaContext(),
  )) as APIGatewayProxyStructuredResultV2;
  return {
    status: res.statusCode as number,
    json: JSON.parse(res.body as string) as Record<string, unknown>,
  };
}

describe('Handler: inference.describe', () => {
  describe('Route: GET /health', () => {
    it('200: says whether a model serves', async () => {
      const up = await get({ endpoints: fakeEndpoints(), registry: fakeRegistry() }, '/health');
      const none = await get(
        { endpoints: fakeEndpoints({ current: null }), registry: fakeRegistry() },
        '/health',
      );
      expect(up).toEqual({ status: 200, json: { status: 'ok', model_deployed: true } });
      expect(none).toEqual({ status: 200, json: { status: 'ok', model_deployed: false } });
    });
  });

  describe('Route: GET /model', () => {
    it('200: the deployed version, package, threshold, metrics and when it was deployed', async () => {
      // Act
      const { status, json } = await get(
        { endpoints: fakeEndpoints(), registry: fakeRegistry() },
        '/model',
      );
      // Assess
      expect(status).toBe(200);
      expect(json).toEqual({
        version: 4,
        package_arn: PACKAGE_ARN,
        endpoint: 'cancer-mlops-test-endpoint',
        deployed_at: '2026-01-02T03:04:05.000Z',
        threshold: 0.35,
        metrics: { roc_auc: 0.991, sensitivity: 0.976, threshold: 0.35 },
        approval_status: 'Approved',
        approval_description: 'policy: roc_auc 0.991 >= 0.97',
        lineage: {
          dataset_id: 'ds-1',
          training_job: 'cancer-mlops-test-train-1',
          code_version: 'abc123',
        },
      });
    });

    it('503: no model deployed, with a reason', async () => {
      const { status, json } = await get(
        { endpoints: fakeEndpoints({ current: null }), registry: fakeRegistry() },
        '/model',
      );
      expect(status).toBe(503);
      expect(json.reason).toBe('no-model-deployed');
    });

    it('401: the route sits behind the JWT authorizer, /health does not', () => {
      const fn = topology({ prefix: 'cancer-mlops', stage: 'test' }).functions.find(
        (f) => f.name === 'describe',
      );
      expect(fn?.triggers).toEqual([
        { type: 'http', method: 'GET', path: '/health', auth: 'none' },
        { type: 'http', method: 'GET', path: '/model', auth: 'jwt' },
      ]);
    });
  });

  it('404: a route this function does not serve', async () => {
    const { status } = await get(
      { endpoints: fakeEndpoints(), registry: fakeRegistry() },
      '/models',
    );
    expect(status).toBe(404);
  });
});
