import type { Digest } from '@wofleet/shared';
/**
 * Rollout campaigns (DESIGN §6): the vocabulary shared by the engine (plan, repository,
 * runner) and the operator surface (RolloutService, `wofleet rollout`). Values here
 * are validated and typed; text from flags or requests is parsed into them by
 * campaigns/input.ts.
 *
 * Campaign:
 *
 *   running ──(canary done, --pause-after-canary)──► awaiting-promotion ──promote──► running
 *   running ◄──pause / resume──► paused
 *   running ──(every wave done)──► succeeded ──rollback──► rolling-back ──► rolled-back
 *   running ──(canary failed | failures over max | progress deadline)──► failed
 *   running | paused | awaiting-promotion ──abort──► aborting ──► aborted
 *
 * Target (one server of the campaign):
 *
 *   pending ──► staging ──► staged ──► switching ──► verifying ──► succeeded
 *      any active state ──(error, offline, healthy deadline)──► failed
 *   failed | succeeded ──(policy, abort, rollback)──► rolling-back ──► rolled-back | rollback-failed
 *   pending | staged (never switched) ──(campaign ended)──► skipped
 *   pending | staged, server offline in its wave ──(--offline-wait passed)──► skipped | failed (--offline)
 *   any state but terminal ──(server removed from the inventory)──► skipped
 */
export const CAMPAIGN_STATE = {
  running: 'running',
  paused: 'paused',
  awaitingPromotion: 'awaiting-promotion',
  succeeded: 'succeeded',
  failed: 'failed',
  aborting: 'aborting',
  aborted: 'aborted',
  rollingBack: 'rolling-back',
  rolledBack: 'rolled-back',
} as const;
export type CampaignState = (typeof CAMPAIGN_STATE)[keyof typeof CAMPAIGN_STATE];

export const WAVE_STATE = { pending: 'pending', running: 'running', succeeded: 'succeeded', failed: 'failed', skipped: 'skipped' } as const;
export type WaveState = (typeof WAVE_STATE)[keyof typeof WAVE_STATE];

export const TARGET_STATE = {
  pending: 'pending',
  staging: 'staging',
  staged: 'staged',
  switching: 'switching',
  verifying: 'verifying',
  succeeded: 'succeeded',
  failed: 'failed',
  rollingBack: 'rolling-back',
  rolledBack: 'rolled-back',
  rollbackFailed: 'rollback-failed',
  skipped: 'skipped',
} as const;
export type TargetState = (typeof TARGET_STATE)[keyof typeof TARGET_STATE];

const TERMINAL_TARGET_STATES: readonly TargetState[] = [
  TARGET_STATE.succeeded,
  TARGET_STATE.failed,
  TARGET_STATE.rolledBack,
  TARGET_STATE.rollbackFailed,
  TARGET_STATE.skipped,
];

/** The target's step is over (a later rollback may still take it up). */
export function isTerminalTargetState(state: TargetState): boolean {
  return TERMINAL_TARGET_STATES.includes(state);
}

/** Operator actions on a campaign; each is allowed from some states only (StateError otherwise). */
export const CAMPAIGN_ACTION = { pause: 'pause', resume: 'resume', promote: 'promote', abort: 'abort', rollback: 'rollback' } as const;
export type CampaignAction = (typeof CAMPAIGN_ACTION)[keyof typeof CAMPAIGN_ACTION];

/** One entry of `--waves`: a server count, or a percent of the campaign's targets (rounded up, at least 1). */
export type WaveSize = { count: number } | { percent: number };

/** `--max-failures`: failed servers tolerated before the campaign halts. */
export type FailureBudget = { count: number } | { percent: number };

/**
 * `--offline`: what a target whose server is offline when its wave needs it (to stage
 * or switch) becomes once `--offline-wait` has passed: skipped (not a failure),
 * failed (counts against --max-failures), or waited for without limit. The canary is
 * never skipped: `skip` fails it.
 */
