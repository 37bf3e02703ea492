import { describeError } from '@wofleet/shared';
import { statusCommand, type StatusResult } from '../commands/status.js';
import type { Engine } from '../engine.js';

export interface StatusCache {
  /** The latest status; computed on first use, then refreshed in the background. */
  get(): Promise<StatusResult>;
  /** Recompute now (after a mutation); concurrent callers share one run. */
  refresh(): Promise<StatusResult>;
  /** Recompute all but the disk figures (for the periodic health pass). */
  refreshLight(): Promise<StatusResult>;
}

/**
 * A full status probes every site and measures disk usage: far too slow to do per
 * RPC when a controller polls a fleet. The daemon keeps the latest one, refreshed
 * with each health pass and after every mutation, so GetStatus answers from memory.
 */
export function createStatusCache(engine: Engine): StatusCache {
  let latest: StatusResult | undefined;
  let running: Promise<StatusResult> | undefined;
  const run = (light: boolean) =>
    (running ??= statusCommand(engine, { reuseDisk: light ? latest?.disk : undefined })
      .then((s) => {
        latest = s;
        return s;
      })
      .finally(() => {
        running = undefined;
      }));
  // Filled at start-up, then refreshed by the health monitor's passes and after mutations.
  const refresh = () => run(false);
  refresh().catch((err: unknown) => engine.log.warn({ err: describeError(err) }, 'status refresh failed'));
  return {
    get: () => (latest ? Promise.resolve(latest) : refresh()),
    refresh,
    refreshLight: () => run(true),
  };
}
