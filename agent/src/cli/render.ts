import type { HealthResult } from '../commands/health.js';
import type { ReleaseSummary } from '../commands/inspect.js';
import type { SiteRow } from '../commands/list.js';
import type { ReleaseRow } from '../commands/releases.js';
import type { StatusResult } from '../commands/status.js';
import { formatBytes } from '@wofleet/shared';
import { table } from './output.js';

const rel = (r?: ReleaseSummary) => (r ? `${r.id} (WordPress ${r.version}, db ${r.dbVersion})` : '(none)');

export function renderStatus(s: StatusResult): string[] {
  const lines = [
    `current:   ${rel(s.current)}`,
    `canary:    ${rel(s.canary)}${s.canarySite ? ` [site ${s.canarySite}]` : ''}`,
    `previous:  ${rel(s.previous)}`,
    `releases:  ${s.releases}`,
    `sites:     ${s.sites} (${s.health.healthy} healthy, ${s.health.degraded} degraded, ${s.health.unhealthy} unhealthy)`,
  ];
  if (s.lastUpdate)
    lines.push(`last update: ${s.lastUpdate.from} -> ${s.lastUpdate.to}: ${s.lastUpdate.outcome} (${s.lastUpdate.startedAt})`);
  lines.push(
    `disk:      shared core ${formatBytes(s.disk.sharedCoreBytes)} (current release ${formatBytes(s.disk.currentReleaseBytes)})`,
    `           one core copy per site would take ${formatBytes(s.disk.oneCopyPerSiteBytes)}; saved ${formatBytes(s.disk.savedBytes)}`,
    `           convert backups ${formatBytes(s.disk.backupsBytes)}`,
    `           DB snapshots: ${s.disk.snapshots.dumps} dump(s), ${formatBytes(s.disk.snapshots.bytes)}`,
  );
  for (const [domain, bytes] of Object.entries(s.disk.perSiteBytes)) lines.push(`           ${domain}: ${formatBytes(bytes)}`);
  const { operations, outbox } = s.quarantined;
  if (operations + outbox > 0) {
    lines.push(`quarantined: ${operations + outbox} damaged file(s) moved aside (operation journal ${operations}, event outbox ${outbox})`);
  }
  return lines;
}

export function renderSites(rows: SiteRow[]): string[] {
  if (rows.length === 0) return ['no shared-core sites'];
  return table(
    ['DOMAIN', 'PHP', 'CACHE', 'SSL', 'DISK', 'RELEASE', 'HEALTH'],
    rows.map((r) => [
      r.domain,
      r.php || '-',
      r.cache || '-',
      r.ssl ? 'yes' : 'no',
      formatBytes(r.diskBytes),
      `${r.release ?? '?'}${r.link === 'canary' ? ' (canary)' : ''}`,
      r.problem ? `${r.health}: ${r.problem}` : r.health,
    ]),
  );
}

export function renderReleases(rows: ReleaseRow[]): string[] {
  if (rows.length === 0) return ['no releases'];
  return table(
    ['RELEASE', 'VERSION', 'DB', 'STAGED', 'SIZE', 'MARKS'],
    rows.map((r) => [r.id, r.version, String(r.dbVersion), r.stagedAt, formatBytes(r.bytes), r.marks.join(',')]),
  );
}

export function renderHealth(h: HealthResult): string[] {
  const mark = { ok: 'ok  ', degraded: 'WARN', unhealthy: 'FAIL' } as const;
  return [...h.checks.map((c) => `${mark[c.level]}  ${c.name}: ${c.detail}`), `overall: ${h.level}`];
}
