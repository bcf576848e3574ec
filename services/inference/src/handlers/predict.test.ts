import { MemoryMetrics } from '@cancer-mlops/shared/testing/memoryMetrics.ts';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { modelFeatureNames } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import {
  InvalidScorerAnswerError,
  RetryableScorerError,
} from '@cancer-mlops/shared/ports/noteScorer.ts';
import { ModelInvocationError, NoEndpointError } from '@cancer-mlops/shared/ports/sagemaker.ts';
import { setLogSink, type LogEntry } from '@cancer-mlops/shared/runtime/logger.ts';
import { apiGatewayV2Request, lambdaContext } from '@cancer-mlops/shared/testing/factories.ts';
import { topology } from '../../topology.ts';
import type { PredictDeps } from '../predict.ts';
import { createHandler } from './predict.ts';
import {
  deployedModel,
  fakeEndpoints,
  fakeRegistry,
  fakeScorer,
  measurements,
  PACKAGE_ARN,
} from '../../test/predictFakes.ts';

const NOTE = 'Invasive ductal carcinoma, grade 3, of patient Jane Roe (MRN 12345).';

async function post(
  partial: PredictDeps,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const deps: PredictDeps = { registry: fakeRegistry(), ...partial };
  const handler = createHandler(async () => deps);
  const res = (await handler(
    apiGatewayV2Request({ method: 'POST', path: '/predict', body }),
    lambdaContext(),
  )) as APIGatewayProxyStructuredResultV2;
  return {
    status: res.statusCode as number,
    json: JSON.parse(res.body as string) as Record<string, unknown>,
  };
}

