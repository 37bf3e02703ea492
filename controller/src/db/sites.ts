import { and, asc, eq, gt, gte, inArray, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from './database.js';
import { servers, type Health } from './schema/servers.js';
import type { KeysetPage } from './servers.js';
import { sites } from './schema/sites.js';

/** Every query on the `sites` table: the per-server inventory agents report. */

export type SiteRow = typeof sites.$inferSelect;

/** One site as an agent reports it. */
export interface SiteReport {
  domain: string;
  php?: string | null;
  cache?: string | null;
  ssl?: boolean;
  release?: string | null;
  version?: string | null;
  health?: Health | null;
  diskBytes?: number | null;
}

/** A site with the name of the server it runs on. */
export interface FleetSiteRow extends SiteRow {
  server: string;
}

/** Inserts or replaces (by domain) the given sites of one server; its other sites are left alone. */
export async function upsertSites(db: Database, serverId: string, reports: readonly SiteReport[], now: Date = new Date()): Promise<void> {
  if (reports.length === 0) return;
  const rows = reports.map((site) => ({
    serverId,
    domain: site.domain,
    php: site.php ?? null,
    cache: site.cache ?? null,
    ssl: site.ssl ?? false,
    release: site.release ?? null,
    version: site.version ?? null,
    health: site.health ?? null,
    diskBytes: site.diskBytes ?? null,
    updatedAt: now,
  }));
  const excluded = (column: string): SQL => sql.raw(`excluded.${column}`);
  await db
    .insert(sites)
    .values(rows)
    .onConflictDoUpdate({
      target: [sites.serverId, sites.domain],
      set: {
        php: excluded('php'),
        cache: excluded('cache'),
        ssl: excluded('ssl'),
        release: excluded('release'),
        version: excluded('version'),
        health: excluded('health'),
        diskBytes: excluded('disk_bytes'),
        updatedAt: excluded('updated_at'),
      },
    });
}

/**
 * The server's full site list as its agent reported it: the reported sites are stored
 * (inserted or replaced), every other site of that server is forgotten. Returns the
 * domains forgotten. Run it in a transaction so readers see the old list or the new one.
 */
export async function replaceServerSites(
  db: Database,
  serverId: string,
  reports: readonly SiteReport[],
  now: Date = new Date(),
): Promise<string[]> {
  await upsertSites(db, serverId, reports, now);
  const reported = reports.map((r) => r.domain);
  const rows = await db
    .delete(sites)
    .where(and(eq(sites.serverId, serverId), reported.length > 0 ? notInArray(sites.domain, reported) : undefined))
    .returning({ domain: sites.domain });
  return rows.map((r) => r.domain).sort();
}

/** Forgets sites a server no longer has; returns the domains that were there. */
export async function removeSites(db: Database, serverId: string, domains: readonly string[]): Promise<string[]> {
  if (domains.length === 0) return [];
  const rows = await db
    .delete(sites)
    .where(and(eq(sites.serverId, serverId), inArray(sites.domain, [...domains])))
    .returning({ domain: sites.domain });
  return rows.map((r) => r.domain).sort();
}

/** Where a page of sites starts: after this server's site with this domain. */
export interface SiteKey {
  server: string;
  domain: string;
}

/**
 * Sites across the fleet by server name and domain; filtered by server name, domain
 * and/or WordPress version; with `page`, one page of them (keyset on (server name, domain)).
 */
export async function listSites(
  db: Database,
  filter: { server?: string; domain?: string; version?: string } = {},
  page?: KeysetPage<SiteKey>,
): Promise<FleetSiteRow[]> {
  const conditions: SQL[] = [];
  if (filter.server !== undefined) conditions.push(eq(servers.name, filter.server));
  if (filter.domain !== undefined) conditions.push(eq(sites.domain, filter.domain));
  if (filter.version !== undefined) conditions.push(eq(sites.version, filter.version));
  if (page?.after !== undefined) {
    // (name, domain) > (server, domain), written so the servers' name index bounds the scan
    // (a row comparison across the join would read every site before the page, 30x slower mid-list).
    const { server, domain } = page.after;
    conditions.push(gte(servers.name, server), or(gt(servers.name, server), gt(sites.domain, domain)) as SQL);
  }
  const query = db
    .select({ site: sites, server: servers.name })
    .from(sites)
    .innerJoin(servers, eq(servers.id, sites.serverId))
    .where(and(...conditions))
    .orderBy(asc(servers.name), asc(sites.domain))
    .$dynamic();
  const rows = await (page ? query.limit(page.limit) : query);
  return rows.map((r) => ({ ...r.site, server: r.server }));
}
