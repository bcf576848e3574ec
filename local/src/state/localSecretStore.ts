import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { SecretStore } from '@cancer-mlops/shared/ports/stateStore.ts';

export const SECRETS_FILE = 'secrets.json';

/**
 * The SecretStore port on `<state>/secrets.json` (mode 0600). A secret asked for the first
 * time is generated (32 random bytes, base64) and written before it is returned, so keys
 * such as the pseudonym key stay the same across restarts: pseudonyms made yesterday still
 * match today's. A secret is generated under a lock file and written atomically (temp file
 * + rename), so a CLI command and the runtime asking at once end up with the same value.
 */
export class LocalSecretStore implements SecretStore {
  readonly file: string;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly cache = new Map<string, string>();

  constructor(stateDir: string) {
    this.file = path.join(stateDir, SECRETS_FILE);
  }

  getSecret(name: string): Promise<string> {
    if (!/^[\w./-]{1,512}$/.test(name))
      return Promise.reject(new Error(`invalid secret name: ${name}`));
    const cached = this.cache.get(name);
    if (cached !== undefined) return Promise.resolve(cached);
    // One at a time within the process: two first uses of a name must not generate twice.
    const next = this.chain.then(async () => {
      const value = await this.resolve(name);
      this.cache.set(name, value);
      return value;
    });
    this.chain = next.catch(() => {});
    return next;
  }

  private async resolve(name: string): Promise<string> {
    const existing = (await this.read())[name];
    if (existing !== undefined) return existing;
    // Generating is read-modify-write on a file another process (the CLI) may share: lock it.
    return this.locked(async () => {
      const current = await this.read();
      if (current[name] !== undefined) return current[name];
      const generated = randomBytes(32).toString('base64');
      await this.write({ ...current, [name]: generated });
      return generated;
    });
  }

  private async locked<T>(work: () => Promise<T>): Promise<T> {
    const lock = `${this.file}.lock`;
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    for (let attempt = 0; ; attempt++) {
      try {
        await (await fsp.open(lock, 'wx', 0o600)).close();
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // A lock left by a killed process is stale after a few seconds.
        const age = await fsp.stat(lock).then(
          (st) => Date.now() - st.mtimeMs,
          () => 0,
        );
        if (age > 5000) await fsp.rm(lock, { force: true });
        else if (attempt > 400) throw new Error(`${lock} is held by another process`);
        else await new Promise((r) => setTimeout(r, 10));
      }
    }
    try {
      return await work();
    } finally {
      await fsp.rm(lock, { force: true });
    }
  }

  private async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    const mode = (await fsp.stat(this.file)).mode & 0o777;
    // Someone loosened the file's permissions: secrets are for this user only.
    if (mode & 0o077) await fsp.chmod(this.file, 0o600);
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      return parsed as Record<string, string>;
    } catch (e) {
      throw new Error(
        `${this.file} is not a JSON object of secrets (${(e as Error).message}); fix or remove it`,
      );
    }
  }

  private async write(secrets: Record<string, string>): Promise<void> {
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fsp.writeFile(tmp, `${JSON.stringify(secrets, null, 2)}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
      await fsp.rename(tmp, this.file);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
}
