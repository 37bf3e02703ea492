import { sql } from 'drizzle-orm';
import { bigint, boolean, check, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Presence of a server as the controller sees it:
 *
 *   pending ──(first heartbeat after enrollment)──► online ◄──► degraded
 *                                                      │  ▲        │
 *                                                      ▼  │        ▼
 *                                                     offline ◄────┘
 *
 * - pending: added, its agent has not enrolled or not sent a heartbeat yet.
 * - online / degraded: heartbeats arrive; degraded when the agent's health says so.
 * - offline: no heartbeat for longer than the presence timeout; the next heartbeat
 *   brings it back.
 */
export const SERVER_STATUS = {
  pending: 'pending',
  online: 'online',
  offline: 'offline',
  degraded: 'degraded',
} as const;
export type ServerStatus = (typeof SERVER_STATUS)[keyof typeof SERVER_STATUS];

/** Health levels as agents report them (heartbeats, sites). */
export const HEALTH = { ok: 'ok', degraded: 'degraded', unhealthy: 'unhealthy' } as const;
export type Health = (typeof HEALTH)[keyof typeof HEALTH];

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Every server of the fleet: what the operator registered plus what its agent last reported. */
export const servers = pgTable(
  'servers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Also the agent's serverId and the name in its certificate. */
    name: text('name').notNull().unique('servers_name_unique'),
    /** host:port of the agent's gRPC endpoint. */
    address: text('address').notNull(),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
    canary: boolean('canary').notNull().default(false),
    status: text('status').$type<ServerStatus>().notNull().default(SERVER_STATUS.pending),
    lastSeenAt: ts('last_seen_at'),
    agentVersion: text('agent_version'),
    /** Release id and WordPress version of the server's `current` link, as last reported. */
    currentRelease: text('current_release'),
    currentVersion: text('current_version'),
    canaryRelease: text('canary_release'),
    siteCount: integer('site_count'),
    health: text('health').$type<Health>(),
    diskFreeBytes: bigint('disk_free_bytes', { mode: 'number' }),
    enrolledAt: ts('enrolled_at'),
    /**
     * SHA-256 fingerprint (hex) of the certificate issued at the last enrollment or
     * renewal: the only agent certificate the controller accepts when it dials the
     * server (pinning), and the only one it renews.
     */
    certFingerprint: text('cert_fingerprint'),
    /**
     * The certificate before the last renewal, still accepted when dialing until the
     * agent has loaded the new one (it serves the old one for a moment after renewal).
     * Cleared by the next renewal, a re-enrollment or a revocation.
     */
    previousCertFingerprint: text('previous_cert_fingerprint'),
    /** When the pinned certificate expires (`servers list` warns under 30 days). */
    certNotAfter: ts('cert_not_after'),
    /** Public nkey ("U...") of the agent's NATS user, sent at enrollment; `wofleet nats config` grants it the server's subjects. */
    natsPublicKey: text('nats_public_key'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('servers_status_check', sql`${t.status} in ('pending', 'online', 'offline', 'degraded')`),
    check('servers_health_check', sql`${t.health} in ('ok', 'degraded', 'unhealthy')`),
  ],
);
