import { randomUUID } from 'node:crypto';
import {
  CAMPAIGN_STATE,
  isActiveCampaignState,
  ServerInActiveCampaignError,
  TARGET_STATE,
  WAVE_STATE,
  type CampaignEvent,
  type CampaignRepository,
} from '../src/campaigns/index.js';
import {
  CAMPAIGN_AUDIT_KIND,
  type CampaignRecord,
  type CampaignRow,
  type CampaignWriter,
  type CatalogRelease,
  type FleetServer,
  type FleetSite,
  type TargetRow,
  type WaveRow,
} from '../src/campaigns/repository.js';

/**
 * The campaign engine's repository in memory, for the engine unit tests: the same
 * contract as campaign-store/ on Postgres (one server in at most one active campaign,
 * fenced leases that expire on the clock, all-or-nothing transactions that hold the
 * campaign's lock, an audit row per transition), without a database.
 */
export interface MemoryRepository extends CampaignRepository {
  addRelease(release: CatalogRelease): void;
  addServer(server: Omit<FleetServer, 'labels'> & { labels?: Record<string, string> }): void;
  addSite(site: FleetSite): void;
  setServerStatus(name: string, status: FleetServer['status']): void;
  removeServer(name: string): void;
  /** The audit rows written, oldest first. */
  audit(): ReadonlyArray<{ actor: string; kind: string; subject: string; event: CampaignEvent }>;
}

interface Lease {
  holder: string | null;
  token: number;
  expiresAt: number;
}

interface Data {
  campaigns: Map<string, { row: CampaignRow; lease: Lease }>;
  waves: WaveRow[];
  targets: TargetRow[];
  audit: Array<{ actor: string; kind: string; subject: string; event: CampaignEvent }>;
}

