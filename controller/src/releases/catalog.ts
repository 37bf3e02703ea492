import { compareVersions } from '@wofleet/shared';
import { insertRelease, listReleases, recordAuditEvent, type KeysetPage, type ReleaseRow } from '../db/index.js';
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

/** The catalog, oldest version first; with `page`, the versions after `page.after` (the catalog is small and ordered by version rules SQL does not know). */
export async function listReleaseRows(ctx: ControllerContext, page?: KeysetPage<string>): Promise<ReleaseRow[]> {
  const rows = await listReleases(ctx.db);
  if (!page) return rows;
  const { after } = page;
  return (after === undefined ? rows : rows.filter((r) => compareVersions(r.version, after) > 0)).slice(0, page.limit);
}
