import type { FleetSite, HealthLevel, Server, Site, SiteLink } from '@wofleet/proto';

/**
 * What `--json` prints of ControllerService answers: the messages as they came, with
 * their enum values by the names the human output uses (`online`, not
 * `SERVER_STATE_ONLINE`). The rollout commands print the engine's views, named so already.
 */

/** pending-enrollment, online, offline; an enrolled server not heard from yet: enrolled. */
export function serverState(server: Server): string {
  switch (server.state) {
    case 'SERVER_STATE_PENDING_ENROLLMENT':
      return 'pending-enrollment';
    case 'SERVER_STATE_ONLINE':
      return 'online';
    case 'SERVER_STATE_OFFLINE':
      return 'offline';
    default:
      return server.enrolledAt ? 'enrolled' : 'unknown';
  }
}

/** ok, degraded, unhealthy; unknown when not reported. */
export function healthName(level: HealthLevel): string {
  return level === 'HEALTH_LEVEL_UNSPECIFIED' ? 'unknown' : level.replace('HEALTH_LEVEL_', '').toLowerCase();
}

/** current, canary; unknown when not reported. */
export function siteLinkName(link: SiteLink): string {
  return link === 'SITE_LINK_UNSPECIFIED' ? 'unknown' : link.replace('SITE_LINK_', '').toLowerCase();
}

export function serverJson(server: Server) {
  return { ...server, state: serverState(server) };
}

export function siteJson(site: Site) {
  return { ...site, link: siteLinkName(site.link), health: healthName(site.health) };
}

export function fleetSiteJson(fleetSite: FleetSite) {
  return { server: fleetSite.server, site: fleetSite.site ? siteJson(fleetSite.site) : null };
}
