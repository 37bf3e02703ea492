import { and, asc, desc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import { StateError } from '@wofleet/shared';
import { violatedUniqueConstraint } from '../db/constraint-violation.js';
import { recordAuditEvent, type Database } from '../db/index.js';
import { campaigns, campaignTargets, campaignWaves } from '../db/schema/campaigns.js';
import {
  CAMPAIGN_STATE,
  TARGET_STATE,
  WAVE_STATE,
  isActiveCampaignState,
  type CampaignEvent,
  type CampaignPlan,
  type CampaignState,
  type CampaignView,
  type TargetState,
  type WaveState,
} from './model.js';

/**
 * Every query on the campaign tables. Each state change goes through one of the
 * `write*` functions, which also append the audit row (in the caller's transaction)
 * and return the CampaignEvent to publish once that transaction has committed.
 */

export type CampaignRow = typeof campaigns.$inferSelect;
export type WaveRow = typeof campaignWaves.$inferSelect;
export type TargetRow = typeof campaignTargets.$inferSelect;

/** A campaign with its waves and targets, as read in one go. */
export interface CampaignRecord {
  campaign: CampaignRow;
  waves: WaveRow[];
  targets: TargetRow[];
}

/** The audit kinds of campaign transitions. */
export const CAMPAIGN_AUDIT_KIND = { campaign: 'campaign.state', wave: 'campaign.wave', target: 'campaign.target' } as const;

const ACTIVE_STATES: CampaignState[] = Object.values(CAMPAIGN_STATE).filter(isActiveCampaignState);

/** A server of the campaign is already held by another active campaign (the partial unique index said so). */
export class ServerInActiveCampaignError extends StateError {}

/** Records a planned campaign as running, every target pending and active, every wave pending. */
export async function insertCampaign(
  db: Database,
  plan: CampaignPlan,
  createdBy: string,
  now: Date,
): Promise<{ id: string; event: CampaignEvent }> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(campaigns)
        .values({ state: CAMPAIGN_STATE.running, releaseVersion: plan.release.version, plan, createdBy, createdAt: now, updatedAt: now })
        .returning({ id: campaigns.id });
      if (!row) throw new Error('insert into campaigns returned no row');
      await tx.insert(campaignWaves).values(plan.waves.map((w) => ({ campaignId: row.id, index: w.index, state: WAVE_STATE.pending })));
      await tx.insert(campaignTargets).values(
        plan.waves.flatMap((w) =>
          w.servers.map((server) => ({
            campaignId: row.id,
            server,
            wave: w.index,
            state: TARGET_STATE.pending,
            active: true,
            updatedAt: now,
          })),
        ),
      );
      const event = await writeCampaignAudit(
        tx,
        { campaignId: row.id, scope: 'campaign', state: CAMPAIGN_STATE.running, reason: `started: ${plan.release.version}` },
        createdBy,
        now,
      );
      return { id: row.id, event };
    });
  } catch (err) {
    if (violatedUniqueConstraint(err) === 'campaign_targets_one_active_campaign') {
      throw new ServerInActiveCampaignError('a server of this campaign has just been taken by another active campaign: plan again', {
        cause: err,
      });
    }
    throw err;
  }
}

/** Active campaigns holding any of `servers`. */
export async function findActiveCampaignsOf(
  db: Database,
  servers: readonly string[],
): Promise<Array<{ server: string; campaignId: string }>> {
  if (servers.length === 0) return [];
  return db
    .select({ server: campaignTargets.server, campaignId: campaignTargets.campaignId })
    .from(campaignTargets)
    .where(and(eq(campaignTargets.active, true), inArray(campaignTargets.server, [...servers])))
    .orderBy(asc(campaignTargets.server));
}

