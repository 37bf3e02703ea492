import {
  HEALTH,
  SERVER_STATUS,
  statusFromHealth,
  type HeartbeatReport,
  type NewAuditEvent,
  type PresenceFacts,
  type ServerStatus,
  type SiteReport,
} from '../db/index.js';
import { siteReportOf } from '../agents/site-report.js';
import { INVENTORY_EVENT, type AgentEventMessage, type HeartbeatMessage, type KnownAgentEvent } from './messages.js';

/**
 * Presence decisions, without I/O: what a heartbeat, an agent event or the passing of
 * time changes. The runners (heartbeats.ts, events.ts, sweeper.ts) load the facts,
 * call these, and persist the result in one transaction.
 *
 * Server status (see db/schema/servers.ts for the full state machine):
 *   - online    a heartbeat within the presence timeout, health ok (or none reported);
 *   - degraded  the same, but its health says degraded or unhealthy;
 *   - offline   no heartbeat for MISSED_HEARTBEATS periods; the next heartbeat brings it back.
 */
export const MISSED_HEARTBEATS = 3;

/** Why a message changed nothing. */
export const IGNORED = {
  notEnrolled: 'server is not enrolled',
} as const;
export type IgnoredReason = (typeof IGNORED)[keyof typeof IGNORED];

/** Audit kinds presence writes itself (agent events keep the agent's type as their kind). */
export const PRESENCE_AUDIT = {
  wentOffline: 'server-offline',
  cameOnline: 'server-online',
  eventRejected: 'event-rejected',
} as const;

export const CONTROLLER_ACTOR = 'controller';
export function agentActor(serverId: string): string {
  return `agent:${serverId}`;
}

/** How long a server may stay silent before it is offline. */
export function presenceTimeoutMs(heartbeatSeconds: number): number {
  return MISSED_HEARTBEATS * heartbeatSeconds * 1000;
}

// ---- heartbeats -------------------------------------------------------------

export type HeartbeatDecision =
  | { kind: 'ignore'; reason: IgnoredReason }
  | { kind: 'record'; serverName: string; report: HeartbeatReport; status: ServerStatus; audit?: NewAuditEvent };

const SILENT: ReadonlySet<ServerStatus> = new Set([SERVER_STATUS.pending, SERVER_STATUS.offline]);

/**
 * A beat refreshes an enrolled server: online, or degraded when the health it reports
 * (or, in a beat without summary, the last one it reported) says so. A server that was
 * pending or offline coming back is audited.
 */
export function decideHeartbeat(beat: HeartbeatMessage, server: PresenceFacts | undefined, now: Date): HeartbeatDecision {
  if (!server) return { kind: 'ignore', reason: IGNORED.notEnrolled };
  const report: HeartbeatReport = {
    agentVersion: beat.agentVersion,
    current: beat.current,
    canary: beat.canary,
    sites: beat.sites,
    health: beat.health,
    diskFreeBytes: beat.diskFreeBytes,
  };
  const status = statusFromHealth(beat.health ?? server.health ?? HEALTH.ok);
  const decision = { kind: 'record', serverName: server.name, report, status } as const;
  if (!SILENT.has(server.status)) return decision;
  const audit: NewAuditEvent = {
    at: now,
    actor: CONTROLLER_ACTOR,
    serverId: server.id,
    kind: PRESENCE_AUDIT.cameOnline,
    subject: server.name,
    data: { from: server.status, to: status, agentAt: beat.at },
  };
  return { ...decision, audit };
}

// ---- agent events -----------------------------------------------------------

/** What one agent event changes in the inventory, as data (store.ts applies it). */
export type InventoryChange =
  | { kind: 'site-on-release'; domain: string; release: string; facts?: SiteReport }
  | { kind: 'site-gone'; domain: string }
  | { kind: 'core-switched'; release: string; version: string }
  | {
      kind: 'health';
      health: NonNullable<PresenceFacts['health']>;
      sites?: Readonly<Record<string, NonNullable<PresenceFacts['health']>>>;
    };

export type EventDecision =
  | { kind: 'ignore'; reason: IgnoredReason }
  | { kind: 'apply'; serverId: string; audit: NewAuditEvent; changes: InventoryChange[] };

/**
 * Every event of an enrolled server is recorded under its own id (a redelivery is
 * recorded once and applied once); the inventory events also change servers and sites.
 */
