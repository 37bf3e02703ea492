import type { HealthLevel, SiteInput } from '@wofleet/proto';
import { messageText } from '@wofleet/shared';
import type { Level } from './health.js';
import type { SiteRow } from './list.js';

export const WIRE_LEVEL: Record<Level | SiteRow['health'], HealthLevel> = {
  ok: 'HEALTH_LEVEL_OK',
  healthy: 'HEALTH_LEVEL_OK',
  degraded: 'HEALTH_LEVEL_DEGRADED',
  unhealthy: 'HEALTH_LEVEL_UNHEALTHY',
};

/** A site as the fleet sees it: the `Site` message of ListSites, and the `site` of site events (its JSON), within the controller's message field rules. */
export function toWireSite(s: SiteRow): SiteInput {
  return {
    domain: s.domain,
    php: s.php,
    cache: s.cache,
    ssl: s.ssl,
    link: s.link === 'canary' ? 'SITE_LINK_CANARY' : 'SITE_LINK_CURRENT',
    release: s.release ?? '',
    version: s.version ?? '',
    health: WIRE_LEVEL[s.health],
    problem: messageText(s.problem ?? ''),
    diskBytes: s.diskBytes,
  };
}
