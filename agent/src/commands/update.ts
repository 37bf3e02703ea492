import { type Digest, describeError, StateError } from '@wofleet/shared';
import { dropSnapshotCopy } from '../db/snapshot.js';
import { pruneSnapshotsQuietly } from '../db/snapshot-retention.js';
import type { Engine } from '../engine.js';
import { EVENT_TYPE } from '../events/types.js';
import { type ReleaseInfo, readRelease, requireCurrentRelease } from '../releases/index.js';
import { listSharedSites, type SharedSite } from '../sites/inventory.js';
import { type AgentState, MAX_UPDATE_RECORDS, requireState, type UpdateRecord, writeState } from '../state/store.js';
import { type CanaryContext, canaryStep } from '../steps/canary.js';
import { type PruneContext, pruneStep } from '../steps/prune.js';
import { type Recipe, recipeEvents, runRecipe } from '../steps/recipe.js';
import { type StageOptions, stage } from '../steps/stage.js';
import { releaseSwitchStep } from '../steps/switch.js';
import { upgradeDbStep } from '../steps/upgrade-db.js';
import { verifyServingStep } from '../steps/verify-serving.js';
import { chooseCanary } from './canary-site.js';
import { withServerLock } from './mutation.js';

export type { StageOptions } from '../steps/stage.js';

export interface UpdateOptions {
  release: string;
  digest?: Digest;
  /** A site's domain, or "auto" (commands/canary-site.ts); unset: the configured canary site, else "auto". */
  canary?: string;
  force?: boolean;
}

export interface UpdateResult {
  from: { id: string; version: string; dbVersion: number };
  to: { id: string; version: string; dbVersion: number };
  changed: boolean;
  canary?: string;
  sites: number;
  dbUpgraded: string[];
  pruned: string[];
}

interface UpdateContext extends CanaryContext, PruneContext {
  options: ActivateOptions;
  from: ReleaseInfo;
  to: ReleaseInfo;
  sites: SharedSite[];
  previousBefore?: string;
}

/** update's switch records the release it leaves as `previous` first: a crash after the switch still knows the way back. */
const recordPrevious = {
  async before(ctx: UpdateContext) {
    ctx.previousBefore = ctx.state.previous;
    ctx.state.previous = ctx.from.id;
    await writeState(ctx.engine.layout, ctx.state);
  },
  async undo(ctx: UpdateContext) {
    ctx.state.previous = ctx.previousBefore;
    await writeState(ctx.engine.layout, ctx.state);
  },
};

/**
 * update = canary check on the new core, atomic switch, per-site DB upgrade,
 * verification that every site serves the new core. Any failure undoes the
 * completed steps newest first (DESIGN §5), then marks the update reverted.
 */
export const updateRecipe: Recipe<UpdateContext> = {
  steps: [
    canaryStep,
    releaseSwitchStep<UpdateContext>({
      description: 'switch current to the new core',
      killPoints: { before: 'switch:before-rename', between: 'switch:after-rename' },
      record: recordPrevious,
    }),
    upgradeDbStep,
    verifyServingStep('check every site serves the new core'),
  ],
  failed: {
    name: 'mark-reverted',
    description: 'record the update as reverted',
    async run({ engine, state, record }) {
      record.outcome = 'reverted';
      record.finishedAt = engine.now().toISOString();
      await writeState(engine.layout, state);
    },
  },
  succeeded: [
    {
      name: 'record-success',
      description: 'record the update, drop older snapshot copies, announce the switch',
      async run({ engine, state, record, from, to, sites, canary }) {
        record.outcome = 'succeeded';
        record.finishedAt = engine.now().toISOString();
        await dropOlderSnapshotCopies(engine, state, record);
        await writeState(engine.layout, state);
        await engine.events.emit(EVENT_TYPE.switched, { from: from.id, to: to.id, version: to.version, sites: sites.length, canary });
        if (record.snapshots.length > 0) {
          await engine.events.emit(EVENT_TYPE.dbUpgraded, {
            from: from.dbVersion,
            to: to.dbVersion,
            sites: record.snapshots.map((s) => s.domain),
          });
        }
      },
    },
    pruneStep,
  ],
};

export interface ActivateOptions {
  canary?: string;
  force?: boolean;
}