export function decideEvent(event: AgentEventMessage, server: PresenceFacts | undefined): EventDecision {
  if (!server) return { kind: 'ignore', reason: IGNORED.notEnrolled };
  const audit: NewAuditEvent = {
    at: new Date(event.at),
    actor: agentActor(event.serverId),
    serverId: server.id,
    kind: event.type,
    subject: event.known ? subjectOf(event) : server.name,
    data: event.data,
    sourceEventId: event.id,
  };
  return { kind: 'apply', serverId: server.id, audit, changes: event.known ? [changeOf(event)] : [] };
}

function changeOf(event: KnownAgentEvent): InventoryChange {
  switch (event.type) {
    case INVENTORY_EVENT.siteCreated:
    case INVENTORY_EVENT.siteConverted:
      return event.data.site?.domain === event.data.domain
        ? { kind: 'site-on-release', domain: event.data.domain, release: event.data.release, facts: siteReportOf(event.data.site) }
        : { kind: 'site-on-release', domain: event.data.domain, release: event.data.release };
    // A reverted site left the shared core: it is no longer part of this inventory.
    case INVENTORY_EVENT.siteRemoved:
    case INVENTORY_EVENT.siteReverted:
      return { kind: 'site-gone', domain: event.data.domain };
    case INVENTORY_EVENT.switched:
    case INVENTORY_EVENT.rolledBack:
      return { kind: 'core-switched', release: event.data.to, version: event.data.version };
    case INVENTORY_EVENT.healthChanged:
      return event.data.sites
        ? { kind: 'health', health: event.data.to, sites: event.data.sites }
        : { kind: 'health', health: event.data.to };
  }
}

/** What an event is about: the site's domain, the release switched to, or the server. */
function subjectOf(event: KnownAgentEvent): string {
  switch (event.type) {
    case INVENTORY_EVENT.siteCreated:
    case INVENTORY_EVENT.siteConverted:
    case INVENTORY_EVENT.siteRemoved:
    case INVENTORY_EVENT.siteReverted:
      return event.data.domain;
    case INVENTORY_EVENT.switched:
    case INVENTORY_EVENT.rolledBack:
      return event.data.to;
    case INVENTORY_EVENT.healthChanged:
      return event.serverId;
  }
}

/** An event terminated unapplied: malformed, or refused by the database as data. */
export interface RejectedEvent {
  /** The server its subject names (the payload may not even parse). */
  serverId: string;
  reason: string;
  stream: string;
  streamSeq: number;
  bytes: number;
}

/**
 * A rejected event is audited once per stream message, under the enrolled server its
 * subject names (the source id has a ':', which no agent event id may hold). From a
 * server that is not enrolled it is only logged, like any event of such a server.
 */
export function decideRejectedEvent(rejected: RejectedEvent, server: PresenceFacts | undefined, now: Date): EventDecision {
  if (!server) return { kind: 'ignore', reason: IGNORED.notEnrolled };
  const audit: NewAuditEvent = {
    at: now,
    actor: agentActor(server.name),
    serverId: server.id,
    kind: PRESENCE_AUDIT.eventRejected,
    subject: server.name,
    data: { reason: rejected.reason, stream: rejected.stream, streamSeq: rejected.streamSeq, bytes: rejected.bytes },
    sourceEventId: `rejected:${rejected.stream}:${rejected.streamSeq}`,
  };
  return { kind: 'apply', serverId: server.id, audit, changes: [] };
}

// ---- the passing of time ----------------------------------------------------

/**
 * Whether silence says anything now: only once this controller has heard the fleet
 * without a break for one presence timeout (`upSince`: when its link to NATS last came
 * up, or it started). While the link is down, or in the first timeout after, a silent
 * server may simply not have been heard, so nobody is swept offline.
 */
export function maySweep(now: Date, upSince: Date | undefined, heartbeatSeconds: number): boolean {
  return upSince !== undefined && now.getTime() - upSince.getTime() >= presenceTimeoutMs(heartbeatSeconds);
}

/** One audit event per server the sweep took offline, at the database instants it was judged by. */
export function offlineAudits(gone: readonly { id: string; name: string; lastSeenBefore: Date; at: Date }[]): NewAuditEvent[] {
  return gone.map((server) => ({
    at: server.at,
    actor: CONTROLLER_ACTOR,
    serverId: server.id,
    kind: PRESENCE_AUDIT.wentOffline,
    subject: server.name,
    data: { lastSeenBefore: server.lastSeenBefore.toISOString(), missedHeartbeats: MISSED_HEARTBEATS },
  }));
}
