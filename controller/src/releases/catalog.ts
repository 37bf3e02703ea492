import { insertRelease, listReleases, recordAuditEvent, type ReleaseRow } from '../db/index.js';
import type { Actor, ControllerContext } from '../context/index.js';
import { parseReleaseInput, type RawReleaseInput } from './input.js';

/** The release catalog rollouts pick from. */
export const AUDIT_RELEASE_ADDED = 'release-added';

export async function addRelease(ctx: ControllerContext, raw: RawReleaseInput, actor: Actor): Promise<ReleaseRow> {
  const input = parseReleaseInput(raw);
  const now = ctx.clock.now();
  const row = await ctx.db.transaction(async (tx) => {
    const inserted = await insertRelease(tx, { version: input.version, url: input.url ?? null, digest: input.digest });
    await recordAuditEvent(tx, {
      at: now,
      actor,
      kind: AUDIT_RELEASE_ADDED,
      subject: input.version,
      data: { url: input.url ?? null, [input.digest.algorithm]: input.digest.hex },
    });
    return inserted;
  });
  ctx.log.info({ version: input.version, actor }, 'release added');
  return row;
}

export async function listReleaseRows(ctx: ControllerContext): Promise<ReleaseRow[]> {
  return listReleases(ctx.db);
}
