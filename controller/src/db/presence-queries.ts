import { and, asc, eq, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import type { Database } from './database.js';
import { SERVER_STATUS, servers, type Health, type ServerStatus } from './schema/servers.js';
import { sites } from './schema/sites.js';
import { statusFromHealth, type HeartbeatReport } from './servers.js';

/**
 * The queries presence needs beyond `servers.ts` / `sites.ts`: what an agent event
 * changes in the inventory, and the facts a heartbeat or event is decided on.
 */

/** What presence decides a heartbeat or an event on. */
export interface PresenceFacts {
  id: string;
  name: string;
  status: ServerStatus;
  health: Health | null;
}

/**
 * The enrolled server with this name, its row locked until the transaction ends (so the
 * offline sweep cannot interleave with a heartbeat); undefined for an unknown or not yet
 * enrolled name.
 */
export async function lockEnrolledServer(db: Database, name: string): Promise<PresenceFacts | undefined> {
  const [row] = await db
    .select({ id: servers.id, name: servers.name, status: servers.status, health: servers.health })
    .from(servers)
    .where(and(eq(servers.name, name), isNotNull(servers.enrolledAt)))
    .for('update');
  return row;
}

/** lockEnrolledServer for many names at once (locked in id order, so concurrent batches cannot deadlock). */
export async function lockEnrolledServers(db: Database, names: readonly string[]): Promise<PresenceFacts[]> {
  if (names.length === 0) return [];
  return db
    .select({ id: servers.id, name: servers.name, status: servers.status, health: servers.health })
    .from(servers)
    .where(and(inArray(servers.name, [...names]), isNotNull(servers.enrolledAt)))
    .orderBy(asc(servers.id))
    .for('update');
}

/** One heartbeat to write: what it reported and the status decided for it. */
export interface HeartbeatWrite {
  serverName: string;
  report: HeartbeatReport;
  status: ServerStatus;
}

/**
 * recordHeartbeat for many servers in one statement (at most one beat per server).
 * Same column rules: a field left out of a report keeps its column, null clears it;
 * servers not enrolled are left alone. The status is the caller's decision.
 * last_seen_at is the database's now(), the clock the offline sweep judges it by, so
 * controllers whose own clocks differ write and judge it alike.
 */
export async function recordHeartbeats(db: Database, beats: readonly HeartbeatWrite[]): Promise<void> {
  if (beats.length === 0) return;
  const rows = beats.map(({ serverName, report, status }) => ({
    name: serverName,
    status,
    agent_version: report.agentVersion,
    has_current: report.current !== undefined,
    current_release: report.current?.release ?? null,
    current_version: report.current?.version ?? null,
    has_canary: report.canary !== undefined,
    canary_release: report.canary?.release ?? null,
    site_count: report.sites ?? null,
    health: report.health ?? null,
    disk_free_bytes: report.diskFreeBytes ?? null,
  }));
  const v = (column: keyof (typeof rows)[number]) => sql.raw(`beat.${column}`);
  await db
    .update(servers)
    .set({
      status: sql`${v('status')}`,
      lastSeenAt: sql`now()`,
      updatedAt: sql`now()`,
      agentVersion: sql`${v('agent_version')}`,
      currentRelease: sql`case when ${v('has_current')} then ${v('current_release')} else ${servers.currentRelease} end`,
      currentVersion: sql`case when ${v('has_current')} then ${v('current_version')} else ${servers.currentVersion} end`,
      canaryRelease: sql`case when ${v('has_canary')} then ${v('canary_release')} else ${servers.canaryRelease} end`,
      siteCount: sql`coalesce(${v('site_count')}, ${servers.siteCount})`,
      health: sql`coalesce(${v('health')}, ${servers.health})`,
      diskFreeBytes: sql`coalesce(${v('disk_free_bytes')}, ${servers.diskFreeBytes})`,
    })
    .from(
      sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as beat(
        name text, status text, agent_version text,
        has_current boolean, current_release text, current_version text, has_canary boolean, canary_release text,
        site_count integer, health text, disk_free_bytes bigint)`,
    )
    .where(and(eq(servers.name, sql`${v('name')}`), isNotNull(servers.enrolledAt)));
}

/** A server the offline sweep took offline, and the database instants it was judged by. */
export interface SilentServer {
  id: string;
  name: string;
  /** It was last seen before this instant. */
  lastSeenBefore: Date;
  at: Date;
}

/**
 * Online or degraded servers not seen for `silentMs` by the database's clock go offline,
 * each once however many controllers sweep at once (the update is atomic per row).
 * The cutoff is computed from the database's now(), as last_seen_at was written with
 * it: a controller's own clock plays no part.
 */
export async function markSilentServersOffline(db: Database, silentMs: number): Promise<SilentServer[]> {
  const cutoff = sql`now() - ${silentMs}::double precision * interval '1 millisecond'`;
  const rows = await db
    .update(servers)
    .set({ status: SERVER_STATUS.offline, updatedAt: sql`now()` })
    .where(and(inArray(servers.status, [SERVER_STATUS.online, SERVER_STATUS.degraded]), lt(servers.lastSeenAt, cutoff)))
    .returning({ id: servers.id, name: servers.name, lastSeenBefore: sql`${cutoff}`.mapWith(servers.lastSeenAt), at: servers.updatedAt });
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * A site now on `release` (created or converted onto the shared core). Its other
 * columns (PHP, cache, SSL, health) are kept; the WordPress version is the server's
 * current one when the release is its current release, else unknown until reported.
 */
export async function recordSiteRelease(db: Database, serverId: string, domain: string, release: string, now: Date): Promise<void> {
  const version = sql`(select ${servers.currentVersion} from ${servers} where ${servers.id} = ${serverId} and ${servers.currentRelease} = ${release})`;
  await db
    .insert(sites)
    .values({ serverId, domain, release, version, updatedAt: now })
    .onConflictDoUpdate({
      target: [sites.serverId, sites.domain],
      set: { release: sql.raw('excluded.release'), version: sql.raw('excluded.version'), updatedAt: sql.raw('excluded.updated_at') },
    });
}

/** The server's shared core switched (update or rollback): the server and every site on it now run `release`. */
export async function recordServerRelease(
  db: Database,
  serverId: string,
  current: { release: string; version: string },
  now: Date,
): Promise<void> {
  await db
    .update(servers)
    .set({ currentRelease: current.release, currentVersion: current.version, updatedAt: now })
    .where(eq(servers.id, serverId));
  await db.update(sites).set({ release: current.release, version: current.version, updatedAt: now }).where(eq(sites.serverId, serverId));
}

/**
 * The server's health changed. A server heard from (online or degraded) takes the status
 * that health gives; a pending or offline one stays so until its next heartbeat.
 */
export async function recordServerHealth(db: Database, serverId: string, health: Health, now: Date): Promise<void> {
  const present = sql`${servers.status} in (${SERVER_STATUS.online}, ${SERVER_STATUS.degraded})`;
  await db
    .update(servers)
    .set({
      health,
      status: sql`case when ${present} then ${statusFromHealth(health)} else ${servers.status} end`,
      updatedAt: now,
    })
    .where(eq(servers.id, serverId));
}

/**
 * Each listed site of the server takes the health its agent reported. Only sites the
 * inventory already has: a health report does not create sites (site events do).
 */
export async function recordSiteHealth(db: Database, serverId: string, levels: Readonly<Record<string, Health>>, now: Date): Promise<void> {
  const byHealth = new Map<Health, string[]>();
  for (const [domain, health] of Object.entries(levels)) byHealth.set(health, [...(byHealth.get(health) ?? []), domain]);
  for (const [health, domains] of byHealth) {
    await db
      .update(sites)
      .set({ health, updatedAt: now })
      .where(and(eq(sites.serverId, serverId), inArray(sites.domain, domains)));
  }
}
