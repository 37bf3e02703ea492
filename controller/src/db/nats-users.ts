import { asc, eq, isNotNull } from 'drizzle-orm';
import type { Database } from './database.js';
import { servers } from './schema/servers.js';
import { ServerNotFoundError } from './servers.js';

/** The servers' NATS users: the public nkey each agent sent at enrollment. */

export interface NatsUserRow {
  /** The server (and agent serverId) the user is for. */
  name: string;
  publicKey: string;
}

/** Replaces the server's NATS user; null leaves it without one. */
export async function setServerNatsKey(db: Database, name: string, publicKey: string | null): Promise<void> {
  const rows = await db.update(servers).set({ natsPublicKey: publicKey }).where(eq(servers.name, name)).returning({ id: servers.id });
  if (rows.length === 0) throw new ServerNotFoundError(name);
}

/** Every server that has a NATS user, by name. */
export async function listNatsUsers(db: Database): Promise<NatsUserRow[]> {
  const rows = await db
    .select({ name: servers.name, publicKey: servers.natsPublicKey })
    .from(servers)
    .where(isNotNull(servers.natsPublicKey))
    .orderBy(asc(servers.name));
  return rows.flatMap((r) => (r.publicKey === null ? [] : [{ name: r.name, publicKey: r.publicKey }]));
}
