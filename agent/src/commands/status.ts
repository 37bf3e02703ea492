import path from 'node:path';
import { measureSnapshots } from '../db/snapshot-retention.js';
import { createDiskCounter } from '../disk/disk-usage.js';
import type { Engine } from '../engine.js';
import { countQuarantined } from '../state/quarantine.js';
import { requireState } from '../state/store.js';
import { probedSiteFacts, type SiteFacts } from './site-facts.js';
import { inspect, probeSites, summariseRelease, type ReleaseSummary, type SiteHealth, type Snapshot } from './inspect.js';

export interface StatusResult {
  current?: ReleaseSummary;
  canary?: ReleaseSummary;
  previous?: ReleaseSummary;
  canarySite?: string;
  releases: number;
  sites: number;
  health: { healthy: number; degraded: number; unhealthy: number };
  /** PHP, cache and SSL of each shared-core site, as WordOps records them. */
  siteFacts: SiteFacts[];
  lastUpdate?: { from: string; to: string; outcome: string; startedAt: string; finishedAt?: string };
  /** Damaged files moved aside (state/quarantine.ts), by where they were found. */
  quarantined: { operations: number; outbox: number };
  disk: {
    /** Releases + shared wp-content, hard links counted once. */
    sharedCoreBytes: number;
    currentReleaseBytes: number;
    perSiteBytes: Record<string, number>;
    /** What one core copy per site would take. */
    oneCopyPerSiteBytes: number;
    savedBytes: number;
    backupsBytes: number;
    /** SQL dumps of DB snapshots kept in stateDir/snapshots, and the bytes that directory takes. */
    snapshots: { dumps: number; bytes: number };
  };
}

/** `reuseDisk`: disk figures from an earlier status (the walk is the expensive part; sizes only change with mutations). */
export async function statusCommand(engine: Engine, options: { reuseDisk?: StatusResult['disk'] } = {}): Promise<StatusResult> {
  return (await statusWithProbes(engine, options)).status;
}

/** The status with the snapshot and site probes it was counted from (the daemon keeps all three: ListSites answers from them). */
export async function statusWithProbes(
  engine: Engine,
  options: { reuseDisk?: StatusResult['disk'] } = {},
): Promise<{ status: StatusResult; probes: SiteHealth[]; snap: Snapshot }> {
  const state = await requireState(engine.layout);
  const snap = await inspect(engine);
  const previous = snap.releases.find((r) => r.id === state.previous);
  const health = { healthy: 0, degraded: 0, unhealthy: 0 };
  const probes = await probeSites(engine, snap);
  for (const site of probes) {
    if (!site.ok) health.unhealthy++;
    else if (site.problem) health.degraded++;
    else health.healthy++;
  }
  const last = state.updates.at(-1);
  const base = {
    current: snap.current && summariseRelease(snap.current),
    canary: snap.canary && summariseRelease(snap.canary),
    previous: previous && summariseRelease(previous),
    canarySite: state.canarySite,
    releases: snap.releases.length,
    sites: snap.sites.length,
    health,
    siteFacts: await probedSiteFacts(engine, probes),
    lastUpdate: last && { from: last.from, to: last.to, outcome: last.outcome, startedAt: last.startedAt, finishedAt: last.finishedAt },
    quarantined: {
      operations: await countQuarantined(engine.layout.operationsDir),
      outbox: await countQuarantined(engine.layout.outboxDir),
    },
  };
  if (options.reuseDisk) return { status: { ...base, disk: options.reuseDisk }, probes, snap };
  // Real allocated sizes; one counter so an inode shared by two releases counts once.
  const shared = createDiskCounter();
  const sharedCoreBytes = (await shared.measure(engine.layout.releasesDir)) + (await shared.measure(engine.layout.wpContent));
  const currentReleaseBytes = snap.current ? await createDiskCounter().measure(snap.current.path) : 0;
  const perSiteBytes: Record<string, number> = {};
  for (const site of snap.sites) perSiteBytes[site.domain] = await siteDiskBytes(site.paths.root);
  const oneCopyPerSiteBytes = currentReleaseBytes * snap.sites.length;
  const status: StatusResult = {
    ...base,
    disk: {
      sharedCoreBytes,
      currentReleaseBytes,
      perSiteBytes,
      oneCopyPerSiteBytes,
      savedBytes: oneCopyPerSiteBytes - sharedCoreBytes,
      backupsBytes: await createDiskCounter().measure(path.join(engine.layout.backupsDir)),
      snapshots: await measureSnapshots(engine.layout),
    },
  };
  return { status, probes, snap };
}

/** Bytes a site's own directory takes (its `wp` link is not followed: the shared core is not its). */
export function siteDiskBytes(root: string): Promise<number> {
  return createDiskCounter().measure(root);
}
