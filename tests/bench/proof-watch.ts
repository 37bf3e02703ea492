import { type Engine, proveSite } from '@wofleet/agent';
import type { LoadHandle } from '../support/load.js';

export interface ProvenTimes {
  /** Per site: load-clock time when its first passing serving proof completed. */
  perSite: Record<string, number | undefined>;
  /** Proofs run per site until one passed. */
  attempts: Record<string, number>;
}

/**
 * From the switch on, runs the agent's own serving proof of each site back to back (one
 * in flight per site) until one passes on `version`, or `capMs` passes: the time every
 * site serves the new core, as the agent itself decides it. Only the core is expected:
 * the DB upgrade runs after the switch and a front page renders before it.
 */
export async function proveUntilServing(
  engine: Engine,
  load: LoadHandle,
  sites: readonly string[],
  version: string,
  capMs: number,
): Promise<ProvenTimes> {
  const deadline = load.now() + capMs;
  const perSite: Record<string, number | undefined> = {};
  const attempts: Record<string, number> = {};
  await Promise.all(
    sites.map(async (site) => {
      attempts[site] = 0;
      while (load.now() < deadline) {
        attempts[site] += 1;
        const proof = await proveSite(engine, site, { wpVersion: version });
        if (proof.ok) {
          perSite[site] = load.now();
          return;
        }
      }
    }),
  );
  return { perSite, attempts };
}
