import type { Platform } from '../runtime/platform.ts';

/** Builds every AWS adapter from the environment; filled in as the adapters land. */
export async function awsPlatformFromEnv(): Promise<Platform> {
  throw new Error('AWS platform not wired yet');
}
