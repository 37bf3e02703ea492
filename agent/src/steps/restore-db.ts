import { restoreSiteDb } from '../db/snapshot.js';
import type { Engine } from '../engine.js';
import type { UpdateRecord } from '../state/store.js';
import type { Step } from './runner.js';

/**
 * restore-db: put back the DB snapshots the rolled-back update took, for the
 * sites still on the shared core. Only a rollback across a schema change has a
 * record to restore; without one the step does nothing.
 */
export const RESTORE_DB = { name: 'restore-db', description: 'restore the DB snapshots taken by the update' } as const;

export interface RestoreDbContext {
  engine: Engine;
  sites: readonly { domain: string }[];
  record?: UpdateRecord;
  /** Sites whose DB was restored, in order. */
  restored: string[];
}

export const restoreDbStep: Step<RestoreDbContext> = {
  ...RESTORE_DB,
  async run(ctx) {
    for (const snapshot of ctx.record?.snapshots ?? []) {
      if (!ctx.sites.some((s) => s.domain === snapshot.domain)) continue;
      ctx.engine.progress(`${snapshot.domain}: restoring DB snapshot`);
      await restoreSiteDb(ctx.engine, snapshot);
      ctx.restored.push(snapshot.domain);
    }
  },
};
