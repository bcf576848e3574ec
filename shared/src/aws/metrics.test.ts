import { jest } from '@jest/globals';
import { buildPowertoolsMetrics } from './metrics.ts';

describe('Adapter: buildPowertoolsMetrics', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
    jest.restoreAllMocks();
  });

  it('sums counts and writes one EMF document per dimension set at flush', async () => {
    // Prepare
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    const lines: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = buildPowertoolsMetrics({ namespace: 'cancer-mlops/test', service: 'ingest' });
    // Act
    metrics.count('RowsAccepted', 2);
    metrics.count('RowsAccepted', 3);
    metrics.count('RowsQuarantined', 1, { reason: 'missing' });
    await metrics.flush();
    jest.restoreAllMocks();
    // Assess
    const docs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs).toHaveLength(2);
    expect(docs[0]).toMatchObject({ service: 'ingest', RowsAccepted: 5 });
    expect(docs[1]).toMatchObject({ service: 'ingest', reason: 'missing', RowsQuarantined: 1 });
    const aws = docs[0]._aws as { CloudWatchMetrics: { Namespace: string }[] };
    expect(aws.CloudWatchMetrics[0].Namespace).toBe('cancer-mlops/test');
  });

  it('writes nothing when nothing was counted', async () => {
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await buildPowertoolsMetrics({ namespace: 'n', service: 's' }).flush();
    expect(spy).not.toHaveBeenCalled();
  });
});
