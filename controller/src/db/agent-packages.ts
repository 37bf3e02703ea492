import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from './database.js';
import { agentPackageChunks, agentPackages } from './schema/agent-packages.js';

/**
 * Every query on the wofleet-agent packages `wofleet agents upgrade` installs.
 *
 * The bytes cross to the database as base64 text, decoded and encoded there: PGlite
 * converts a bytea parameter or result byte by byte in JavaScript, 6-7 times slower
 * (a 45 MB package: about 30 s to add and as long to fetch, on a busy 2-core machine).
 */

export type AgentPackageRow = typeof agentPackages.$inferSelect;
export type NewAgentPackage = Omit<AgentPackageRow, 'addedAt'>;

/** Records a package and its bytes (chunks in order) in one transaction. */
export async function insertAgentPackage(
  db: Database,
  pkg: NewAgentPackage,
  chunks: AsyncIterable<Buffer>,
  now: Date,
): Promise<AgentPackageRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(agentPackages)
      .values({ ...pkg, addedAt: now })
      .returning();
    let seq = 0;
    for await (const data of chunks) {
      const bytes = sql<Buffer>`decode(${data.toString('base64')}, 'base64')`;
      await tx.insert(agentPackageChunks).values({ version: pkg.version, seq: seq++, data: bytes });
    }
    if (!row) throw new Error(`agent package ${pkg.version} was not recorded`);
    return row;
  });
}

export async function findAgentPackage(db: Database, version: string): Promise<AgentPackageRow | undefined> {
  const [row] = await db.select().from(agentPackages).where(eq(agentPackages.version, version));
  return row;
}

export async function listAgentPackages(db: Database): Promise<AgentPackageRow[]> {
  return db.select().from(agentPackages);
}

/** One chunk of a package's bytes; undefined past the last. Read one at a time, so a fetch never holds the whole package. */
export async function readAgentPackageChunk(db: Database, version: string, seq: number): Promise<Buffer | undefined> {
  const [row] = await db
    .select({ base64: sql<string>`encode(${agentPackageChunks.data}, 'base64')` })
    .from(agentPackageChunks)
    .where(and(eq(agentPackageChunks.version, version), eq(agentPackageChunks.seq, seq)))
    .orderBy(asc(agentPackageChunks.seq));
  return row && Buffer.from(row.base64, 'base64');
}
