import {
  SERVER_STATE,
  type AuditEventInput,
  type CatalogReleaseInput,
  type FleetCertificateInput,
  type FleetSiteInput,
  type HealthLevel,
  type ServerInput,
  type ServerState,
} from '@wofleet/proto';
import type { AuditListing, CertificateListing, FleetSiteRow, Health, ReleaseRow, ServerListing } from '../db/index.js';

/** Database rows as ControllerService messages: mapping only, no decisions. */

/**
 * The wire has no "enrolled, not heard from yet" nor "degraded" state: an enrolled
 * server without a heartbeat is UNSPECIFIED (its enrolled_at tells it apart from a
 * never-enrolled one), a degraded one ONLINE.
 */
export function toWireState(row: Pick<ServerListing, 'enrolledAt' | 'status'>): ServerState {
  if (!row.enrolledAt) return SERVER_STATE.SERVER_STATE_PENDING_ENROLLMENT;
  switch (row.status) {
    case 'online':
    case 'degraded':
      return SERVER_STATE.SERVER_STATE_ONLINE;
    case 'offline':
      return SERVER_STATE.SERVER_STATE_OFFLINE;
    default:
      return SERVER_STATE.SERVER_STATE_UNSPECIFIED;
  }
}

export function toWireServer(row: ServerListing): ServerInput {
  return {
    name: row.name,
    address: row.address,
    labels: row.labels,
    canary: row.canary,
    state: toWireState(row),
    enrolledAt: row.enrolledAt?.toISOString() ?? '',
    lastSeenAt: row.lastSeenAt?.toISOString() ?? '',
    agentVersion: row.agentVersion ?? '',
    current: row.currentRelease ? { id: row.currentRelease, version: row.currentVersion ?? '' } : null,
    sites: row.siteCount ?? 0,
    certificateFingerprint: row.certFingerprint ?? '',
    certificateNotAfter: row.certNotAfter?.toISOString() ?? '',
  };
}

export function toWireRelease(row: ReleaseRow): CatalogReleaseInput {
  return {
    version: row.version,
    url: row.url ?? '',
    digest: { algorithm: row.digestAlgorithm, hex: row.digestHex },
    addedAt: row.createdAt.toISOString(),
  };
}

const HEALTH_LEVEL: Record<Health, HealthLevel> = {
  ok: 'HEALTH_LEVEL_OK',
  degraded: 'HEALTH_LEVEL_DEGRADED',
  unhealthy: 'HEALTH_LEVEL_UNHEALTHY',
};

export function toWireSite(row: FleetSiteRow): FleetSiteInput {
  return {
    server: row.server,
    site: {
      domain: row.domain,
      php: row.php ?? '',
      cache: row.cache ?? '',
      ssl: row.ssl,
      release: row.release ?? '',
      version: row.version ?? '',
      health: row.health ? HEALTH_LEVEL[row.health] : 'HEALTH_LEVEL_UNSPECIFIED',
      diskBytes: row.diskBytes ?? 0,
    },
  };
}

export function toWireCertificate(row: CertificateListing): FleetCertificateInput {
  return {
    serial: row.serial,
    kind: row.kind,
    subject: row.subject,
    fingerprint: row.fingerprint,
    notBefore: row.notBefore.toISOString(),
    notAfter: row.notAfter.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? '',
    revokeReason: row.revokeReason ?? '',
  };
}

export function toWireAuditEvent(row: AuditListing): AuditEventInput {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    server: row.serverName ?? '',
    kind: row.kind,
    subject: row.subject,
    dataJson: JSON.stringify(row.data),
  };
}
