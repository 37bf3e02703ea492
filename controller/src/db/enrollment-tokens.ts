import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Database } from './database.js';
import { enrollmentTokens } from './schema/enrollment-tokens.js';
import { servers } from './schema/servers.js';
import type { ServerRow } from './servers.js';

/** Every query on `enrollment_tokens`: one-time tokens an agent trades for its certificate. */

/** Why a token was refused. Reasons are checked in this order: unknown, used, expired. */
export const TOKEN_REFUSAL = { unknown: 'unknown', used: 'used', expired: 'expired' } as const;
export type TokenRefusal = (typeof TOKEN_REFUSAL)[keyof typeof TOKEN_REFUSAL];

export type ConsumedToken = { ok: true; server: ServerRow } | { ok: false; reason: TokenRefusal };

export async function insertEnrollmentToken(db: Database, serverId: string, tokenHash: string, expiresAt: Date): Promise<void> {
  await db.insert(enrollmentTokens).values({ serverId, tokenHash, expiresAt });
}

/**
 * Uses a token up: when it exists, is unused and has not expired at `now`, marks it
 * used and returns its server. One conditional UPDATE does the check and the marking,
 * so of two consumers racing for the same token exactly one wins (the other waits for
 * the row lock, re-checks `used_at` and finds it set).
 */
export async function consumeEnrollmentToken(db: Database, tokenHash: string, now: Date): Promise<ConsumedToken> {
  return db.transaction(async (tx) => {
    const [used] = await tx
      .update(enrollmentTokens)
      .set({ usedAt: now })
      .where(and(eq(enrollmentTokens.tokenHash, tokenHash), isNull(enrollmentTokens.usedAt), gt(enrollmentTokens.expiresAt, now)))
      .returning({ serverId: enrollmentTokens.serverId });
    if (used) {
      const [server] = await tx.select().from(servers).where(eq(servers.id, used.serverId));
      // The token row cascades away with its server, so the server is there.
      if (!server) throw new Error(`enrollment token of a missing server ${used.serverId}`);
      return { ok: true, server };
    }
    const [token] = await tx
      .select({ usedAt: enrollmentTokens.usedAt })
      .from(enrollmentTokens)
      .where(eq(enrollmentTokens.tokenHash, tokenHash));
    if (!token) return { ok: false, reason: TOKEN_REFUSAL.unknown };
    return { ok: false, reason: token.usedAt ? TOKEN_REFUSAL.used : TOKEN_REFUSAL.expired };
  });
}
