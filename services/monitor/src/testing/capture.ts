/**
 * Capture lines in SageMaker's data-capture format, as the /predict proxy (locally) and the
 * endpoint (on AWS) write them.
 */
export interface CaptureLineOptions {
  inferenceId?: string;
  eventId?: string;
  time?: string;
  probability?: number;
  prediction?: 'malignant' | 'benign';
  modelVersion?: string;
}

export function jsonCaptureLine(
  instances: Record<string, unknown>[],
  o: CaptureLineOptions = {},
): string {
  const p = o.probability ?? 0.5;
  return JSON.stringify({
    captureData: {
      endpointInput: {
        observedContentType: 'application/json',
        mode: 'INPUT',
        data: JSON.stringify({ instances }),
        encoding: 'JSON',
      },
      endpointOutput: {
        observedContentType: 'application/json',
        mode: 'OUTPUT',
        data: JSON.stringify({
          predictions: instances.map(() => ({
            probability_malignant: p,
            prediction: o.prediction ?? (p >= 0.5 ? 'malignant' : 'benign'),
            ...(o.modelVersion ? { model_version: o.modelVersion } : {}),
          })),
        }),
        encoding: 'JSON',
      },
    },
    eventMetadata: {
      eventId: o.eventId ?? `evt-${o.inferenceId ?? Math.random().toString(16).slice(2)}`,
      ...(o.inferenceId ? { inferenceId: o.inferenceId } : {}),
      inferenceTime: o.time ?? '2026-12-03T19:00:00Z',
    },
    eventVersion: '0',
  });
}

export function captureKey(endpoint: string, iso: string, file = 'capture.jsonl'): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `capture/${endpoint}/AllTraffic/${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCHours())}/${file}`;
}
