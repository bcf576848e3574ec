import { Readable } from 'node:stream';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { BusEvent } from '@cancer-mlops/shared/contracts/events.ts';
import type { NoteScore } from '@cancer-mlops/shared/contracts/record.ts';
import type { NoteScorer } from '@cancer-mlops/shared/ports/noteScorer.ts';
import {
  ObjectNotFoundError,
  type ObjectInfo,
  type ObjectStore,
} from '@cancer-mlops/shared/ports/objectStore.ts';
import type { DeployedModel } from '@cancer-mlops/shared/ports/sagemaker.ts';
import type { TransformJobSpec, TransformJobs } from '@cancer-mlops/shared/ports/transform.ts';

/** An object store in memory that reads streamed bodies chunk by chunk, as S3 would. */
export class MemoryObjects implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; at: Date; etag: string }>();
  /** Size of the chunks getStream hands out (small, to exercise chunk boundaries). */
  chunkBytes = 64 * 1024;
  private seq = 0;

  text(bucket: string, key: string): string | undefined {
    return this.objects.get(`${bucket}/${key}`)?.body.toString('utf8');
  }

  keys(bucket: string): string[] {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }

  async get(bucket: string, key: string) {
    return this.objects.get(`${bucket}/${key}`)?.body;
  }

  async getStream(bucket: string, key: string) {
    const o = this.objects.get(`${bucket}/${key}`);
    if (!o) throw new ObjectNotFoundError(bucket, key);
    const size = this.chunkBytes;
    return Readable.from(
      (function* () {
        for (let i = 0; i < o.body.length; i += size) yield o.body.subarray(i, i + size);
      })(),
    );
  }

  async put(bucket: string, key: string, body: string | Uint8Array | Readable) {
    let bytes: Buffer;
    if (body instanceof Readable) {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
      bytes = Buffer.concat(chunks);
    } else bytes = Buffer.from(body);
    this.objects.set(`${bucket}/${key}`, {
      body: bytes,
      at: new Date(),
      etag: `etag-${++this.seq}`,
    });
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const o = this.objects.get(`${bucket}/${key}`);
    return o ? { key, size: o.body.length, lastModified: o.at, etag: o.etag } : undefined;
  }

  async *list(bucket: string, prefix: string) {
    for (const key of this.keys(bucket))
      if (key.startsWith(prefix)) yield (await this.head(bucket, key)) as ObjectInfo;
  }

  async delete(bucket: string, key: string) {
    this.objects.delete(`${bucket}/${key}`);
  }
}

export const names = { prefix: 'cancer-mlops', stage: 'test' };
export const PACKAGE_ARN =
  'arn:aws:sagemaker:us-east-1:123456789012:model-package/cancer-prediction/7';

export const deployed = (): DeployedModel => ({
  endpoint: 'cancer-mlops-test-endpoint',
  version: 7,
  packageArn: PACKAGE_ARN,
  deployedAt: new Date('2026-01-01T00:00:00Z'),
});

export function fakeTransform(): TransformJobs & { specs: TransformJobSpec[] } {
  const specs: TransformJobSpec[] = [];
  return { specs, start: async (spec) => void specs.push(spec) };
}

/** Scores a note by its first digit (so tests choose the score), fails on "FAIL". */
export function fakeScorer(): NoteScorer & { notes: string[] } {
  const notes: string[] = [];
  return {
    id: 'fake',
    promptVersion: '1',
    notes,
    async score(note): Promise<NoteScore> {
      notes.push(note);
      if (note.includes('FAIL')) throw new Error(`scorer choked on ${note}`);
      const digit = /\d/.exec(note);
      await new Promise((r) => setTimeout(r, 1));
      return {
        malignancy_risk_score: digit ? Number(digit[0]) || 10 : 5,
        evidence: [],
        rationale: '',
        scorer_id: 'fake',
        prompt_version: '1',
      };
    },
  };
}

export function fakeEvents(): {
  publish(e: readonly BusEvent[]): Promise<void>;
  published: BusEvent[];
} {
  const published: BusEvent[] = [];
  return { published, publish: async (e) => void published.push(...e) };
}

/** WDBC's first row, and a second benign-looking one, in feature order. */
export const ROW_1 = [
  17.99, 10.38, 122.8, 1001, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871, 1.095, 0.9053, 8.589,
  153.4, 0.006399, 0.04904, 0.05373, 0.01587, 0.03003, 0.006193, 25.38, 17.33, 184.6, 2019, 0.1622,
  0.6656, 0.7119, 0.2654, 0.4601, 0.1189,
];
export const ROW_2 = [
  13.54, 14.36, 87.46, 566.3, 0.09779, 0.08129, 0.06664, 0.04781, 0.1885, 0.05766, 0.2699, 0.7886,
  2.058, 23.56, 0.008462, 0.0146, 0.02387, 0.01315, 0.0198, 0.0023, 15.11, 19.26, 99.7, 711.2,
  0.144, 0.1773, 0.239, 0.1288, 0.2977, 0.07259,
];

export const HEADER = ['record_id', ...WDBC_FEATURES, 'malignancy_risk_score'].join(',');
