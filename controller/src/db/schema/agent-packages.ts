import { bigint, customType, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Postgres bytea as a Buffer (PGlite and postgres.js both hand one back). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * wofleet-agent packages (.deb) for `wofleet agents upgrade`, kept in the database so
 * every controller sharing it can serve them to agents. Version, name and architecture
 * come from the package itself (dpkg-deb); the SHA-256 is computed by the controller.
 */
export const agentPackages = pgTable('agent_packages', {
  version: text('version').primaryKey(),
  sha256: text('sha256').notNull(),
  sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
  architecture: text('architecture').notNull(),
  addedBy: text('added_by').notNull(),
  addedAt: timestamp('added_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** A package's bytes in 1 MiB chunks, so a fetch streams them without holding the whole package. */
export const agentPackageChunks = pgTable(
  'agent_package_chunks',
  {
    version: text('version')
      .notNull()
      .references(() => agentPackages.version, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.version, t.seq] })],
);
