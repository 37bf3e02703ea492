import { describeError } from '@wofleet/shared';
import type { KnownSiteChecks } from '../commands/list.js';
import { statusWithProbes, type StatusResult } from '../commands/status.js';
import type { Engine } from '../engine.js';

export interface StatusCache {
  /** The latest status; computed on first use, then refreshed in the background. */
  get(): Promise<StatusResult>;
  /** The sites, their health and disk bytes from the latest status (what ListSites answers with). */
  siteChecks(): Promise<KnownSiteChecks>;
  /** Recompute now (after a mutation); concurrent callers share one run. */
  refresh(): Promise<StatusResult>;
  /** Recompute all but the disk figures (for the periodic health pass). */
  refreshLight(): Promise<StatusResult>;
  /** Resolves once no refresh is running (whatever its outcome); starts none. */
  idle(): Promise<void>;
}

/**
 * A full status probes every site and measures disk usage: far too slow to do per
 * RPC when a controller polls a fleet. The daemon keeps the latest one, refreshed
 * with each health pass and after every mutation, so GetStatus and ListSites answer from memory.
 */
export function createStatusCache(engine: Engine): StatusCache {
  let latest: { status: StatusResult; checks: KnownSiteChecks } | undefined;
  let running: Promise<StatusResult> | undefined;
  const run = (light: boolean) =>
    (running ??= statusWithProbes(engine, { reuseDisk: light ? latest?.status.disk : undefined })
      .then(({ status, probes, snap }) => {
        latest = {
          status,
          checks: { snapshot: snap, health: new Map(probes.map((p) => [p.domain, p])), diskBytes: status.disk.perSiteBytes },
        };
        return status;
      })
      .finally(() => {
        running = undefined;
      }));
  // Filled at start-up, then refreshed by the health monitor's passes and after mutations.
  const refresh = () => run(false);
  refresh().catch((err: unknown) => engine.log.warn({ err: describeError(err) }, 'status refresh failed'));
  const current = async () => {
    if (!latest) await refresh();
    return latest as NonNullable<typeof latest>;
  };
  return {
    get: async () => (await current()).status,
    siteChecks: async () => (await current()).checks,
    refresh,
    refreshLight: () => run(true),
    idle: () =>
      (running ?? Promise.resolve()).then(
        () => undefined,
        () => undefined,
      ),
  };
}
