import { gunzipSync } from 'node:zlib';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import { parseS3Uri } from '@cancer-mlops/shared/ports/sagemaker.ts';
import { PermanentError } from '@cancer-mlops/shared/runtime/errors.ts';
import { bucketName, logicalName, type NameContext } from '@cancer-mlops/shared/topology/names.ts';

/**
 * A training job's model folder (`/opt/ml/model`) as files by name. SageMaker uploads it as
 * `<output>/<job>/output/model.tar.gz`; the local runtime leaves it as a folder, so an
 * artifacts URI not ending in `.tar.gz` is read as a prefix.
 */
export async function readModelArtifacts(
  objects: ObjectStore,
  names: NameContext,
  uri: string,
): Promise<Map<string, Buffer>> {
  const { bucket: physical, key } = parseS3Uri(uri);
  const bucket = logicalName(names, physical);
  if (!bucket)
    throw new PermanentError(`model artifacts ${uri} are not in one of this deployment's buckets`);
  if (key.endsWith('.tar.gz')) {
    const archive = await objects.get(bucket, key);
    if (!archive) throw new PermanentError(`model artifacts not found: ${uri}`);
    return untar(gunzipSync(archive));
  }
  const prefix = key.endsWith('/') ? key : `${key}/`;
  const files = new Map<string, Buffer>();
  for await (const info of objects.list(bucket, prefix)) {
    const body = await objects.get(bucket, info.key);
    if (body) files.set(info.key.slice(prefix.length), body);
  }
  if (files.size === 0) throw new PermanentError(`model artifacts not found: ${uri} is empty`);
  return files;
}

/** s3:// URI of a key in one of this deployment's buckets. */
export const s3Uri = (names: NameContext, bucket: string, key: string) =>
  `s3://${bucketName(names, bucket)}/${key}`;

/**
 * Regular files of a POSIX tar archive (ustar, with GNU long names and PAX paths, which is
 * what SageMaker's and GNU tar's archives contain). Directories and links are skipped.
 */
export function untar(archive: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] || 0x30);
    const prefix = cString(header.subarray(345, 500));
    const name = cString(header.subarray(0, 100));
    const body = archive.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = cString(body);
      continue;
    }
    if (type === 'x') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (path) longName = path[1];
      continue;
    }
    const full = longName ?? (prefix ? `${prefix}/${name}` : name);
    longName = undefined;
    if (type !== '0' && type !== '\0' && type !== '7') continue;
    files.set(full.replace(/^\.\//, ''), Buffer.from(body));
  }
  return files;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
}

function parseOctal(b: Buffer): number {
  const text = cString(b).trim();
  return text ? parseInt(text, 8) : 0;
}

/** A minimal ustar writer, for tests and for anything that must hand SageMaker a model.tar.gz. */
export function tar(files: ReadonlyMap<string, Buffer> | Record<string, Buffer>): Buffer {
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  const parts: Buffer[] = [];
  for (const [name, body] of entries) {
    const header = Buffer.alloc(512);
    header.write(name, 0, 100, 'utf8');
    header.write('0000644\0', 100, 'ascii');
    header.write('0000000\0', 108, 'ascii');
    header.write('0000000\0', 116, 'ascii');
    header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    header.write(
      `${Math.floor(Date.now() / 1000)
        .toString(8)
        .padStart(11, '0')}\0`,
      136,
      'ascii',
    );
    header.write('        ', 148, 'ascii');
    header.write('0', 156, 'ascii');
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    parts.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