/** `leaseClock`: the store's own time, which lease expiry follows (Postgres: its now(), not the controller's clock). */
export function createMemoryRepository(leaseClock: () => number): MemoryRepository {
  let data: Data = { campaigns: new Map(), waves: [], targets: [], audit: [] };
  const releases: CatalogRelease[] = [];
  const servers: Array<FleetServer & { labels: Record<string, string> }> = [];
  const sites: FleetSite[] = [];
  let lock: Promise<void> = Promise.resolve();

  /** Runs `work` on a copy of the data, committed when it succeeds, one transaction at a time. */
  async function transaction<T>(work: (draft: Data) => Promise<T>): Promise<T> {
    const previous = lock;
    let release = () => {};
    lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      const draft = structuredClone(data);
      const result = await work(draft);
      data = draft;
      return result;
    } finally {
      release();
    }
  }

  function audited(draft: Data, event: Omit<CampaignEvent, 'at'>, actor: string, now: Date): CampaignEvent {
    const full: CampaignEvent = { ...event, at: now.toISOString() };
    draft.audit.push({ actor, kind: CAMPAIGN_AUDIT_KIND[event.scope], subject: event.server ?? event.campaignId, event: full });
    return full;
  }

  /** The partial unique index: a server's active target rows belong to one campaign. */
  function checkOneActiveCampaign(draft: Data, message: string): void {
    const holder = new Map<string, string>();
    for (const t of draft.targets) {
      if (!t.active) continue;
      const other = holder.get(t.server);
      if (other !== undefined && other !== t.campaignId) throw new ServerInActiveCampaignError(message);
      holder.set(t.server, t.campaignId);
    }
  }

  function writerIn(draft: Data): CampaignWriter {
    return {
      async campaignState(id, change, actor, now) {
        const campaign = draft.campaigns.get(id);
        if (campaign) {
          const active = isActiveCampaignState(change.state);
          Object.assign(campaign.row, { state: change.state, reason: change.reason, updatedAt: now, finishedAt: active ? null : now });
          for (const t of draft.targets) if (t.campaignId === id) t.active = active;
          checkOneActiveCampaign(draft, `a server of campaign ${id} is now in another active campaign`);
        }
        return audited(draft, { campaignId: id, scope: 'campaign', state: change.state, reason: change.reason ?? undefined }, actor, now);
      },
      async waveState(campaignId, index, state, actor, now) {
        const wave = draft.waves.find((w) => w.campaignId === campaignId && w.index === index);
        if (wave) {
          wave.state = state;
          if (state === WAVE_STATE.running) wave.startedAt = now;
          if (state !== WAVE_STATE.running && state !== WAVE_STATE.pending) wave.finishedAt = now;
        }
        return audited(draft, { campaignId, scope: 'wave', state, wave: index }, actor, now);
      },
      async targetState(key, state, patch, actor, now) {
        const target = draft.targets.find((t) => t.campaignId === key.campaignId && t.server === key.server);
        if (target) Object.assign(target, patch, { state, updatedAt: now });
        const event = { campaignId: key.campaignId, scope: 'target' as const, state, wave: key.wave, server: key.server };
        return audited(draft, { ...event, reason: patch.reason ?? undefined }, actor, now);
      },
      async stepTargetState(key, state, patch, actor, now) {
        return servers.some((s) => s.name === key.server) ? this.targetState(key, state, patch, actor, now) : undefined;
      },
    };
  }

  function record(id: string): CampaignRecord | undefined {
    const campaign = data.campaigns.get(id);
    if (!campaign) return undefined;
    return structuredClone({
      campaign: campaign.row,
      waves: data.waves.filter((w) => w.campaignId === id).sort((a, b) => a.index - b.index),
      targets: data.targets
        .filter((t) => t.campaignId === id)
        .sort((a, b) => a.wave - b.wave || (a.server < b.server ? -1 : a.server > b.server ? 1 : 0)),
    });
  }

  const toFleetServer = ({ name, address, canary, enrolled, status, labels, agentVersion }: FleetServer): FleetServer => ({
    name,
    address,
    canary,
    enrolled,
    status,
    labels: { ...labels },
    agentVersion,
  });

  return {
    addRelease: (release) => void releases.push(release),
    addServer: (server) => void servers.push({ ...server, labels: server.labels ?? {} }),
    addSite: (site) => void sites.push(site),
    setServerStatus(name, status) {
      const server = servers.find((s) => s.name === name);
      if (server) server.status = status;
    },
    removeServer(name) {
      servers.splice(
        servers.findIndex((s) => s.name === name),
        1,
      );
    },
    audit: () => data.audit,

    findRelease: async (version) => releases.find((r) => r.version === version),
    async listServers(labels = {}) {
      return servers
        .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map(toFleetServer);
    },
    serversDigest: async () => JSON.stringify(servers.map(toFleetServer)),
    async listSites({ server, domain }) {
      return sites
        .filter((s) => (server === undefined || s.server === server) && (domain === undefined || s.domain === domain))
        .sort((a, b) => a.server.localeCompare(b.server) || a.domain.localeCompare(b.domain))
        .map((s) => ({ ...s }));
    },

    insertCampaign: (plan, createdBy, now) =>
      transaction(async (draft) => {
        const id = randomUUID();
        const row: CampaignRow = {
          id,
          state: CAMPAIGN_STATE.running,
          releaseVersion: plan.release.version,
          plan,
          createdBy,
          createdAt: now,
          updatedAt: now,
          finishedAt: null,
          reason: null,
        };
        draft.campaigns.set(id, { row, lease: { holder: null, token: 0, expiresAt: 0 } });
        for (const w of plan.waves) {
          draft.waves.push({ campaignId: id, index: w.index, state: WAVE_STATE.pending, startedAt: null, finishedAt: null });
          for (const server of w.servers) draft.targets.push(newTarget(id, server, w.index, now));
        }
        checkOneActiveCampaign(draft, 'a server of this campaign has just been taken by another active campaign: plan again');
        const event = audited(
          draft,
          { campaignId: id, scope: 'campaign', state: CAMPAIGN_STATE.running, reason: `started: ${plan.release.version}` },
          createdBy,
          now,
        );
        return { id, event };
      }),
    loadCampaign: async (id) => record(id),
    readCampaignState: async (id) => data.campaigns.get(id)?.row.state,
    async readCampaignHead(id) {
      const row = data.campaigns.get(id)?.row;
      return row && { state: row.state, updatedAt: row.updatedAt };
    },
    async listCampaignIds(filter, page) {
      const newestFirst = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }) =>
        b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      const after = page?.after;
      return [...data.campaigns.values()]
        .map(({ row }) => row)
        .filter((row) => filter.active === undefined || isActiveCampaignState(row.state) === filter.active)
        .filter((row) => after === undefined || newestFirst(after, row) < 0)
        .sort(newestFirst)
        .slice(0, page?.limit)
        .map((row) => row.id);
    },
    async findActiveCampaignsOf(names) {
      return data.targets
        .filter((t) => t.active && names.includes(t.server))
        .map((t) => ({ server: t.server, campaignId: t.campaignId }))
        .sort((a, b) => (a.server < b.server ? -1 : 1));
    },
    withCampaignLocked: (id, work) =>
      transaction(async (draft) => {
        const campaign = draft.campaigns.get(id);
        const lock = campaign && { state: campaign.row.state, leaseHolder: campaign.lease.holder, leaseToken: campaign.lease.token };
        return work(lock, writerIn(draft));
      }),
    acquireLease: (id, holder, leaseMs, mode) =>
      transaction(async (draft) => {
        const campaign = draft.campaigns.get(id);
        const now = leaseClock();
        if (!campaign) return undefined;
        const { lease } = campaign;
        const mine = lease.holder === holder;
        if (mode === 'renew' ? !mine : !mine && lease.holder !== null && lease.expiresAt >= now) return undefined;
        if (mode === 'start') lease.token++;
        lease.holder = holder;
        lease.expiresAt = now + leaseMs;
        return lease.token;
      }),
    releaseLease: (id, holder, token) =>
      transaction(async (draft) => {
        const lease = draft.campaigns.get(id)?.lease;
        if (lease && lease.holder === holder && lease.token === token) Object.assign(lease, { holder: null, expiresAt: 0 });
      }),
  };
}

/** A target as a new campaign has it: pending, nothing recorded yet. */
export function newTarget(campaignId: string, server: string, wave: number, now: Date): TargetRow {
  return {
    campaignId,
    server,
    wave,
    state: TARGET_STATE.pending,
    active: true,
    switched: false,
    failedAt: null,
    operationId: null,
    fromRelease: null,
    fromVersion: null,
    fromDbVersion: null,
    toRelease: null,
    toDbVersion: null,
    verifyingSince: null,
    offlineSince: null,
    reason: null,
    updatedAt: now,
  };
}