export const OFFLINE_POLICY = { skip: 'skip', fail: 'fail', wait: 'wait' } as const;
export type OfflinePolicy = (typeof OFFLINE_POLICY)[keyof typeof OFFLINE_POLICY];

export interface OfflineHandling {
  policy: OfflinePolicy;
  /** How long a target waits for its server to come back before the policy applies (not used by `wait`). */
  waitMs: number;
}

/** `--window "Mon-Fri 01:00-05:00 UTC"`: waves start only inside it. */
export interface MaintenanceWindow {
  /** The text as given, for display. */
  text: string;
  /** ISO weekdays 1 (Mon) .. 7 (Sun) the window opens on. */
  days: readonly number[];
  /** Minutes after midnight, in the window's time zone; end may be < start (crosses midnight). */
  startMinute: number;
  endMinute: number;
  /** IANA zone or "UTC". */
  timeZone: string;
}

/** Which servers a campaign covers: named ones, or those with every given label; empty: every enrolled server. */
export interface TargetSelection {
  servers: readonly string[];
  labels: Readonly<Record<string, string>>;
}

/** `--canary-site`: the site each server switches and proves first. */
export const AUTO_CANARY_SITE = 'auto';

/**
 * `--check-http`: the controller requests every site of a switched server at its
 * public URL (https when the inventory says the site has SSL) during the verify hold.
 */
export interface HttpCheck {
  /** The spec as the operator gave it, for display. */
  text: string;
  /** Absolute path, e.g. `/` or `/shop/`. */
  path: string;
  /** The HTTP status expected (redirects are not followed). */
  status: number;
  /** A regular expression (JavaScript syntax) the body must match; undefined: any body. */
  body: string | undefined;
  /** The answer, body included, must arrive within this. */
  maxMs: number;
  /**
   * Connect to the server's own host (the host of its inventory address) instead of
   * resolving the site's domain, as `curl --connect-to` does (behind a load balancer,
   * or in tests); `port` undefined: the scheme's port. Undefined: resolve the domain.
   */
  connect: { port: number | undefined } | undefined;
}

/** `--check-command`: an operator program the controller runs per switched server during the verify hold. */
export interface CommandCheck {
  /** The spec as the operator gave it, for display. */
  text: string;
  /** Program and arguments, run without a shell. */
  argv: readonly string[];
  timeoutMs: number;
}

/** The external gate: checks the controller itself runs against each switched server. */
export interface GateChecks {
  http: readonly HttpCheck[];
  commands: readonly CommandCheck[];
}

/** `rollout plan|start`, parsed and validated. */
export interface CampaignRequest {
  /** A WordPress version in the release catalog (`wofleet releases add`). */
  release: string;
  selection: TargetSelection;
  /** Canary server; undefined: the targets flagged canary, else the first by name. */
  canary: string | undefined;
  waves: readonly WaveSize[];
  maxParallel: number;
  maxFailures: FailureBudget;
  minHealthyMs: number;
  healthyDeadlineMs: number;
  progressDeadlineMs: number;
  pauseAfterCanary: boolean;
  window: MaintenanceWindow | undefined;
  autoRollback: boolean;
  /** `auto` (each agent's configured canary site, else its site with the most active plugins) or a domain. */
  canarySite: string;
  checks: GateChecks;
  offline: OfflineHandling;
}

/**
 * A campaign request as text, the way flags and RolloutService carry it; an empty
 * string (or 0 for maxParallel) means the default. campaigns/input.ts turns it into a
 * CampaignRequest or a UsageError naming the bad field.
 */
