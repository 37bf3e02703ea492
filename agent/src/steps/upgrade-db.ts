import { readDbVersion, restoreSiteDb, snapshotSiteDb } from '../db/snapshot.js';
import { upgradeSiteDb } from '../db/upgrade.js';
import type { Engine } from '../engine.js';
import { type AgentState, type DbSnapshot, type UpdateRecord, writeState } from '../state/store.js';
import type { Step } from './runner.js';

/** upgrade-db: snapshot, then upgrade, the DB of every site the canary step left to do; undo restores the snapshots. */
export const UPGRADE_DB = { name: 'upgrade-db', description: 'snapshot and upgrade each site DB' } as const;

export interface UpgradeDbContext {
  engine: Engine;
  state: AgentState;
  to: { dbVersion: number };
  sites: readonly { domain: string }[];
  canary?: string;
  record: UpdateRecord;
  /** Snapshots of sites whose DB this update upgraded, in order. */
  upgraded: DbSnapshot[];
}

/**
 * Snapshot and upgrade one site's DB when it is behind the new core. Reads the
 * site's real db_version instead of assuming the old core's: after an interrupted
 * update some DBs may already be upgraded, or behind while the cores agree.
 */
export async function upgradeIfBehind(ctx: UpgradeDbContext, domain: string): Promise<void> {
  const current = await readDbVersion(ctx.engine, domain);
  if (current >= ctx.to.dbVersion) return;
  ctx.engine.progress(`${domain}: DB ${current} -> ${ctx.to.dbVersion}`);
  const snapshot = await snapshotSiteDb(ctx.engine, ctx.record.id, domain, current);
  ctx.record.snapshots.push(snapshot);
  await writeState(ctx.engine.layout, ctx.state);
  ctx.upgraded.push(snapshot);
  await upgradeSiteDb(ctx.engine, domain, ctx.to.dbVersion);
}

/** Restore, newest first, the snapshots this update took of the given sites. */
export async function restoreUpgraded(ctx: UpgradeDbContext, domains: readonly string[]): Promise<void> {
  for (const snapshot of ctx.upgraded.filter((s) => domains.includes(s.domain)).reverse()) {
    await restoreSiteDb(ctx.engine, snapshot);
  }
  ctx.upgraded = ctx.upgraded.filter((s) => !domains.includes(s.domain));
}

/** Every site but the canary, which the canary step upgraded already. */
const others = (ctx: UpgradeDbContext) => ctx.sites.map((s) => s.domain).filter((d) => d !== ctx.canary);

export const upgradeDbStep: Step<UpgradeDbContext> = {
  ...UPGRADE_DB,
  async run(ctx) {
    for (const domain of others(ctx)) await upgradeIfBehind(ctx, domain);
  },
  async undo(ctx) {
    await restoreUpgraded(ctx, others(ctx));
  },
};