export async function loadCampaign(db: Database, id: string): Promise<CampaignRecord | undefined> {
  const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, id));
  if (!campaign) return undefined;
  const waves = await db.select().from(campaignWaves).where(eq(campaignWaves.campaignId, id)).orderBy(asc(campaignWaves.index));
  const targets = await db
    .select()
    .from(campaignTargets)
    .where(eq(campaignTargets.campaignId, id))
    .orderBy(asc(campaignTargets.wave), asc(campaignTargets.server));
  return { campaign, waves, targets };
}

/** Just the campaign's state (what a step polls to notice an abort). */
export async function readCampaignState(db: Database, id: string): Promise<CampaignState | undefined> {
  const [row] = await db.select({ state: campaigns.state }).from(campaigns).where(eq(campaigns.id, id));
  return row?.state;
}

/** What a write under the campaign's lock decides on: its state and who holds its lease. */
export type CampaignLock = Pick<CampaignRow, 'state' | 'leaseHolder' | 'leaseToken'>;

/**
 * Locks the campaign row for the rest of the transaction and returns its state and
 * lease (not the plan: every transition of every target takes this lock, and the plan
 * of a large campaign is tens of kilobytes of JSON).
 */
export async function lockCampaign(tx: Database, id: string): Promise<CampaignLock | undefined> {
  const [row] = await tx
    .select({ state: campaigns.state, leaseHolder: campaigns.leaseHolder, leaseToken: campaigns.leaseToken })
    .from(campaigns)
    .where(eq(campaigns.id, id))
    .for('update');
  return row;
}

/** Campaign ids, newest first; `active`: only those that can still change servers. */
export async function listCampaignIds(db: Database, filter: { active?: boolean }): Promise<string[]> {
  const rows = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(
      filter.active === undefined
        ? undefined
        : filter.active
          ? inArray(campaigns.state, ACTIVE_STATES)
          : notInArray(campaigns.state, ACTIVE_STATES),
    )
    .orderBy(desc(campaigns.createdAt), asc(campaigns.id));
  return rows.map((r) => r.id);
}

export interface CampaignChange {
  state: CampaignState;
  reason: string | null;
}

/**
 * Moves the campaign to `change.state`. On leaving the active states its targets stop
 * holding their servers; on entering one again (rollback of a finished campaign) they
 * hold them again, which the unique index refuses when another campaign took one.
 */
export async function writeCampaignState(
  tx: Database,
  id: string,
  change: CampaignChange,
  actor: string,
  now: Date,
): Promise<CampaignEvent> {
  const active = isActiveCampaignState(change.state);
  await tx
    .update(campaigns)
    .set({ state: change.state, reason: change.reason, updatedAt: now, finishedAt: active ? null : now })
    .where(eq(campaigns.id, id));
  try {
    await tx.update(campaignTargets).set({ active }).where(eq(campaignTargets.campaignId, id));
  } catch (err) {
    if (violatedUniqueConstraint(err) === 'campaign_targets_one_active_campaign') {
      throw new ServerInActiveCampaignError(`a server of campaign ${id} is now in another active campaign`, { cause: err });
    }
    throw err;
  }
  return writeCampaignAudit(tx, { campaignId: id, scope: 'campaign', state: change.state, reason: change.reason ?? undefined }, actor, now);
}

export async function writeWaveState(
  tx: Database,
  campaignId: string,
  index: number,
  state: WaveState,
  actor: string,
  now: Date,
): Promise<CampaignEvent> {
  await tx
    .update(campaignWaves)
    .set({
      state,
      ...(state === WAVE_STATE.running ? { startedAt: now } : {}),
      ...(state !== WAVE_STATE.running && state !== WAVE_STATE.pending ? { finishedAt: now } : {}),
    })
    .where(and(eq(campaignWaves.campaignId, campaignId), eq(campaignWaves.index, index)));
  return writeCampaignAudit(tx, { campaignId, scope: 'wave', state, wave: index }, actor, now);
}

/** Target columns a transition may set besides its state. */
export type TargetPatch = Partial<
  Pick<
    TargetRow,
    | 'switched'
    | 'failedAt'
    | 'operationId'
    | 'fromRelease'
    | 'fromVersion'
    | 'fromDbVersion'
    | 'toRelease'
    | 'toDbVersion'
    | 'verifyingSince'
    | 'reason'
  >
