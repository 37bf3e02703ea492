import { describeError, UsageError } from '@wofleet/shared';
import type { Engine } from '../engine.js';
import type { SharedSite } from '../sites/inventory.js';

/** `--canary auto` / ActivateRequest.canary_site "auto": the site with the most active plugins. */
export const CANARY_AUTO = 'auto';

/**
 * The site an update switches and proves first: the one asked for; else (nothing asked,
 * or "auto") the server's configured `canarySite`, when asked for nothing; else the
 * shared-core site with the most active plugins, the likeliest to break on a new core
 * (ties: the first by name).
 */
export async function chooseCanary(
  engine: Engine,
  requested: string | undefined,
  sites: readonly SharedSite[],
): Promise<string | undefined> {
  const names = sites.map((s) => s.domain);
  if (requested !== undefined && requested !== CANARY_AUTO) {
    if (!names.includes(requested)) {
      throw new UsageError(`--canary ${requested} is not a shared-core site on this server (sites: ${names.join(', ') || 'none'})`);
    }
    return requested;
  }
  const configured = engine.config.canarySite;
  if (requested === undefined && configured !== undefined) {
    if (names.includes(configured)) return configured;
    engine.progress(`the configured canary site ${configured} is not a shared-core site here: choosing one`);
  }
  return mostPlugins(engine, names);
}

async function mostPlugins(engine: Engine, names: readonly string[]): Promise<string | undefined> {
  const counted = await Promise.all(
    names.map(async (domain) => {
      try {
        return { domain, plugins: (await engine.probe.report(domain)).plugins?.length ?? 0 };
      } catch (err) {
        // It cannot be proven either: the update's own checks will name it.
        engine.log.warn({ domain, err: describeError(err) }, 'canary choice: no health report');
        return { domain, plugins: -1 };
      }
    }),
  );
  counted.sort((a, b) => b.plugins - a.plugins || a.domain.localeCompare(b.domain));
  return counted[0]?.domain;
}
