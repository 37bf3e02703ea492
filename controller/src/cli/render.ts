import type { AgentStatus, CatalogRelease, FleetSite, ReleaseSummary, Server } from '@wofleet/proto';
import { formatBytes, formatDigest } from '@wofleet/shared';
import { healthName, serverState } from './json-view.js';
import { table } from './output.js';

/** Human renderings of ControllerService answers. */

export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '-';
}

export function renderServers(servers: readonly Server[]): string[] {
  if (servers.length === 0) return ['no servers'];
  return table(
    ['NAME', 'ADDRESS', 'STATE', 'VERSION', 'CANARY', 'RELEASE', 'SITES', 'LAST SEEN', 'LABELS'],
    servers.map((s) => [
      s.name,
      s.address,
      serverState(s),
      s.agentVersion || '-',
      s.canary ? 'yes' : '-',
      s.current ? `${s.current.version} (${s.current.id})` : '-',
      String(s.sites),
      s.lastSeenAt || '-',
      formatLabels(s.labels),
    ]),
  );
}

export function renderServer(s: Server): string[] {
  return [
    `name:          ${s.name}`,
    `address:       ${s.address}`,
    `state:         ${serverState(s)}`,
    `canary:        ${s.canary ? 'yes' : 'no'}`,
    `labels:        ${formatLabels(s.labels)}`,
    `enrolled:      ${s.enrolledAt || 'not yet'}`,
    `certificate:   ${s.certificateFingerprint ? `SHA256 ${s.certificateFingerprint}` : '-'}`,
    `last seen:     ${s.lastSeenAt || 'never'}`,
    `agent version: ${s.agentVersion || '-'}`,
    `release:       ${s.current ? `${s.current.version} (${s.current.id})` : '-'}`,
    `sites:         ${s.sites}`,
  ];
}

export function renderReleases(releases: readonly CatalogRelease[]): string[] {
  if (releases.length === 0) return ['no releases in the catalog'];
  return table(
    ['VERSION', 'DIGEST', 'URL', 'ADDED'],
    releases.map((r) => [r.version, r.digest ? formatDigest(r.digest) : '-', r.url || '(mirror)', r.addedAt]),
  );
}

export function renderSites(sites: readonly FleetSite[]): string[] {
  if (sites.length === 0) return ['no sites'];
  return table(
    ['SERVER', 'DOMAIN', 'VERSION', 'RELEASE', 'PHP', 'CACHE', 'SSL', 'HEALTH', 'DISK'],
    sites.map(({ server, site }) => [
      server,
      site?.domain ?? '?',
      site?.version || '-',
      site?.release || '-',
      site?.php || '-',
      site?.cache || '-',
      site?.ssl ? 'yes' : 'no',
      site ? healthName(site.health) : 'unknown',
      site?.diskBytes ? formatBytes(site.diskBytes) : '-',
    ]),
  );
}

/** An agent's GetStatus answer (`servers show --live`). */
export function renderAgentStatus(st: AgentStatus): string[] {
  const release = (r: ReleaseSummary | null) => (r ? `${r.version} (${r.id})` : '-');
  const h = st.health;
  return [
    `agent version: ${st.agentVersion || '-'}, up ${st.uptimeSeconds}s`,
    `current:       ${release(st.current)}`,
    `canary:        ${release(st.canary)}${st.canarySite ? ` on ${st.canarySite}` : ''}`,
    `previous:      ${release(st.previous)}`,
    `releases:      ${st.releases}`,
    `sites:         ${st.sites}${h ? ` (healthy ${h.healthy}, degraded ${h.degraded}, unhealthy ${h.unhealthy})` : ''}`,
    `disk free:     ${st.disk ? `${Math.floor(st.disk.freeBytes / 1_048_576)} MiB` : '-'}`,
  ];
}
