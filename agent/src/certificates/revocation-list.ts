import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { normalizeSerial } from '@wofleet/shared';
import { writeFileAtomic } from '../state/atomic-file.js';

/**
 * The fleet's revocation list as this agent knows it: fetched from the controller,
 * kept in `<stateDir>/revoked-serials.json` so a restarted agent refuses a revoked
 * controller certificate before it can reach the controller again. The gRPC guard
 * asks `isRevoked` on every call: a Set lookup.
 */
const MAX_SERIALS = 100_000;
const fileSchema = z.object({ serials: z.array(z.string().regex(/^[0-9a-f]{1,40}$/)).max(MAX_SERIALS) }).strict();

export interface RevocationList {
  isRevoked(serial: string): boolean;
  /** Replaces the list (as the controller sent it) in memory and on disk. */
  replace(serials: readonly string[]): Promise<void>;
  size(): number;
}

export function revocationListFile(stateDir: string): string {
  return path.join(stateDir, 'revoked-serials.json');
}

export async function openRevocationList(stateDir: string): Promise<RevocationList> {
  const file = revocationListFile(stateDir);
  let serials = new Set<string>();
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text !== undefined) {
    // A damaged cache is dropped: the next fetch from the controller rewrites it.
    const parsed = fileSchema.safeParse(parseJson(text));
    if (parsed.success) serials = new Set(parsed.data.serials);
  }
  return {
    isRevoked: (serial) => serials.has(serial),
    async replace(list) {
      const next = new Set(list.slice(0, MAX_SERIALS).map(normalizeSerial));
      await writeFileAtomic(file, `${JSON.stringify({ serials: [...next].sort() })}\n`, 0o644);
      serials = next;
    },
    size: () => serials.size,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