export interface CampaignRequestText {
  release: string;
  servers: readonly string[];
  labels: Readonly<Record<string, string>>;
  canary: string;
  waves: string;
  maxParallel: number;
  maxFailures: string;
  minHealthy: string;
  healthyDeadline: string;
  progressDeadline: string;
  pauseAfterCanary: boolean;
  window: string;
  noAutoRollback: boolean;
  /** Empty: auto. */
  canarySite: string;
  /** `--check-http` specs, one per flag. */
  checkHttp: readonly string[];
  /** `--check-command` specs, one per flag. */
  checkCommand: readonly string[];
  /** Timeout of each command check. */
  checkTimeout: string;
  /** `--offline`: skip, fail or wait. */
  offline: string;
  /** `--offline-wait`: a duration. */
  offlineWait: string;
}

export const CAMPAIGN_DEFAULTS = {
  waves: '1,10%,25%',
  maxParallel: 10,
  maxFailures: '0',
  minHealthy: '30s',
  healthyDeadline: '5m',
  progressDeadline: '30m',
  checkTimeout: '60s',
  httpStatus: 200,
  httpMaxMs: 5_000,
  offline: OFFLINE_POLICY.skip,
  offlineWait: '5m',
} as const;

/** What `plan` prints and `start` records: the exact waves and servers. Wave 0 is the canary wave. */
export interface CampaignPlan {
  request: CampaignRequest;
  /** The release as the catalog has it. */
  release: { version: string; url: string; digest: Digest };
  canary: string;
  /** The servers holding the `--canary-site` domain (each is sent it); empty: `auto` everywhere. */
  canarySiteServers: readonly string[];
  waves: ReadonlyArray<{ index: number; servers: readonly string[] }>;
  /** Targets whose server was not online (offline, or enrolled but never heard from) when planned. */
  offlineServers: readonly string[];
  /**
   * Set for `wofleet agents upgrade`: the campaign installs this wofleet-agent package
   * instead of a WordPress release (step-agent-package.ts); `release` then names it.
   */
  agentPackage?: AgentPackagePlan;
}

/** A wofleet-agent package a campaign installs, and the packages its servers go back to on rollback. */
export interface AgentPackagePlan {
  version: string;
  sha256: string;
  /** SHA-256 of each version the targets run now, by version: every one is held by the controller. */
  rollback: Readonly<Record<string, string>>;
}

export interface TargetView {
  server: string;
  wave: number;
  state: TargetState;
  /** Release id and version the server ran before the campaign switched it (rollback goes there). */
  fromRelease: string | null;
  fromVersion: string | null;
  /** Why it failed / was skipped / could not be rolled back, or what it waits for. */
  reason: string | null;
  /** Since when the campaign waits for this server to come back online; null: not waiting. */
  offlineSince: Date | null;
  updatedAt: Date;
}

export interface WaveView {
  index: number;
  state: WaveState;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface CampaignView {
  id: string;
  state: CampaignState;
  plan: CampaignPlan;
  /** Who started it: `operator:<name>`. */
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  /** Why it ended as it did (failed, aborted), or what it waits for (window, promotion). */
  reason: string | null;
  waves: readonly WaveView[];
  targets: readonly TargetView[];
}

/** True while the campaign can still change servers (it holds its targets against other campaigns). */
export function isActiveCampaignState(state: CampaignState): boolean {
  return (
    state !== CAMPAIGN_STATE.succeeded &&
    state !== CAMPAIGN_STATE.failed &&
    state !== CAMPAIGN_STATE.aborted &&
    state !== CAMPAIGN_STATE.rolledBack
  );
}

/**
 * Published by the controller on NATS `wofleet.campaign.<id>.event` at every state
 * change, after the change is committed to Postgres (so a watcher that reads the
 * campaign first and then follows events misses nothing).
 */
export interface CampaignEvent {
  campaignId: string;
  at: string;
  /** What changed. */
  scope: 'campaign' | 'wave' | 'target';
  state: CampaignState | WaveState | TargetState;
  wave?: number;
  server?: string;
  reason?: string;
}

export const CAMPAIGN_EVENT_SUBJECT_PREFIX = 'wofleet.campaign';

export function campaignEventSubject(campaignId: string): string {
  return `${CAMPAIGN_EVENT_SUBJECT_PREFIX}.${campaignId}.event`;
}
