import { sql } from 'drizzle-orm';
import { bigint, check, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The release catalog rollouts pick from: one WordPress version, where to get it, how to verify it. */
export const releases = pgTable(
  'releases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    version: text('version').notNull().unique('releases_version_unique'),
    /** Archive URL; null: the agents' mirror. */
    url: text('url'),
    digestAlgorithm: text('digest_algorithm').$type<'sha1' | 'sha256'>().notNull(),
    digestHex: text('digest_hex').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    /** WordPress $wp_db_version of the release, once known. */
    dbVersion: integer('db_version'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [check('releases_digest_algorithm_check', sql`${t.digestAlgorithm} in ('sha1', 'sha256')`)],
);
