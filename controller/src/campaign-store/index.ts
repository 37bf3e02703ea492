import type { CampaignRepository, CampaignWriter } from '../campaigns/repository.js';
import type { Database } from '../db/database.js';
import { serverSummariesDigest } from '../db/servers.js';
import { findCatalogRelease, listFleetServers, listFleetSites } from './fleet-reads.js';
import { acquireLease, releaseLease } from './lease.js';
import { findActiveCampaignsOf, listCampaignIds, loadCampaign, lockCampaign, readCampaignHead, readCampaignState } from './queries.js';
import { insertCampaign, writeCampaignState, writeTargetState, writeWaveState } from './state-writes.js';
import { createStepTargetWrites } from './target-writes.js';

export interface CampaignStoreOptions {
  /** Where campaign webhooks go: each notable transition queues one delivery per URL (none: no webhooks). */
  webhookUrls?: readonly string[];
}

/** The campaign engine's repository on the drizzle Database: Postgres or PGlite alike. */
export function createCampaignRepository(db: Database, options: CampaignStoreOptions = {}): CampaignRepository {
  const webhookUrls = options.webhookUrls ?? [];
  return {
    findRelease: (version) => findCatalogRelease(db, version),
    listServers: (labels) => listFleetServers(db, labels),
    serversDigest: () => serverSummariesDigest(db),
    listSites: (filter) => listFleetSites(db, filter),
    insertCampaign: (plan, createdBy, now) => insertCampaign(db, plan, createdBy, now, webhookUrls),
    loadCampaign: (id) => loadCampaign(db, id),
    readCampaignState: (id) => readCampaignState(db, id),
    listCampaignIds: (filter, page) => listCampaignIds(db, filter, page),
    readCampaignHead: (id) => readCampaignHead(db, id),
    findActiveCampaignsOf: (servers) => findActiveCampaignsOf(db, servers),
    withCampaignLocked: (id, work) =>
      db.transaction(async (tx) => {
        const lock = await lockCampaign(tx, id);
        return work(lock, writerIn(tx, webhookUrls));
      }),
    acquireLease: (id, holder, leaseMs, mode) => acquireLease(db, id, holder, leaseMs, mode),
    releaseLease: (id, holder, token) => releaseLease(db, id, holder, token),
  };
}

function writerIn(tx: Database, webhookUrls: readonly string[]): CampaignWriter {
  const writeStepTarget = createStepTargetWrites(tx);
  return {
    campaignState: (id, change, actor, now) => writeCampaignState(tx, id, change, actor, now, webhookUrls),
    waveState: (campaignId, index, state, actor, now) => writeWaveState(tx, campaignId, index, state, actor, now, webhookUrls),
    targetState: (target, state, patch, actor, now) => writeTargetState(tx, target, state, patch, actor, now),
    stepTargetState: (target, state, patch, actor, now) => writeStepTarget({ target, state, patch, actor, now }),
  };
}

// The SQL itself, for tests that set a campaign's state or lease directly.
export { acquireLease, LEASE_TAKEOVER_AUDIT_KIND } from './lease.js';
export { writeCampaignState, writeTargetState, writeWaveState } from './state-writes.js';
