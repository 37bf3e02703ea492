import { and, asc, eq, gt, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import { NotFoundError, StateError } from '@wofleet/shared';
import { violatedUniqueConstraint } from './sql-error.js';
import type { Database } from './database.js';
import { HEALTH, SERVER_STATUS, servers, type Health, type ServerStatus } from './schema/servers.js';

/** Every query on the `servers` table: registration, lookup, enrollment and presence. */

export type ServerRow = typeof servers.$inferSelect;

export interface NewServer {
  name: string;
  /** host:port of the agent's gRPC endpoint. */
  address: string;
  labels?: Record<string, string>;
  canary?: boolean;
}

/** A server with this name is already registered. */
export class ServerExistsError extends StateError {
  constructor(
    readonly serverName: string,
    options?: { cause?: unknown },
  ) {
    super(`server '${serverName}' already exists`, options);
  }
}

export class ServerNotFoundError extends NotFoundError {
  constructor(readonly serverName: string) {
    super(`unknown server '${serverName}'`);
  }
}

/**
 * What a heartbeat tells about its server (the agent's `Heartbeat` message fits).
 * A field left out keeps its column as it was (an agent that could not take its
 * summary sends its own facts only); `null` means "none" (e.g. no canary link).
 */
export interface HeartbeatReport {
  agentVersion: string;
  current?: { release: string; version: string } | null;
  canary?: { release: string; version: string } | null;
  sites?: number;
  health?: Health;
  diskFreeBytes?: number;
}

export async function insertServer(db: Database, server: NewServer): Promise<ServerRow> {
  try {
    const [row] = await db
      .insert(servers)
      .values({ name: server.name, address: server.address, labels: server.labels ?? {}, canary: server.canary ?? false })
      .returning();
    if (!row) throw new Error('insert into servers returned no row');
    return row;
  } catch (err) {
    if (violatedUniqueConstraint(err) === 'servers_name_unique') throw new ServerExistsError(server.name, { cause: err });
    throw err;
  }
}

export async function findServerByName(db: Database, name: string): Promise<ServerRow | undefined> {
  const [row] = await db.select().from(servers).where(eq(servers.name, name));
  return row;
}

/** One page of a list by its sort key: rows after `after` (the key of the last row of the previous page), at most `limit`. */
export interface KeysetPage<K> {
  after?: K | undefined;
  limit: number;
}

/**
 * The columns a listing of servers shows (ListServers, the campaign engine's inventory):
 * only these are read and mapped, which is most of a 1,000-server listing's time.
 */
const SERVER_LISTING_COLUMNS = {
  name: servers.name,
  address: servers.address,
  labels: servers.labels,
  canary: servers.canary,
  status: servers.status,
  enrolledAt: servers.enrolledAt,
  lastSeenAt: servers.lastSeenAt,
  agentVersion: servers.agentVersion,
  currentRelease: servers.currentRelease,
  currentVersion: servers.currentVersion,
  siteCount: servers.siteCount,
  certFingerprint: servers.certFingerprint,
  certNotAfter: servers.certNotAfter,
};
export type ServerListing = Pick<ServerRow, keyof typeof SERVER_LISTING_COLUMNS>;

/** Servers by name; with `labels`, only those carrying every one of them; with `page`, one page of them. */
export async function listServers(
  db: Database,
  filter: { labels?: Record<string, string> } = {},
  page?: KeysetPage<string>,
): Promise<ServerListing[]> {
  const query = db
    .select(SERVER_LISTING_COLUMNS)
    .from(servers)
    .where(and(carryingLabels(filter.labels), page?.after === undefined ? undefined : gt(servers.name, page.after)))
    .orderBy(asc(servers.name))
    .$dynamic();
  return page ? query.limit(page.limit) : query;
}

/** The columns of listServerSummaries, which serverSummariesDigest hashes too. */
const SERVER_SUMMARY_COLUMNS = {
  name: servers.name,
  address: servers.address,
  labels: servers.labels,
  canary: servers.canary,
  status: servers.status,
  agentVersion: servers.agentVersion,
  enrolled: sql<boolean>`${servers.enrolledAt} is not null`,
};

/**
 * What the campaign engine reads of every server on each pass: only what it uses, as
 * plain values (a pass reads 10,000 rows; decoding timestamps it never looks at was a
 * good part of the cost).
 */
export async function listServerSummaries(db: Database, labels?: Record<string, string>) {
  return db.select(SERVER_SUMMARY_COLUMNS).from(servers).where(carryingLabels(labels)).orderBy(asc(servers.name));
}

/**
 * One value that changes whenever a column listServerSummaries reads (the same list) changes in any row,
 * or a row comes or goes (a 64-bit sum of per-row hashes, and the count): the engine
 * re-reads the inventory only when it moved. Heartbeats, which rewrite other columns of
 * every row all the time, leave it as it is. Postgres hashes the rows (a few ms at
 * 10,000 servers) where decoding them all cost the controller ~30 ms a read.
 */
export async function serverSummariesDigest(db: Database): Promise<string> {
  const [row] = await db
    .select({
      servers: sql<number>`count(*)::int`,
      hash: sql<string>`coalesce(sum(hashtextextended(row(${sql.join(Object.values(SERVER_SUMMARY_COLUMNS), sql`, `)})::text, 0)), 0)::text`,
    })
    .from(servers);
  return `${row?.servers ?? 0}:${row?.hash ?? ''}`;
}

function carryingLabels(labels: Record<string, string> | undefined) {
  return labels && Object.keys(labels).length > 0 ? sql`${servers.labels} @> ${JSON.stringify(labels)}::jsonb` : undefined;
}

/** The server row, locked until the transaction ends (a read-modify-write of its labels). */
export async function lockServerByName(db: Database, name: string): Promise<ServerRow> {
  const [row] = await db.select().from(servers).where(eq(servers.name, name)).for('update');
  if (!row) throw new ServerNotFoundError(name);
  return row;
}

/** What an operator changes about a registered server; a field left out stays as it is. */
export interface ServerChange {
  address?: string;
  labels?: Record<string, string>;
  canary?: boolean;
}

export async function updateServer(db: Database, name: string, change: ServerChange, now: Date): Promise<ServerRow> {
  const [row] = await db
    .update(servers)
    .set({ address: change.address, labels: change.labels, canary: change.canary, updatedAt: now })
    .where(eq(servers.name, name))
    .returning();
  if (!row) throw new ServerNotFoundError(name);
  return row;
}

/** Removes the server with its sites and tokens; its operations and audit events stay. */
export async function removeServer(db: Database, name: string): Promise<ServerRow> {
  const [row] = await db.delete(servers).where(eq(servers.name, name)).returning();
  if (!row) throw new ServerNotFoundError(name);
  return row;
}

/** Records (and pins) the certificate issued to the server's agent at enrollment; any earlier one is no longer accepted. */
export async function markServerEnrolled(
  db: Database,
  name: string,
  certFingerprint: string,
  now: Date,
  certNotAfter: Date | null = null,
  agentVersion: string | null = null,
): Promise<ServerRow> {
  const [row] = await db
    .update(servers)
    .set({
      enrolledAt: now,
      certFingerprint,
      previousCertFingerprint: null,
      certNotAfter,
      updatedAt: now,
      ...(agentVersion ? { agentVersion } : {}),
    })
    .where(eq(servers.name, name))
    .returning();
  if (!row) throw new ServerNotFoundError(name);
  return row;
}

/** The status a heartbeat reporting `health` puts its server in. */
export function statusFromHealth(health: Health): ServerStatus {
  return health === HEALTH.degraded || health === HEALTH.unhealthy ? SERVER_STATUS.degraded : SERVER_STATUS.online;
}

/** For a beat without health: the status the last reported health gives. */
const statusFromStoredHealth = sql<ServerStatus>`case when ${servers.health} in (${HEALTH.degraded}, ${HEALTH.unhealthy}) then ${SERVER_STATUS.degraded} else ${SERVER_STATUS.online} end`;

/**
 * Takes a heartbeat: presence columns, `last_seen_at = now`, status online or degraded.
 * Returns undefined, changing nothing, when no enrolled server has that name (the
 * caller logs and ignores the beat).
 */
export async function recordHeartbeat(
  db: Database,
  serverName: string,
  heartbeat: HeartbeatReport,
  now: Date,
): Promise<ServerRow | undefined> {
  const { current, canary } = heartbeat;
  const [row] = await db
    .update(servers)
    .set({
      status: heartbeat.health === undefined ? statusFromStoredHealth : statusFromHealth(heartbeat.health),
      lastSeenAt: now,
      updatedAt: now,
      agentVersion: heartbeat.agentVersion,
      // undefined leaves a column alone; null clears it.
      currentRelease: current === undefined ? undefined : (current?.release ?? null),
      currentVersion: current === undefined ? undefined : (current?.version ?? null),
      canaryRelease: canary === undefined ? undefined : (canary?.release ?? null),
      siteCount: heartbeat.sites,
      health: heartbeat.health,
      diskFreeBytes: heartbeat.diskFreeBytes,
    })
    .where(and(eq(servers.name, serverName), isNotNull(servers.enrolledAt)))
    .returning();
  return row;
}

/** Online or degraded servers last seen before `olderThan` go offline; returns their names. */
export async function markOfflineServers(db: Database, olderThan: Date, now: Date = new Date()): Promise<string[]> {
  const rows = await db
    .update(servers)
    .set({ status: SERVER_STATUS.offline, updatedAt: now })
    .where(and(inArray(servers.status, [SERVER_STATUS.online, SERVER_STATUS.degraded]), lt(servers.lastSeenAt, olderThan)))
    .returning({ name: servers.name });
  return rows.map((r) => r.name).sort();
}