>;

export async function writeTargetState(
  tx: Database,
  target: { campaignId: string; server: string; wave: number },
  state: TargetState,
  patch: TargetPatch,
  actor: string,
  now: Date,
): Promise<CampaignEvent> {
  await tx
    .update(campaignTargets)
    .set({ ...patch, state, updatedAt: now })
    .where(and(eq(campaignTargets.campaignId, target.campaignId), eq(campaignTargets.server, target.server)));
  return writeCampaignAudit(
    tx,
    { campaignId: target.campaignId, scope: 'target', state, wave: target.wave, server: target.server, reason: patch.reason ?? undefined },
    actor,
    now,
  );
}

async function writeCampaignAudit(tx: Database, event: Omit<CampaignEvent, 'at'>, actor: string, now: Date): Promise<CampaignEvent> {
  const full: CampaignEvent = { ...event, at: now.toISOString() };
  await recordAuditEvent(tx, {
    at: now,
    actor,
    kind: CAMPAIGN_AUDIT_KIND[event.scope],
    subject: event.server ?? event.campaignId,
    data: { ...full },
  });
  return full;
}

// ---------------------------------------------------------------- lease

/**
 * Takes (`start`) or renews the lease on a campaign for `holder`, for `leaseMs` from
 * the database's clock (one clock for every controller). A free or expired lease is
 * taken with the next fencing token; one held by another live holder is not. Taking
 * one's own lease again also moves to the next token: a controller restarted under
 * the same name resumes at once, and whatever its previous process still had going
 * is fenced off. Returns the token, or undefined when someone else holds it.
 */
export async function acquireLease(
  db: Database,
  id: string,
  holder: string,
  leaseMs: number,
  mode: 'start' | 'renew',
): Promise<number | undefined> {
  const renewing = mode === 'renew';
  const [row] = await db
    .update(campaigns)
    .set({
      leaseToken: sql`case when ${campaigns.leaseHolder} = ${holder} and ${renewing} then ${campaigns.leaseToken} else ${campaigns.leaseToken} + 1 end`,
      leaseHolder: holder,
      leaseExpiresAt: sql`now() + ${`${leaseMs} milliseconds`}::interval`,
    })
    .where(
      and(
        eq(campaigns.id, id),
        sql`(${campaigns.leaseHolder} is null or ${campaigns.leaseHolder} = ${holder} or ${campaigns.leaseExpiresAt} < now())`,
      ),
    )
    .returning({ token: campaigns.leaseToken });
  return row?.token;
}

/** Gives the lease up (on stop), so another controller need not wait for it to expire. */
export async function releaseLease(db: Database, id: string, holder: string, token: number): Promise<void> {
  await db
    .update(campaigns)
    .set({ leaseHolder: null, leaseExpiresAt: null })
    .where(and(eq(campaigns.id, id), eq(campaigns.leaseHolder, holder), eq(campaigns.leaseToken, token)));
}

// ---------------------------------------------------------------- view

export function toCampaignView(record: CampaignRecord): CampaignView {
  const { campaign } = record;
  return {
    id: campaign.id,
    state: campaign.state,
    plan: campaign.plan,
    createdBy: campaign.createdBy,
    createdAt: campaign.createdAt,
    updatedAt: campaign.updatedAt,
    finishedAt: campaign.finishedAt,
    reason: campaign.reason,
    waves: record.waves.map((w) => ({ index: w.index, state: w.state, startedAt: w.startedAt, finishedAt: w.finishedAt })),
    targets: record.targets.map((t) => ({
      server: t.server,
      wave: t.wave,
      state: t.state,
      fromRelease: t.fromRelease,
      fromVersion: t.fromVersion,
      reason: t.reason,
      updatedAt: t.updatedAt,
    })),
  };
}
