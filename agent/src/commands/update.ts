import { describeError, isWordPressVersion, StateError, UsageError, type Digest } from '@wofleet/shared';
import { linkedRelease, pointCoreLink, pointSiteAt } from '../layout/links.js';
import { runSteps, type Step } from '../steps/runner.js';
import { dropSnapshotCopy, readDbVersion, restoreSiteDb, snapshotSiteDb } from '../db/snapshot.js';
import { upgradeSiteDb } from '../db/upgrade.js';
import type { Engine } from '../engine.js';
import { waitUntilServing } from '../health/serving.js';
import { pruneReleases, readRelease, stageRelease, type ReleaseInfo } from '../releases/index.js';
import { listSharedSites, type SharedSite } from '../sites/inventory.js';
import { killPoint } from '../state/killpoints.js';
import { MAX_UPDATE_RECORDS, requireState, writeState, type AgentState, type DbSnapshot, type UpdateRecord } from '../state/store.js';
import { withServerLock } from './mutation.js';
import { EVENT_TYPE } from '../events/types.js';
import { requireCurrentRelease } from './current.js';

export interface UpdateOptions {
  release: string;
  digest?: Digest;
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

interface UpdateContext {
  engine: Engine;
  options: ActivateOptions;
  state: AgentState;
  from: ReleaseInfo;
  to: ReleaseInfo;
  sites: SharedSite[];
  canary?: string;
  record: UpdateRecord;
  previousBefore?: string;
  /** Snapshots of sites whose DB this update upgraded, in order. */
  upgraded: DbSnapshot[];
}

const others = (ctx: UpdateContext) => ctx.sites.map((s) => s.domain).filter((d) => d !== ctx.canary);

/**
 * Snapshot and upgrade one site's DB when it is behind the new core. Reads the
 * site's real db_version instead of assuming the old core's: after an interrupted
 * update some DBs may already be upgraded, or behind while the cores agree.
 */
async function upgradeIfBehind(ctx: UpdateContext, domain: string): Promise<void> {
  const current = await readDbVersion(ctx.engine, domain);
  if (current >= ctx.to.dbVersion) return;
  ctx.engine.progress(`${domain}: DB ${current} -> ${ctx.to.dbVersion}`);
  const snapshot = await snapshotSiteDb(ctx.engine, ctx.record.id, domain, current);
  ctx.record.snapshots.push(snapshot);
  await writeState(ctx.engine.layout, ctx.state);
  ctx.upgraded.push(snapshot);
  await upgradeSiteDb(ctx.engine, domain, ctx.to.dbVersion);
}

async function restoreUpgraded(ctx: UpdateContext, domains: readonly string[]): Promise<void> {
  for (const snapshot of ctx.upgraded.filter((s) => domains.includes(s.domain)).reverse()) {
    await restoreSiteDb(ctx.engine, snapshot);
  }
  ctx.upgraded = ctx.upgraded.filter((s) => !domains.includes(s.domain));
}

/**
 * update = canary check on the new core, atomic switch, per-site DB upgrade,
 * verification that every site serves the new core. Any failure undoes the
 * completed steps newest first (DESIGN §5).
 */
export const updateSteps: Step<UpdateContext>[] = [
  {
    name: 'canary',
    description: 'switch the canary site to the new core and check it',
    async run(ctx) {
      if (ctx.options.force || !ctx.canary) return;
      const { engine } = ctx;
      const site = ctx.sites.find((s) => s.domain === ctx.canary) as SharedSite;
      if (site.link !== 'canary') await pointSiteAt(engine.layout, site.paths, 'canary');
      await pointCoreLink(engine.layout, 'canary', ctx.to.id);
      await engine.fpm.resetAll();
      await upgradeIfBehind(ctx, site.domain);
      await waitUntilServing(engine, [site.domain], { wpVersion: ctx.to.version, dbVersion: ctx.to.dbVersion });
    },
    async undo(ctx) {
      if (ctx.options.force || !ctx.canary) return;
      await pointCoreLink(ctx.engine.layout, 'canary', ctx.from.id);
      await ctx.engine.fpm.resetAll();
      await restoreUpgraded(ctx, [ctx.canary]);
      await waitUntilServing(ctx.engine, [ctx.canary], { wpVersion: ctx.from.version, dbVersion: ctx.from.dbVersion });
    },
  },
  {
    name: 'switch',
    description: 'switch current to the new core',
    async run(ctx) {
      const { engine, state } = ctx;
      ctx.previousBefore = state.previous;
      state.previous = ctx.from.id;
      await writeState(engine.layout, state);
      killPoint('switch:before-rename');
      await pointCoreLink(engine.layout, 'current', ctx.to.id);
      killPoint('switch:after-rename');
      await pointCoreLink(engine.layout, 'canary', ctx.to.id);
      await engine.fpm.resetAll();
    },
    async undo(ctx) {
      const { engine, state } = ctx;
      await pointCoreLink(engine.layout, 'current', ctx.from.id);
      await pointCoreLink(engine.layout, 'canary', ctx.from.id);
      state.previous = ctx.previousBefore;
      await writeState(engine.layout, state);
      await engine.fpm.resetAll();
    },
  },
  {
    name: 'upgrade-db',
    description: 'snapshot and upgrade each site DB',
    async run(ctx) {
      for (const domain of others(ctx)) await upgradeIfBehind(ctx, domain);
    },
    async undo(ctx) {
      await restoreUpgraded(ctx, others(ctx));
    },
  },
  {
    name: 'verify',
    description: 'check every site serves the new core',
    async run(ctx) {
      await waitUntilServing(
        ctx.engine,
        ctx.sites.map((s) => s.domain),
        { wpVersion: ctx.to.version, dbVersion: ctx.to.dbVersion },
      );
    },
  },
];

export interface StageOptions {
  release: string;
  digest?: Digest;
}

/** Stage (verify, extract, dedupe against current) without switching anything. */
async function stageForUpdate(engine: Engine, options: StageOptions): Promise<ReleaseInfo> {
  const from = await requireCurrentRelease(engine);
  engine.progress(`staging ${options.release}`);
  const staged = await stageRelease(
    { config: engine.config, layout: engine.layout, log: engine.log, run: engine.run },
    {
      source: options.release,
      digest: options.digest,
      expectVersion: isWordPressVersion(options.release) ? options.release : undefined,
      dedupeAgainst: from.path,
      onProgress: engine.progress,
    },
  );
  if (!staged.reused)
    await engine.events.emit(EVENT_TYPE.staged, { release: staged.id, version: staged.version, newBytes: staged.newBytes });
  return staged;
}

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
  const canary = options.force ? undefined : chooseCanary(options.canary, state, sites);
  if (canary && state.canarySite !== canary) {
    state.canarySite = canary;
    await writeState(engine.layout, state);
  }
  const record: UpdateRecord =
    interrupted?.to === to.id
      ? interrupted
      : {
          id: `u${engine.now().toISOString().replace(/[-:.]/g, '')}`,
          from: from.id,
          to: to.id,
          fromDbVersion: from.dbVersion,
          toDbVersion: to.dbVersion,
          startedAt: engine.now().toISOString(),
          outcome: 'running',
          snapshots: [],
        };
  if (record !== interrupted) {
    state.updates.push(record);
    state.updates = state.updates.slice(-MAX_UPDATE_RECORDS);
    await writeState(engine.layout, state);
  }
  // Snapshots a cut-short run already took belong to this update: a revert restores them too.
  const ctx: UpdateContext = { engine, options, state, from, to, sites, canary, record, upgraded: [...record.snapshots] };
  try {
    await runSteps(ctx, updateSteps, (e) => {
      if (e.kind === 'start') engine.progress(e.description);
      if (e.kind === 'undo') engine.progress(`reverting: ${e.step}`);
    });
  } catch (err) {
    record.outcome = 'reverted';
    record.finishedAt = engine.now().toISOString();
    await writeState(engine.layout, state);
    throw err;
  }
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
  const pruned = await pruneAfterUpdate(engine, state);
  return {
    from: summary(from),
    to: summary(to),
    changed: true,
    canary,
    sites: sites.length,
    dbUpgraded: record.snapshots.map((s) => s.domain),
    pruned,
  };
}

