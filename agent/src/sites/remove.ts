import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { StateError } from '@wofleet/shared';
import { linkedRelease } from '../layout/links.js';
import { reassertSharedOwnership } from '../layout/ownership.js';
import type { Engine } from '../engine.js';
import { isCompleteRelease } from '../releases/index.js';
import { readState, writeState } from '../state/store.js';
import { removeBackups } from './backup.js';
import { requireSharedSite } from './inventory.js';

export interface RemoveResult {
  domain: string;
  sharedCoreIntact: boolean;
}

/**
 * `wo site delete --no-prompt` unlinks the site's symlinks without following them,
 * so the shared core survives; we check that it did rather than trust it.
 */
export async function removeSite(engine: Engine, domain: string): Promise<RemoveResult> {
  const site = await requireSharedSite(engine, domain);
  engine.progress(`${domain}: wo site delete`);
  await engine.wo.deleteSite(domain);
  await reassertSharedOwnership(engine.layout);
  if (
    await lstat(site.paths.root).then(
      () => true,
      () => false,
    )
  ) {
    throw new StateError(`wo site delete ${domain} left ${site.paths.root} behind`);
  }
  await assertSharedCoreIntact(engine);
  await removeBackups(engine.layout, domain);
  const state = await readState(engine.layout);
  if (state?.canarySite === domain) {
    delete state.canarySite;
    await writeState(engine.layout, state);
  }
  return { domain, sharedCoreIntact: true };
}

export async function assertSharedCoreIntact(engine: Engine): Promise<void> {
  for (const link of ['current', 'canary'] as const) {
    const id = await linkedRelease(engine.layout, link);
    if (!id || !(await isCompleteRelease(path.join(engine.layout.releasesDir, id)))) {
      throw new StateError(`shared core damaged: ${link} -> ${id ?? '(missing)'} is not a complete release`);
    }
  }
}
