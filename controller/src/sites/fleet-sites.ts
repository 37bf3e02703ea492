import { parseWordPressVersion } from '@wofleet/shared';
import { listSites, type FleetSiteRow, type KeysetPage, type SiteKey } from '../db/index.js';
import type { ControllerContext } from '../context/index.js';
import { parseServerName } from '../servers/input.js';

export interface SiteFilter {
  server?: string | undefined;
  version?: string | undefined;
}

/** Sites across the fleet, as their agents last reported them. */
export async function listFleetSites(ctx: ControllerContext, filter: SiteFilter, page?: KeysetPage<SiteKey>): Promise<FleetSiteRow[]> {
  return listSites(
    ctx.db,
    {
      ...(filter.server ? { server: parseServerName(filter.server) } : {}),
      ...(filter.version ? { version: parseWordPressVersion(filter.version) } : {}),
    },
    page,
  );
}
