import { StateError, type Digest } from '@wofleet/shared';
import type { CampaignEvent, CampaignPlan, CampaignState, TargetState, WaveState } from './model.js';

/** A page of the campaign list: the campaigns after the one with this key (newest first, then by id). */
export interface CampaignPage {
  after?: { createdAt: Date; id: string };
  limit: number;
}

/**
 * The engine's one port to storage: everything planning, the operator commands and the
 * runner read and write. db/campaigns/ implements it on the drizzle Database (Postgres
 * or PGlite); the unit tests run the engine on an in-memory one. Each state change goes
 * through a CampaignWriter, which also appends the audit row and returns the
 * CampaignEvent to publish once the change is committed.
 */
export interface CampaignRepository {
  // ---------------------------------------------------------------- fleet (read only)
  /** The release of the catalog with this version. */
  findRelease(version: string): Promise<CatalogRelease | undefined>;
  /** Servers carrying every given label (none: all), sorted by name. */
  listServers(labels?: Readonly<Record<string, string>>): Promise<FleetServer[]>;
  /** A value that changes whenever what listServers() answers changes (and, rarely, when it does not). */
  serversDigest(): Promise<string>;
  /** Sites of the inventory (as agents reported them), by server name then domain; filtered by server and/or domain. */
  listSites(filter: { server?: string; domain?: string }): Promise<FleetSite[]>;

  // ---------------------------------------------------------------- campaigns
  /**
   * Records a planned campaign as running, every target pending and active, every
   * wave pending. ServerInActiveCampaignError when another active campaign holds one.
   */
  insertCampaign(plan: CampaignPlan, createdBy: string, now: Date): Promise<{ id: string; event: CampaignEvent }>;
  loadCampaign(id: string): Promise<CampaignRecord | undefined>;
  /** Just the campaign's state (what a step polls to notice an abort). */
  readCampaignState(id: string): Promise<CampaignState | undefined>;
  /**
   * Campaign ids, newest first (then by id); `active`: only those that can still change
   * servers; `page`: only those after the campaign `after` names in that order, at most `limit`.
   */
  listCampaignIds(filter: { active?: boolean }, page?: CampaignPage): Promise<string[]>;
  /**
   * The campaign row's state and last change, without its plan: what tells a driver
   * whether its copy of the campaign is still the campaign (campaign-copy.ts).
   */
  readCampaignHead(id: string): Promise<CampaignHead | undefined>;
  /** Active campaigns holding any of `servers`. */
  findActiveCampaignsOf(servers: readonly string[]): Promise<Array<{ server: string; campaignId: string }>>;
  /**
   * Runs `work` in one transaction with the campaign row locked: it sees the row as it
   * is now (undefined: no such campaign), and its writes commit together or not at all.
   */
  withCampaignLocked<T>(id: string, work: (lock: CampaignLock | undefined, write: CampaignWriter) => Promise<T>): Promise<T>;

  // ---------------------------------------------------------------- lease (lease.ts)
  /**
   * Takes (`start`) or renews the lease on a campaign for `holder`, for `leaseMs` from
   * the store's clock (one clock for every controller). `start` takes a free or expired
   * lease with the next fencing token, never one another holder still holds; taking
   * one's own lease again also moves to the next token, fencing off whatever the
   * holder's earlier driver still had going. `renew` only extends the holder's own
   * lease, token unchanged. A holder is one controller process (name + instance id), so
   * a restarted controller waits for its old lease to expire like any other. Taking an
   * expired lease from another holder is audited (campaign-store: one row per takeover).
   * Returns the token, or undefined when the lease is not (or no longer) the holder's.
   */
  acquireLease(id: string, holder: string, leaseMs: number, mode: 'start' | 'renew'): Promise<number | undefined>;
  /** Gives the lease up (on stop), so another controller need not wait for it to expire. */
  releaseLease(id: string, holder: string, token: number): Promise<void>;
}

