import { StateError } from '@wofleet/shared';
import type { Engine } from '../engine.js';
import { EVENT_TYPE } from '../events/types.js';
import { type ReleaseInfo, readRelease, requireCurrentRelease, resolveReleaseRef } from '../releases/index.js';
import { listSharedSites, type SharedSite } from '../sites/inventory.js';
import { type AgentState, requireState, type UpdateRecord, writeState } from '../state/store.js';
import { type Recipe, recipeEvents, runRecipe } from '../steps/recipe.js';
import { type RestoreDbContext, restoreDbStep } from '../steps/restore-db.js';
import { rollbackStep } from '../steps/rollback.js';
import { verifyServingStep } from '../steps/verify-serving.js';
import { withServerLock } from './mutation.js';

export interface RollbackOptions {
  to?: string;
  restoreDb?: boolean;
}

export interface RollbackResult {
  from: { id: string; version: string; dbVersion: number };
  to: { id: string; version: string; dbVersion: number };
  restoredDbs: string[];
  warnings: string[];
}

interface RollbackContext extends RestoreDbContext {
  engine: Engine;
  state: AgentState;
  from: ReleaseInfo;
  to: ReleaseInfo;
  sites: SharedSite[];
}

/** rollback = switch back, restore the DBs across a schema change, check every site serves the previous core. */
export const rollbackRecipe: Recipe<RollbackContext> = {
  steps: [rollbackStep<RollbackContext>(), restoreDbStep, verifyServingStep('check every site serves the previous core')],
  failed: {
    name: 'forget-rollback',
    description: 'drop the pending rollback: its steps were undone',
    async run({ engine, state }) {
      delete state.pendingRollback;
      await writeState(engine.layout, state);
    },
  },
  succeeded: [
    {
      name: 'record-rollback',
      description: 'record the rollback and announce it',
      async run({ engine, state, from, to, record, restored }) {
        delete state.pendingRollback;
        state.previous = from.id;
        if (record) {
          record.outcome = 'rolled-back';
          record.finishedAt = engine.now().toISOString();
        }
        await writeState(engine.layout, state);
        await engine.events.emit(EVENT_TYPE.rolledBack, { from: from.id, to: to.id, version: to.version, restoredDbs: restored });
      },
    },
  ],
};

/**
 * Switch back to the previous (or a named) release. Rolling files back across a
 * DB schema change is not a supported downgrade (DESIGN §5.4): that needs
 * --restore-db, which restores the snapshots the update took.
 */
export async function rollbackCommand(engine: Engine, options: RollbackOptions): Promise<RollbackResult> {
  return withServerLock(engine, `rollback${options.to ? ` --to ${options.to}` : ''}`, async () => {
    const state = await requireState(engine.layout);
    const pending = state.pendingRollback;
    let from: ReleaseInfo;
    let to: ReleaseInfo;
    let restoreDb = options.restoreDb === true;
    if (pending) {
      // A rollback was cut short after its switch: finish that one before anything else.
      from = await readRelease(engine.layout, pending.from);
      to = await readRelease(engine.layout, pending.to);
      if (options.to && (await resolveReleaseRef(engine.layout, options.to)).id !== to.id) {
        throw new StateError(`an interrupted rollback to ${to.id} must be finished first: run 'rollback' again without --to`);
      }
      restoreDb = pending.restoreDb;
      engine.progress(`resuming the interrupted rollback ${from.id} -> ${to.id}`);
    } else {
      from = await requireCurrentRelease(engine);
      const target = options.to ?? state.previous;
      if (!target) throw new StateError('no previous release recorded: name one with --to RELEASE');
      to = options.to ? await resolveReleaseRef(engine.layout, options.to) : await readRelease(engine.layout, target);
      if (to.id === from.id) throw new StateError(`already running ${to.id}`);
    }
    const sites = await listSharedSites(engine);
    const warnings: string[] = [];
    const record = to.dbVersion === from.dbVersion ? undefined : snapshotsToRestore(state, from, to, sites, restoreDb);
    if (record) {
      warnings.push(`DB of ${sites.length} site(s) restored to the snapshots taken at ${record.startedAt}: every write since then is lost`);
    }
    if (!pending) {
      state.pendingRollback = { from: from.id, to: to.id, restoreDb, record: record?.id, startedAt: engine.now().toISOString() };
      await writeState(engine.layout, state);
    }
    const ctx: RollbackContext = { engine, state, from, to, sites, record, restored: [] };
    await runRecipe(ctx, rollbackRecipe, recipeEvents(engine, 'rollback'));
    const summary = (r: ReleaseInfo) => ({ id: r.id, version: r.version, dbVersion: r.dbVersion });
    return { from: summary(from), to: summary(to), restoredDbs: ctx.restored, warnings };
  });
}

/**
 * Across a schema change, the update record whose DB snapshots the rollback
 * restores: only with --restore-db, and only when every site has one.
 * Snapshots of an update cut short are as good as those of one that finished.
 */
function snapshotsToRestore(
  state: AgentState,
  from: ReleaseInfo,
  to: ReleaseInfo,
  sites: readonly SharedSite[],
  restoreDb: boolean,
): UpdateRecord {
  const record = [...state.updates]
    .reverse()
    .find((u) => u.from === to.id && u.to === from.id && u.outcome !== 'reverted' && u.outcome !== 'rolled-back');
  const when = record ? ` taken at ${record.startedAt}` : '';
  if (!restoreDb) {
    throw new StateError(
      `rollback ${from.version} -> ${to.version} crosses a DB schema change (${from.dbVersion} -> ${to.dbVersion}); ` +
        `rerun with --restore-db to restore the DB snapshots${when} (writes since then are lost)`,
    );
  }
  if (!record) throw new StateError(`no DB snapshots recorded for an update ${to.id} -> ${from.id}: cannot restore`);
  const missing = sites.map((s) => s.domain).filter((d) => !record.snapshots.some((s) => s.domain === d));
  if (missing.length > 0)
    throw new StateError(`no DB snapshot for ${missing.join(', ')} (added after the update): cannot roll back safely`);
  return record;
}