/** The switch part of an update, for a release already staged (the controller pre-stages). */
async function activate(engine: Engine, to: ReleaseInfo, options: ActivateOptions): Promise<UpdateResult> {
  const state = await requireState(engine.layout);
  let from = await requireCurrentRelease(engine);
  const summary = (r: ReleaseInfo) => ({ id: r.id, version: r.version, dbVersion: r.dbVersion });
  const sites = await listSharedSites(engine);
  // Under the lock, a record still 'running' was cut short by a crash.
  const last = state.updates.at(-1);
  const interrupted = last?.outcome === 'running' ? last : undefined;
  if (interrupted && interrupted.to === to.id) {
    engine.progress(`resuming the interrupted update ${interrupted.from} -> ${interrupted.to}`);
    from = await readRelease(engine.layout, interrupted.from);
  } else {
    if (interrupted) {
      interrupted.outcome = 'interrupted';
      interrupted.finishedAt = engine.now().toISOString();
      await writeState(engine.layout, state);
    }
    if (to.id === from.id) {
      return { from: summary(from), to: summary(to), changed: false, sites: sites.length, dbUpgraded: [], pruned: [] };
    }
  }
  if (to.dbVersion < from.dbVersion) {
    throw new StateError(
      `${to.id} has an older DB schema (${to.dbVersion}) than the current core (${from.dbVersion}): use rollback --restore-db to go back`,
    );
  }
  const canary = options.force ? undefined : await chooseCanary(engine, options.canary, sites);
  if (canary && state.canarySite !== canary) {
    state.canarySite = canary;
    await writeState(engine.layout, state);
  }
  const record = interrupted?.to === to.id ? interrupted : await startRecord(engine, state, from, to);
  // Snapshots a cut-short run already took belong to this update: a revert restores them too.
  const ctx: UpdateContext = { engine, options, state, from, to, sites, canary, record, upgraded: [...record.snapshots], pruned: [] };
  await runRecipe(ctx, updateRecipe, recipeEvents(engine, 'update'));
  return {
    from: summary(from),
    to: summary(to),
    changed: true,
    canary,
    sites: sites.length,
    dbUpgraded: record.snapshots.map((s) => s.domain),
    pruned: ctx.pruned,
  };
}

/** A new update record, 'running' until the recipe ends; only the last MAX_UPDATE_RECORDS are kept, with their dumps. */
async function startRecord(engine: Engine, state: AgentState, from: ReleaseInfo, to: ReleaseInfo): Promise<UpdateRecord> {
  const record: UpdateRecord = {
    id: `u${engine.now().toISOString().replace(/[-:.]/g, '')}`,
    from: from.id,
    to: to.id,
    fromDbVersion: from.dbVersion,
    toDbVersion: to.dbVersion,
    startedAt: engine.now().toISOString(),
    outcome: 'running',
    snapshots: [],
  };
  state.updates.push(record);
  state.updates = state.updates.slice(-MAX_UPDATE_RECORDS);
  await writeState(engine.layout, state);
  await pruneSnapshotsQuietly(engine, state);
  return record;
}

/** update = stage + activate under one lock. */
export async function updateCommand(engine: Engine, options: UpdateOptions): Promise<UpdateResult> {
  return withServerLock(engine, `update --release ${options.release}`, async () => {
    await requireState(engine.layout);
    const to = await stage(engine, options);
    return activate(engine, to, options);
  });
}

export async function stageCommand(engine: Engine, options: StageOptions): Promise<ReleaseInfo> {
  return withServerLock(engine, `stage ${options.release}`, async () => {
    await requireState(engine.layout);
    return stage(engine, options);
  });
}

export async function activateCommand(engine: Engine, releaseId: string, options: ActivateOptions): Promise<UpdateResult> {
  return withServerLock(engine, `activate ${releaseId}`, async () =>
    activate(engine, await readRelease(engine.layout, releaseId), options),
  );
}

/**
 * Only the latest update can be rolled back with --restore-db across its schema
 * change; the in-DB table copies of older ones would only grow the site DBs.
 * Their dumps stay on disk while their records do.
 */
async function dropOlderSnapshotCopies(engine: Engine, state: AgentState, latest: UpdateRecord): Promise<void> {
  for (const record of state.updates) {
    if (record === latest) continue;
    for (const snapshot of record.snapshots) {
      if (!snapshot.copy) continue;
      try {
        await dropSnapshotCopy(engine, snapshot);
        delete snapshot.copy;
        delete snapshot.tables;
      } catch (err) {
        engine.log.warn({ domain: snapshot.domain, err: describeError(err) }, 'could not drop an old snapshot copy');
      }
    }
  }
}
