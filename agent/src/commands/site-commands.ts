import { describeError, StateError } from '@wofleet/shared';
import type { Engine } from '../engine.js';
import { sharedAmong } from '../layout/shared-sites.js';
import { sitesOnDisk } from '../sites/disk-sites.js';
import { createSite } from '../sites/create.js';
import { convertSite } from '../sites/convert.js';
import { planConvert, type ConvertPlan } from '../sites/convert-plan.js';
import { removeSite, type RemoveResult } from '../sites/remove.js';
import { revertSite, type RevertResult } from '../sites/revert.js';
import type { SiteCreateFlags } from '../sites/wordops.js';
import { removeTree } from '../releases/index.js';
import { rm } from 'node:fs/promises';
import { requireState } from '../state/store.js';
import { withServerLock } from './mutation.js';
import { EVENT_TYPE } from '../events/types.js';
import { listCommand } from './list.js';
import { toWireSite } from './site-wire.js';

export interface SiteSummary {
  domain: string;
  release: string;
  version: string;
  backupDir?: string;
  dbUpgraded: boolean;
  sharedAdded: string[];
}

function summarise(plan: ConvertPlan, backupDir: string): SiteSummary {
  return {
    domain: plan.domain,
    release: plan.release.id,
    version: plan.release.version,
    backupDir,
    dbUpgraded: plan.dbUpgrade,
    sharedAdded: plan.content.filter((c) => c.action === 'move-to-shared').map((c) => `${c.kind}/${c.name}`),
  };
}

/** The site's facts for its event (PHP, cache, SSL, health, disk bytes): the controller stores them as they are. */
async function siteFacts(engine: Engine, domain: string) {
  try {
    const [row] = await listCommand(engine, { only: domain });
    return row && toWireSite(row);
  } catch (err) {
    // The site is made; the event still goes out, and the next sync brings the facts.
    engine.log.warn({ domain, err: describeError(err) }, 'site facts unavailable for the event');
    return undefined;
  }
}

export async function createCommand(engine: Engine, domain: string, flags: SiteCreateFlags): Promise<SiteSummary> {
  return withServerLock(engine, `create ${domain}`, async () => {
    await requireState(engine.layout);
    const { plan, backupDir } = await createSite(engine, domain, flags);
    await engine.events.emit(EVENT_TYPE.siteCreated, { domain, release: plan.release.id, site: await siteFacts(engine, domain) });
    return summarise(plan, backupDir);
  });
}

export async function convertCommand(engine: Engine, domain: string, options: { dryRun?: boolean }): Promise<SiteSummary | ConvertPlan> {
  if (options.dryRun) {
    await requireState(engine.layout);
    return planConvert(engine, domain);
  }
  return withServerLock(engine, `convert ${domain}`, async () => {
    await requireState(engine.layout);
    const { plan, backupDir } = await convertSite(engine, domain);
    await engine.events.emit(EVENT_TYPE.siteConverted, { domain, release: plan.release.id, site: await siteFacts(engine, plan.domain) });
    return summarise(plan, backupDir);
  });
}

export async function revertCommand(engine: Engine, domain: string): Promise<RevertResult> {
  return withServerLock(engine, `convert --revert ${domain}`, async () => {
    await requireState(engine.layout);
    const result = await revertSite(engine, domain);
    await engine.events.emit(EVENT_TYPE.siteReverted, { domain });
    return result;
  });
}

export async function removeCommand(engine: Engine, domain: string): Promise<RemoveResult> {
  return withServerLock(engine, `remove ${domain}`, async () => {
    await requireState(engine.layout);
    const result = await removeSite(engine, domain);
    await engine.events.emit(EVENT_TYPE.siteRemoved, { domain });
    return result;
  });
}

/** `remove --all`: the shared infrastructure itself, only once no site uses it, by WordOps' word and the disk's. */
export async function removeAllCommand(engine: Engine): Promise<{ removed: string[] }> {
  return withServerLock(engine, 'remove --all', async () => {
    await requireState(engine.layout);
    const listed = await engine.wo.listSites();
    const unlisted = (await sitesOnDisk(engine)).filter((domain) => !listed.includes(domain));
    if (unlisted.length > 0) {
      throw new StateError(
        `'wo site list' does not list ${unlisted.length} site(s) the disk has in ${engine.config.sitesRoot}: ${unlisted.join(', ')}; refusing to remove the shared core while WordOps and the disk disagree (check 'wo site list' and /var/log/wo/wordops.log)`,
      );
    }
    const sites = await sharedAmong(engine, listed);
    if (sites.length > 0) {
      throw new StateError(
        `${sites.length} site(s) still use the shared core: ${sites.map((s) => s.domain).join(', ')} (remove or revert them first)`,
      );
    }
    await removeTree(engine.layout.sharedRoot);
    await rm(engine.layout.stateFile, { force: true });
    return { removed: [engine.layout.sharedRoot, engine.layout.stateFile] };
  });
}
