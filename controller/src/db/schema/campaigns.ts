import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Rollout campaigns (campaigns/model.ts has the state machines). The engine keeps no
 * progress in memory: these rows are the campaign, and a restarted controller resumes
 * from them. The state lists are the CHECK constraints' own (the schema does not import
 * the engine; db/campaigns/ maps these rows to the engine's types, and a unit test keeps
 * both lists equal). The plan is the engine's JSON, stored as given.
 */
export const CAMPAIGN_STATES = [
  'running',
  'paused',
  'awaiting-promotion',
  'succeeded',
  'failed',
  'aborting',
  'aborted',
  'rolling-back',
  'rolled-back',
] as const;
export const WAVE_STATES = ['pending', 'running', 'succeeded', 'failed', 'skipped'] as const;
export const TARGET_STATES = [
  'pending',
  'staging',
  'staged',
  'switching',
  'verifying',
  'succeeded',
  'failed',
  'rolling-back',
  'rolled-back',
  'rollback-failed',
  'skipped',
] as const;
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const campaigns = pgTable(
  'campaigns',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    state: text('state').$type<(typeof CAMPAIGN_STATES)[number]>().notNull(),
    releaseVersion: text('release_version').notNull(),
    /** The plan as `start` computed it (request, release, canary, waves): never recomputed. */
    plan: jsonb('plan').$type<unknown>().notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    finishedAt: ts('finished_at'),
    reason: text('reason'),
    /**
     * Lease: the controller driving the campaign. `lease_token` grows by one at every
     * change of holder and is the fencing token every engine write checks.
     */
    leaseHolder: text('lease_holder'),
    leaseToken: bigint('lease_token', { mode: 'number' }).notNull().default(0),
    leaseExpiresAt: ts('lease_expires_at'),
  },
  (t) => [
    check(
      'campaigns_state_check',
      sql`${t.state} in ('running', 'paused', 'awaiting-promotion', 'succeeded', 'failed', 'aborting', 'aborted', 'rolling-back', 'rolled-back')`,
    ),
    check(
      'campaigns_finished_check',
      sql`(${t.finishedAt} is null) = (${t.state} in ('running', 'paused', 'awaiting-promotion', 'aborting', 'rolling-back'))`,
    ),
    index('campaigns_state_idx').on(t.state),
  ],
);

export const campaignWaves = pgTable(
  'campaign_waves',
  {
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    index: integer('index').notNull(),
    state: text('state').$type<(typeof WAVE_STATES)[number]>().notNull(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    primaryKey({ name: 'campaign_waves_pk', columns: [t.campaignId, t.index] }),
    check('campaign_waves_state_check', sql`${t.state} in ('pending', 'running', 'succeeded', 'failed', 'skipped')`),
    check('campaign_waves_index_check', sql`${t.index} >= 0`),
  ],
);

export const campaignTargets = pgTable(
  'campaign_targets',
  {
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    /** servers.name (no foreign key: the record outlives a removed server). */
    server: text('server').notNull(),
    wave: integer('wave').notNull(),
    state: text('state').$type<(typeof TARGET_STATES)[number]>().notNull(),
    /**
     * True while the campaign may still change this server; the partial unique index
     * below makes "a server is in at most one active campaign" a database fact.
     */
    active: boolean('active').notNull(),
    /** Activate was sent: the campaign may have switched this server (rollback goes back). */
    switched: boolean('switched').notNull().default(false),
    /** Set when the target failed; kept through its rollback, for the failure budget. */
    failedAt: ts('failed_at'),
    /** The agent operation in progress or last done, re-sent as is after a restart. */
    operationId: text('operation_id'),
    /** Release id, version and DB version the server ran before the campaign (its current link before staging). */
    fromRelease: text('from_release'),
    fromVersion: text('from_version'),
    fromDbVersion: integer('from_db_version'),
    /** The staged release's id and DB version on this server (from the stage result). */
    toRelease: text('to_release'),
    toDbVersion: integer('to_db_version'),
    /** When verification started: the healthy deadline counts from here. */
    verifyingSince: ts('verifying_since'),
    /** Since when the campaign waits for the server to come back online (`--offline`); null: not waiting. */
    offlineSince: ts('offline_since'),
    reason: text('reason'),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'campaign_targets_pk', columns: [t.campaignId, t.server] }),
    uniqueIndex('campaign_targets_one_active_campaign').on(t.server).where(sql`${t.active}`),
    index('campaign_targets_wave_idx').on(t.campaignId, t.wave),
    check(
      'campaign_targets_state_check',
      sql`${t.state} in ('pending', 'staging', 'staged', 'switching', 'verifying', 'succeeded', 'failed', 'rolling-back', 'rolled-back', 'rollback-failed', 'skipped')`,
    ),
    check('campaign_targets_wave_check', sql`${t.wave} >= 0`),
  ],
);
