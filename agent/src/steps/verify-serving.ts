import type { Engine } from '../engine.js';
import { waitUntilServing } from '../health/serving.js';
import type { Step } from './runner.js';
import { purgeSharedSitesPageCache } from './switch.js';

/**
 * verify-serving: a switch is done only when every site serves the target core
 * and DB schema and passes the serving proof on it (health/serving.ts). Then the page
 * cache is purged once more: a page whose render began on the old core before the
 * switch and ended after the switch's purge was stored by nginx after that purge. Nothing
 * to undo: the steps before it undo themselves.
 */
export const VERIFY_SERVING = { name: 'verify' } as const;

export interface VerifyServingContext {
  engine: Engine;
  sites: readonly { domain: string }[];
  to: { id: string; version: string; dbVersion: number };
}

export function verifyServingStep<C extends VerifyServingContext>(description: string): Step<C> {
  return {
    ...VERIFY_SERVING,
    description,
    async run({ engine, sites, to }) {
      await waitUntilServing(
        engine,
        sites.map((s) => s.domain),
        { wpVersion: to.version, dbVersion: to.dbVersion, release: to.id },
      );
      await purgeSharedSitesPageCache(engine, 'verified');
    },
  };
}
