import { StateError } from '@wofleet/shared';
import { pointCoreLink } from '../layout/links.js';
import { runSteps, type Step } from '../steps/runner.js';
import { restoreSiteDb } from '../db/snapshot.js';
import type { Engine } from '../engine.js';
import { waitUntilServing } from '../health/serving.js';
import { readRelease, resolveReleaseRef, type ReleaseInfo } from '../releases/index.js';
import { listSharedSites, type SharedSite } from '../sites/inventory.js';
import { killPoint } from '../state/killpoints.js';
import { requireState, writeState, type AgentState, type UpdateRecord } from '../state/store.js';
import { requireCurrentRelease } from './current.js';
import { withServerLock } from './mutation.js';
import { EVENT_TYPE } from '../events/types.js';

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

interface RollbackContext {
  engine: Engine;
  state: AgentState;
  from: ReleaseInfo;
  to: ReleaseInfo;
  sites: SharedSite[];
  record?: UpdateRecord;
  restored: string[];
}

export const rollbackSteps: Step<RollbackContext>[] = [
  {
    name: 'switch',
    description: 'switch current back',
    async run({ engine, to }) {
      await pointCoreLink(engine.layout, 'canary', to.id);
      await pointCoreLink(engine.layout, 'current', to.id);
      killPoint('rollback:after-switch');
      await engine.fpm.resetAll();
    },
    async undo({ engine, from }) {
      await pointCoreLink(engine.layout, 'current', from.id);
      await pointCoreLink(engine.layout, 'canary', from.id);
      await engine.fpm.resetAll();
    },
  },
  {
    name: 'restore-db',
    description: 'restore the DB snapshots taken by the update',
    async run(ctx) {
      for (const snapshot of ctx.record?.snapshots ?? []) {
        if (!ctx.sites.some((s) => s.domain === snapshot.domain)) continue;
        ctx.engine.progress(`${snapshot.domain}: restoring DB snapshot`);
        await restoreSiteDb(ctx.engine, snapshot);
        ctx.restored.push(snapshot.domain);
      }
    },
  },
  {
    name: 'verify',
    description: 'check every site serves the previous core',
    async run({ engine, to, sites }) {
      await waitUntilServing(
        engine,
        sites.map((s) => s.domain),
        { wpVersion: to.version, dbVersion: to.dbVersion },
      );
    },
  },
];

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
    let record: UpdateRecord | undefined;
    if (to.dbVersion !== from.dbVersion) {
      // Snapshots of an update cut short are as good as those of one that finished.
      record = [...state.updates]
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
      const covered = record.snapshots;
      const missing = sites.map((s) => s.domain).filter((d) => !covered.some((s) => s.domain === d));
      if (missing.length > 0)
        throw new StateError(`no DB snapshot for ${missing.join(', ')} (added after the update): cannot roll back safely`);
      warnings.push(`DB of ${sites.length} site(s) restored to the snapshots taken at ${record.startedAt}: every write since then is lost`);
    }
    if (!pending) {
      state.pendingRollback = { from: from.id, to: to.id, restoreDb, record: record?.id, startedAt: engine.now().toISOString() };
      await writeState(engine.layout, state);
    }
    const ctx: RollbackContext = { engine, state, from, to, sites, record, restored: [] };
    try {
      await runSteps(ctx, rollbackSteps, (e) => {
        if (e.kind === 'start') engine.progress(e.description);
        if (e.kind === 'undo') engine.progress(`reverting: ${e.step}`);
      });
    } catch (err) {
      delete state.pendingRollback;
      await writeState(engine.layout, state);
      throw err;
    }
    delete state.pendingRollback;
    state.previous = from.id;
    if (record) {
      record.outcome = 'rolled-back';
      record.finishedAt = engine.now().toISOString();
    }
    await writeState(engine.layout, state);
    await engine.events.emit(EVENT_TYPE.rolledBack, { from: from.id, to: to.id, version: to.version, restoredDbs: ctx.restored });
    const summary = (r: ReleaseInfo) => ({ id: r.id, version: r.version, dbVersion: r.dbVersion });
    return { from: summary(from), to: summary(to), restoredDbs: ctx.restored, warnings };
  });
}
