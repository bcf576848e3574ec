import { createLambdaContext } from './context.ts';

describe('Function: createLambdaContext', () => {
  it('fills the fields Lambda sets, named after the function', () => {
    // Act
    const ctx = createLambdaContext({
      functionName: 'cancer-mlops-dev-inference-predict',
      timeoutSeconds: 29,
      memoryMb: 1024,
      region: 'eu-west-1',
      accountId: '111122223333',
      now: () => Date.parse('2026-03-01T10:00:00Z'),
    });

    // Assess
    expect(ctx).toMatchObject({
      callbackWaitsForEmptyEventLoop: true,
      functionName: 'cancer-mlops-dev-inference-predict',
      functionVersion: '$LATEST',
      invokedFunctionArn:
        'arn:aws:lambda:eu-west-1:111122223333:function:cancer-mlops-dev-inference-predict',
      memoryLimitInMB: '1024',
      logGroupName: '/aws/lambda/cancer-mlops-dev-inference-predict',
    });
    expect(ctx.awsRequestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(ctx.logStreamName).toMatch(/^2026\/03\/01\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(() => {
      ctx.done();
      ctx.fail('x');
      ctx.succeed('x');
    }).not.toThrow();
  });

  it('counts the remaining time down from the function timeout to zero', () => {
    // Prepare
    let clock = 1_000_000;
    const ctx = createLambdaContext({ functionName: 'f', timeoutSeconds: 30, now: () => clock });

    // Act
    const atStart = ctx.getRemainingTimeInMillis();
    clock += 12_345;
    const later = ctx.getRemainingTimeInMillis();
    clock += 60_000;
    const after = ctx.getRemainingTimeInMillis();

    // Assess
    expect(atStart).toBe(30_000);
    expect(later).toBe(17_655);
    expect(after).toBe(0);
  });

  it('gives every invocation its own request id', () => {
    // Act
    const a = createLambdaContext({ functionName: 'f', timeoutSeconds: 1 });
    const b = createLambdaContext({ functionName: 'f', timeoutSeconds: 1 });

    // Assess
    expect(a.awsRequestId).not.toBe(b.awsRequestId);
  });
});
