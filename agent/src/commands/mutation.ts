import { mkdir } from 'node:fs/promises';
import type { Engine } from '../engine.js';
import { cleanupStaging } from '../releases/index.js';
import { acquireLock } from '@wofleet/shared';
import { requireState } from '../state/store.js';

/**
 * Every mutating command runs under the server lock, after leftovers of an
 * interrupted earlier command (staging dirs, half-made releases) are cleaned.
 */
export async function withServerLock<T>(
  engine: Engine,
  command: string,
  work: () => Promise<T>,
  options: { initialising?: boolean } = {},
): Promise<T> {
  // Only init may create the state dir: a command refused before init writes nothing.
  if (options.initialising) await mkdir(engine.layout.stateDir, { recursive: true, mode: 0o700 });
  else await requireState(engine.layout);
  const lock = await acquireLock(engine.layout.lockFile, command);
  try {
    const cleaned = await cleanupStaging(engine.layout);
    if (cleaned.length > 0) engine.log.info({ cleaned }, 'removed leftovers of an interrupted command');
    return await work();
  } finally {
    await lock.release();
  }
}
