import type { CatalogRelease, FleetServer, FleetSite } from '../campaigns/repository.js';
import type { Database } from '../db/database.js';
import { listReleases } from '../db/releases.js';
import { listServerSummaries } from '../db/servers.js';
import { listSites } from '../db/sites.js';

/** What the engine reads of the release catalog and the inventory. */

export async function findCatalogRelease(db: Database, version: string): Promise<CatalogRelease | undefined> {
  const release = (await listReleases(db)).find((r) => r.version === version);
  return (
    release && { version: release.version, url: release.url ?? '', digest: { algorithm: release.digestAlgorithm, hex: release.digestHex } }
  );
}

export async function listFleetServers(db: Database, labels: Readonly<Record<string, string>> = {}): Promise<FleetServer[]> {
  return (await listServerSummaries(db, { ...labels })).map((row) => ({ ...row, agentVersion: row.agentVersion ?? undefined }));
}

export async function listFleetSites(db: Database, filter: { server?: string; domain?: string }): Promise<FleetSite[]> {
  return (await listSites(db, filter)).map((row) => ({ server: row.server, domain: row.domain, ssl: row.ssl }));
}
