import { HEALTH_LEVEL, SITE_LINK, type HealthLevel, type Site } from '@wofleet/proto';
import { identifierField, sizeField, textField } from '@wofleet/shared';
import { z } from 'zod';
import type { Health, SiteReport } from '../db/index.js';

/**
 * A site as its agent reports it, in ListSites answers and in site events alike: the
 * agent's `Site` message (proto/wofleet/v1/agent.proto), the one definition of a
 * site's facts. `satisfies` ties this check to the generated type: a field added to
 * the message and missing here fails the build. Its strings follow the message field
 * rules (bounded, no control characters) like everything else an agent sends.
 */
const unknownOr = (field: z.ZodString) => field.or(z.literal(''));

export const agentSiteSchema = z.object({
  domain: identifierField(253),
  php: unknownOr(identifierField(32)),
  cache: unknownOr(identifierField(64)),
  ssl: z.boolean(),
  link: z.enum(SITE_LINK),
  release: unknownOr(identifierField()),
  version: unknownOr(identifierField(64)),
  health: z.enum(HEALTH_LEVEL),
  problem: textField(),
  diskBytes: sizeField,
}) satisfies z.ZodType<Site>;

const HEALTH_OF: Record<HealthLevel, Health | null> = {
  HEALTH_LEVEL_UNSPECIFIED: null,
  HEALTH_LEVEL_OK: 'ok',
  HEALTH_LEVEL_DEGRADED: 'degraded',
  HEALTH_LEVEL_UNHEALTHY: 'unhealthy',
};

/** What the inventory stores of a reported site (empty strings: not known). */
export function siteReportOf(site: Site): SiteReport {
  return {
    domain: site.domain,
    php: site.php || null,
    cache: site.cache || null,
    ssl: site.ssl,
    release: site.release || null,
    version: site.version || null,
    health: HEALTH_OF[site.health],
    diskBytes: site.diskBytes,
  };
}