describe('Handler: inference.predict', () => {
  const logs: LogEntry[] = [];
  beforeEach(() => setLogSink((e) => logs.push(e)));
  afterEach(() => {
    setLogSink(undefined);
    logs.length = 0;
  });

  it('200: answers with class, calibrated probability, threshold, model, provided score and top contributions', async () => {
    // Prepare
    const endpoints = fakeEndpoints({ probability: 0.93, threshold: 0.35 });
    const body = { record_id: 'r-1', ...measurements(), malignancy_risk_score: 7 };
    // Act
    const { status, json } = await post({ endpoints, scorer: fakeScorer() }, body);
    // Assess
    expect(status).toBe(200);
    expect(json).toMatchObject({
      record_id: 'r-1',
      prediction: 'malignant',
      probability_malignant: 0.93,
      threshold: 0.35,
      model: { version: 4, package_arn: PACKAGE_ARN },
      risk_score: { value: 7, source: 'provided', evidence: [] },
    });
    expect(json.inference_id).toMatch(/^[0-9a-f-]{36}$/);
    const top = json.top_contributions as {
      feature: string;
      value: number;
      contribution: number;
    }[];
    expect(top).toHaveLength(5);
    expect(top[0]).toEqual({ feature: 'malignancy_risk_score', value: 7, contribution: 0.031 });
    expect(top.map((c) => Math.abs(c.contribution))).toEqual([0.031, 0.03, 0.029, 0.028, 0.027]);
  });

  it('200: takes the threshold from the model answer when it states one, else from the registry, once', async () => {
    // Prepare
    let lookups = 0;
    const registry = fakeRegistry();
    const counting = { get: async (arn: string | number) => (lookups++, registry.get(arn)) };
    const handler = createHandler(async () => ({
      endpoints: fakeEndpoints({ threshold: 0.35 }),
      scorer: fakeScorer(),
      registry: counting,
    }));
    const stated = await post(
      { endpoints: fakeEndpoints({ threshold: 0.2, statesThreshold: true }), scorer: fakeScorer() },
      { ...measurements(), malignancy_risk_score: 7 },
    );
    // Act
    for (let i = 0; i < 3; i++) {
      await handler(
        apiGatewayV2Request({
          method: 'POST',
          path: '/predict',
          body: { ...measurements(), malignancy_risk_score: 7 },
        }),
        lambdaContext(),
      );
    }
    // Assess
    expect(stated.json.threshold).toBe(0.2);
    expect(lookups).toBe(1);
  });

  it('200: invokes the model with only the model features, in model order, with the inference id kept', async () => {
    // Prepare
    const endpoints = fakeEndpoints();
    // Act
    const { json } = await post(
      { endpoints, scorer: fakeScorer(9) },
      { patient_id: 'MRN-12345', ...measurements(), pathology_note: NOTE },
    );
    // Assess
    expect(endpoints.calls).toHaveLength(1);
    const call = endpoints.calls[0];
    expect(call.contentType).toBe('application/json');
    expect(call.accept).toBe('application/json');
    expect(call.options).toEqual({ inferenceId: json.inference_id, explain: true });
    const sent = JSON.parse(call.body) as { instances: Record<string, number>[] };
    expect(Object.keys(sent.instances[0])).toEqual(modelFeatureNames());
    expect(sent.instances[0].malignancy_risk_score).toBe(9);
    expect(call.body).not.toContain('MRN');
    expect(call.body).not.toContain('carcinoma');
  });

  it('200: scores a note through the scorer port and reports source and evidence', async () => {
    // Prepare
    const scorer = fakeScorer(8);
    // Act
    const { status, json } = await post(
      { endpoints: fakeEndpoints(), scorer },
      { ...measurements(), pathology_note: NOTE },
    );
    // Assess
    expect(status).toBe(200);
    expect(scorer.notes).toEqual([NOTE]);
    expect(json.risk_score).toEqual({
      value: 8,
      source: 'note',
      scorer: 'fake-scorer',
      evidence: [{ quote: 'invasive ductal carcinoma', start: 0, end: 25, weight: 3 }],
    });
  });

  it('200: accepts scikit-learn and spaced spellings of the measurements', async () => {
    // Prepare
    const body: Record<string, number> = { ...measurements(), malignancy_risk_score: 2 };
    delete body.radius_mean;
    delete body.texture_se;
    body['mean radius'] = 17.99;
    body['Texture (SE)'] = 0.9053;
    // Act
    const { status, json } = await post(
      { endpoints: fakeEndpoints({ probability: 0.1 }), scorer: fakeScorer() },
      body,
    );
    // Assess
    expect(status).toBe(200);
    expect(json.prediction).toBe('benign');
  });

  it('400: lists every bad field at once, without echoing values', async () => {
    // Prepare
    const body: Record<string, unknown> = { ...measurements(), malignancy_risk_score: 11 };
    body.radius_mean = -3;
    body.texture_mean = 'Jane Roe';
    delete body.area_worst;
    body.radius_meen = 12;
    // Act
    const { status, json } = await post({ endpoints: fakeEndpoints(), scorer: fakeScorer() }, body);
    // Assess
    expect(status).toBe(400);
    expect(json.message).toBe('invalid request: 5 field(s) rejected');
    expect(json.errors).toEqual([
      { field: 'radius_mean', reason: 'out of the physically possible range 0 to 200' },
      { field: 'texture_mean', reason: 'not a number' },
      { field: 'area_worst', reason: 'missing' },
      { field: 'malignancy_risk_score', reason: 'not an integer from 1 to 10' },
      { field: 'radius_meen', reason: 'unknown field' },
    ]);
    expect(JSON.stringify(json)).not.toContain('Jane');
  });

  it('400: refuses a note and a score together, and neither', async () => {
    const both = await post(
      { endpoints: fakeEndpoints(), scorer: fakeScorer() },
      { ...measurements(), malignancy_risk_score: 3, pathology_note: NOTE },
    );
    const neither = await post(
      { endpoints: fakeEndpoints(), scorer: fakeScorer() },
      measurements(),
    );
    expect(both.status).toBe(400);
    expect(both.json.errors).toEqual([
      {
        field: 'malignancy_risk_score',
        reason: 'send either a pathology_note or a malignancy_risk_score, not both',
      },
    ]);
    expect(neither.status).toBe(400);
    expect(neither.json.errors).toEqual([
      {
        field: 'malignancy_risk_score',
        reason: 'needs a pathology_note or a malignancy_risk_score',
      },
    ]);
  });

  it('400: a note that is not UTF-8 text, before any scorer call', async () => {
    // Prepare: what a Latin-1 "nécrose élevée" becomes when the body is read as UTF-8.
    const scorer = fakeScorer();
    const body = JSON.stringify({
      ...measurements(),
      pathology_note: 'n\uFFFDcrose \uFFFDlev\uFFFDe',
    });
    // Act
    const res = await post({ endpoints: fakeEndpoints(), scorer }, body);
    // Assess
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([
      {
        field: 'pathology_note',
        reason:
          'not UTF-8 text (a byte read as \uFFFD): send the request body as UTF-8 (Content-Type: application/json; charset=utf-8)',
      },
    ]);
    expect(scorer.notes).toEqual([]);
    expect(JSON.stringify(res.json)).not.toContain('crose');
  });

  it('400: a body that is not a JSON object', async () => {
    const notJson = await post(
      { endpoints: fakeEndpoints(), scorer: fakeScorer() },
      '{"radius_mean": 1',
    );
    const array = await post({ endpoints: fakeEndpoints(), scorer: fakeScorer() }, [
      measurements(),
    ]);
    const empty = await post({ endpoints: fakeEndpoints(), scorer: fakeScorer() }, '');
    expect([notJson.status, array.status, empty.status]).toEqual([400, 400, 400]);
    expect(notJson.json.message).toBe('request body is not valid JSON');
  });

  it('413: refuses a body over 1 MB before parsing it', async () => {
    // Prepare
    const endpoints = fakeEndpoints();
    const body = { ...measurements(), pathology_note: 'x'.repeat(1_048_577) };
    // Act
    const { status, json } = await post({ endpoints, scorer: fakeScorer() }, body);
    // Assess
    expect(status).toBe(413);
    expect(json.message).toMatch(/the limit is 1048576/);
    expect(endpoints.calls).toHaveLength(0);
  });

  it('401: the route sits behind the JWT authorizer (the gateway refuses before the handler runs)', () => {
    const fn = topology({ prefix: 'cancer-mlops', stage: 'test' }).functions.find(
      (f) => f.name === 'predict',
    );
    expect(fn?.triggers).toEqual([{ type: 'http', method: 'POST', path: '/predict', auth: 'jwt' }]);
  });

  it('503: no model deployed, with a reason, and no scorer call spent', async () => {
    // Prepare
    const scorer = fakeScorer();
    // Act
    const { status, json } = await post(
      { endpoints: fakeEndpoints({ current: null }), scorer },
      { ...measurements(), pathology_note: NOTE },
    );
    // Assess
    expect(status).toBe(503);
    expect(json).toEqual({
      message: expect.stringMatching(/^no model is deployed/),
      reason: 'no-model-deployed',
    });
    expect(scorer.notes).toHaveLength(0);
  });

  it('503: the endpoint disappeared between lookup and invocation', async () => {
    const endpoints = fakeEndpoints({
      current: deployedModel(),
      fail: new NoEndpointError('gone'),
    });
    let lookups = 0;
    const current = endpoints.current.bind(endpoints);
    endpoints.current = async () => (++lookups === 1 ? current() : null);
    const { status, json } = await post(
      { endpoints, scorer: fakeScorer() },
      { ...measurements(), malignancy_risk_score: 5 },
    );
    expect(status).toBe(503);
    expect(json.reason).toBe('no-model-deployed');
  });

  it("503: the deployed model's server is down for a moment (restarting), with a retry hint", async () => {
    const endpoints = fakeEndpoints({
      current: deployedModel(),
      fail: new NoEndpointError('endpoint (v2) is not running'),
    });
    const { status, json } = await post(
      { endpoints, scorer: fakeScorer() },
      { ...measurements(), malignancy_risk_score: 5 },
    );
    expect(status).toBe(503);
    expect(json).toEqual({
      message: expect.stringMatching(/not answering right now .*retry/),
      reason: 'endpoint-unavailable',
    });
  });

  it('503: a model server that hangs answers a retryable 503 in time, not a gateway timeout', async () => {
    // Prepare: the model server froze (kill -STOP): the invocation never settles.
    const endpoints = fakeEndpoints();
    endpoints.invoke = () => new Promise(() => undefined);
    const handler = createHandler(async () => ({ endpoints, scorer: fakeScorer() }), {
      invokeTimeoutMs: 50,
    });
    // Act
    const res = (await handler(
      apiGatewayV2Request({
        method: 'POST',
        path: '/predict',
        body: { ...measurements(), malignancy_risk_score: 5 },
      }),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    // Assess
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body as string)).toEqual({
      message: 'the deployed model did not answer within 0.05 s; retry in a few seconds',
      reason: 'endpoint-unavailable',
    });
  });

  it('503 / 502: scorer unavailable, or no valid score from it', async () => {
    const body = { ...measurements(), pathology_note: NOTE };
    const down = await post(
      { endpoints: fakeEndpoints(), scorer: fakeScorer(5, new RetryableScorerError('throttled')) },
      body,
    );
    const junk = await post(
      {
        endpoints: fakeEndpoints(),
        scorer: fakeScorer(5, new InvalidScorerAnswerError('no json')),
      },
      body,
    );
    expect([down.status, down.json.reason]).toEqual([503, 'scorer-unavailable']);
    expect([junk.status, junk.json.reason]).toEqual([502, 'scorer-invalid-answer']);
  });

  it('502: the model container failed, and nothing of the request is logged', async () => {
    // Prepare
    const endpoints = fakeEndpoints({ fail: new ModelInvocationError(500, 'boom') });
    // Act
    const { status, json } = await post(
      { endpoints, scorer: fakeScorer() },
      { ...measurements(), pathology_note: NOTE },
    );
    // Assess
    expect(status).toBe(502);
    expect(json).toEqual({
      message: 'the model could not score this request',
      reason: 'model-error',
      model_status: 500,
    });
    expect(JSON.stringify(logs)).not.toContain('carcinoma');
  });

  it('500: an unexpected failure answers without its message and logs no note text', async () => {
    // Prepare
    const scorer = fakeScorer(5, new TypeError(`cannot read the note "${NOTE}"`));
    // Act
    const { status, json } = await post(
      { endpoints: fakeEndpoints(), scorer },
      { ...measurements(), pathology_note: NOTE },
    );
    // Assess
    expect(status).toBe(500);
    expect(json.message).toBe('internal error');
    expect(logs.map((l) => l.message)).toEqual(['request failed']);
    expect(JSON.stringify(logs)).not.toContain('carcinoma');
  });

  it('counts answers by class and refusals by status', async () => {
    // Prepare
    const metrics = new MemoryMetrics();
    const deps = { endpoints: fakeEndpoints({ probability: 0.93, threshold: 0.35 }), metrics };
    const handler = createHandler(async () => ({ ...deps, scorer: fakeScorer() }));
    const send = (body: unknown) =>
      handler(apiGatewayV2Request({ method: 'POST', path: '/predict', body }), lambdaContext());
    // Act
    await send({ ...measurements(), malignancy_risk_score: 7 });
    await send({ ...measurements(), malignancy_risk_score: 7 });
    await send({ ...measurements(), malignancy_risk_score: 70 });
    await handler(
      apiGatewayV2Request({ method: 'POST', path: '/predict', body: '{"radius_mean": 1' }),
      lambdaContext(),
    );
    // Assess
    expect(metrics.counts).toEqual({
      'Predictions{prediction=malignant}': 2,
      'PredictionErrors{status=400}': 2,
    });
  });
});
