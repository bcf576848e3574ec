import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { LocalState } from '../localState.ts';
import { UsageError } from './args.ts';

/**
 * Copies a file into a bucket through the object store, so the runtime (now, or at its next
 * start) raises the same S3 event an upload would. Works whether or not a runtime is running.
 */
export async function putFile(
  state: LocalState,
  file: string,
  bucket: string,
  prefix: string,
): Promise<string> {
  const source = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new UsageError(`no such file: ${file}`);
  }
  if (!stat.isFile()) throw new UsageError(`not a file: ${file}`);
  const key = `${prefix}${path.basename(source)}`;
  await state.objects.put(bucket, key, fs.createReadStream(source));
  return key;
}

export async function copyStream(from: string, to: string): Promise<void> {
  await pipeline(fs.createReadStream(from), fs.createWriteStream(to));
}