/** The state changes, inside withCampaignLocked's transaction; each returns its event. */
export interface CampaignWriter {
  /**
   * Moves the campaign to `change.state`. On leaving the active states its targets stop
   * holding their servers; on entering one again (rollback of a finished campaign) they
   * hold them again, refused (ServerInActiveCampaignError) when another campaign took one.
   */
  campaignState(id: string, change: CampaignChange, actor: string, now: Date): Promise<CampaignEvent>;
  waveState(campaignId: string, index: number, state: WaveState, actor: string, now: Date): Promise<CampaignEvent>;
  targetState(target: TargetKey, state: TargetState, patch: TargetPatch, actor: string, now: Date): Promise<CampaignEvent>;
  /** A step's transition: as targetState while the server is in the inventory; undefined (nothing written) once it is not. */
  stepTargetState(target: TargetKey, state: TargetState, patch: TargetPatch, actor: string, now: Date): Promise<CampaignEvent | undefined>;
}

export interface CampaignChange {
  state: CampaignState;
  reason: string | null;
}

export interface TargetKey {
  campaignId: string;
  server: string;
  wave: number;
}

export interface CampaignHead {
  state: CampaignState;
  updatedAt: Date;
}

/** What a write under the campaign's lock decides on: its state and who holds its lease. */
export interface CampaignLock {
  state: CampaignState;
  leaseHolder: string | null;
  leaseToken: number;
}

export interface CampaignRow {
  id: string;
  state: CampaignState;
  releaseVersion: string;
  /** The plan as `start` computed it (request, release, canary, waves): never recomputed. */
  plan: CampaignPlan;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  reason: string | null;
}

export interface WaveRow {
  campaignId: string;
  index: number;
  state: WaveState;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface TargetRow {
  campaignId: string;
  server: string;
  wave: number;
  state: TargetState;
  /** True while the campaign may still change this server (a server is in at most one active campaign). */
  active: boolean;
  /** Activate was sent: the campaign may have switched this server (rollback goes back). */
  switched: boolean;
  /** Set when the target failed; kept through its rollback, for the failure budget. */
  failedAt: Date | null;
  /** The agent operation in progress or last done, re-sent as is after a restart. */
  operationId: string | null;
  /** Release id, version and DB version the server ran before the campaign. */
  fromRelease: string | null;
  fromVersion: string | null;
  fromDbVersion: number | null;
  /** The staged release's id and DB version on this server (from the stage result). */
  toRelease: string | null;
  toDbVersion: number | null;
  /** When verification started: the healthy deadline counts from here. */
  verifyingSince: Date | null;
  /** Since when the campaign waits for this server to come back online (`--offline`); null: not waiting. */
  offlineSince: Date | null;
  reason: string | null;
  updatedAt: Date;
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
    | 'offlineSince'
    | 'reason'
    | 'active'
  >
>;

/** A campaign with its waves (by index) and targets (by wave, then server), as read in one go. */
export interface CampaignRecord {
  campaign: CampaignRow;
  waves: WaveRow[];
  targets: TargetRow[];
}

/** A release of the catalog as a plan records it. */
export interface CatalogRelease {
  version: string;
  url: string;
  digest: Digest;
}

/** A server of the inventory as planning and the steps see it; `status` is its presence (heartbeats keep it). */
export interface FleetServer {
  name: string;
  address: string;
  canary: boolean;
  enrolled: boolean;
  status: 'pending' | 'online' | 'offline' | 'degraded';
  labels: Readonly<Record<string, string>>;
  /** The wofleet-agent version it last reported; undefined: none yet. */
  agentVersion?: string | undefined;
}

/** A site of the inventory: the server it runs on, its domain, and whether it has SSL (its public URL is https). */
export interface FleetSite {
  server: string;
  domain: string;
  ssl: boolean;
}

/** The audit kinds of campaign transitions. */
export const CAMPAIGN_AUDIT_KIND = { campaign: 'campaign.state', wave: 'campaign.wave', target: 'campaign.target' } as const;

/** A server of the campaign is already held by another active campaign. */
export class ServerInActiveCampaignError extends StateError {}
