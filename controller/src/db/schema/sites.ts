import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { servers, type Health } from './servers.js';

/** The sites of each server as its agent last reported them; one row per (server, domain). */
export const sites = pgTable(
  'sites',
  {
    serverId: uuid('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    domain: text('domain').notNull(),
    /** PHP version, e.g. "8.2". */
    php: text('php'),
    /** WordOps cache type as WordOps names it ("basic", "wpfc", "wpredis", ...); null when unknown. */
    cache: text('cache'),
    ssl: boolean('ssl').notNull().default(false),
    /** Release id the site's link points at; null when the link is broken. */
    release: text('release'),
    version: text('version'),
    health: text('health').$type<Health>(),
    /** Bytes the site's own directory takes (the shared core not counted); null until reported. */
    diskBytes: bigint('disk_bytes', { mode: 'number' }),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'sites_pkey', columns: [t.serverId, t.domain] }),
    index('sites_version_idx').on(t.version),
    check('sites_health_check', sql`${t.health} in ('ok', 'degraded', 'unhealthy')`),
  ],
);
