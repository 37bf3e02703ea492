import { StateError } from '@wofleet/shared';
import { linkedRelease } from '../layout/links.js';
import type { Engine } from '../engine.js';
import { readRelease, type ReleaseInfo } from './catalog.js';

/** The release `current` points at; a missing or broken link is a damaged layout. */
export async function requireCurrentRelease(engine: Engine): Promise<ReleaseInfo> {
  const id = await linkedRelease(engine.layout, 'current');
  if (!id) throw new StateError(`shared core has no current release: run 'wofleet-agent init' first`);
  return readRelease(engine.layout, id).catch((err: unknown) => {
    throw new StateError(`current points at ${id}, which is not a complete release; run 'init --force'`, { cause: err });
  });
}