/** update = stage + activate under one lock. */
export async function updateCommand(engine: Engine, options: UpdateOptions): Promise<UpdateResult> {
  return withServerLock(engine, `update --release ${options.release}`, async () => {
    await requireState(engine.layout);
    const to = await stageForUpdate(engine, options);
    return activate(engine, to, options);
  });
}

export async function stageCommand(engine: Engine, options: StageOptions): Promise<ReleaseInfo> {
  return withServerLock(engine, `stage ${options.release}`, async () => {
    await requireState(engine.layout);
    return stageForUpdate(engine, options);
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
 * Their dumps stay on disk.
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

function chooseCanary(requested: string | undefined, state: AgentState, sites: SharedSite[]): string | undefined {
  const names = sites.map((s) => s.domain);
  if (requested !== undefined) {
    if (!names.includes(requested)) {
      throw new UsageError(`--canary ${requested} is not a shared-core site on this server (sites: ${names.join(', ') || 'none'})`);
    }
    return requested;
  }
  if (state.canarySite && names.includes(state.canarySite)) return state.canarySite;
  return names[0];
}

async function pruneAfterUpdate(engine: Engine, state: AgentState): Promise<string[]> {
  try {
    const protect = [await linkedRelease(engine.layout, 'current'), await linkedRelease(engine.layout, 'canary'), state.previous].filter(
      (id): id is string => id !== undefined,
    );
    const result = await pruneReleases(engine.layout, { keep: engine.config.keepReleases, protect });
    return result.removed;
  } catch (err) {
    engine.log.warn({ err: describeError(err) }, 'pruning old releases failed');
    return [];
  }
}
