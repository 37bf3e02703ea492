import { readdir } from 'node:fs/promises';
import { describeError } from '@wofleet/shared';
import { linkedRelease } from '../layout/links.js';
import type { Engine } from '../engine.js';
import type { SiteReport } from '../runtime/probe.js';
import { listReleases, type ReleaseInfo } from '../releases/index.js';
import { scanSharedSites, type SharedSite } from '../sites/inventory.js';

export interface ReleaseSummary {
  id: string;
  version: string;
  dbVersion: number;
}

export const summariseRelease = (r: ReleaseInfo): ReleaseSummary => ({ id: r.id, version: r.version, dbVersion: r.dbVersion });

/** The facts read commands share: releases, what the links point at, the sites. */
export interface Snapshot {
  releases: ReleaseInfo[];
  current?: ReleaseInfo;
  canary?: ReleaseInfo;
  sites: SharedSite[];
  /** The sites root's entries when the snapshot was taken: a later listing that differs means sites came or went. */
  siteDirs: string[];
}

/** The names in the sites root, sorted: one readdir, cheap enough to check a kept snapshot against on every call. */
export async function siteDirNames(engine: Engine): Promise<string[]> {
  return (await readdir(engine.config.sitesRoot).catch(() => [] as string[])).sort();
}

export async function inspect(engine: Engine): Promise<Snapshot> {
  const releases = await listReleases(engine.layout);
  const byId = async (link: 'current' | 'canary') => {
    const id = await linkedRelease(engine.layout, link);
    return releases.find((r) => r.id === id);
  };
  // Read commands find sites by their links on disk: no `wo` process per status call.
  const siteDirs = await siteDirNames(engine);
  return { releases, current: await byId('current'), canary: await byId('canary'), sites: await scanSharedSites(engine), siteDirs };
}

export type SiteHealth =
  | { domain: string; ok: true; report: SiteReport; expected: ReleaseSummary; problem?: string }
  | { domain: string; ok: false; problem: string; expected?: ReleaseSummary };

/** Ask each site what it serves and compare with the release its link points at. */
export async function probeSites(engine: Engine, snap: Snapshot, only?: string): Promise<SiteHealth[]> {
  const sites = snap.sites.filter((s) => only === undefined || s.domain === only);
  return Promise.all(
    sites.map(async (site): Promise<SiteHealth> => {
      const release = site.link === 'canary' ? snap.canary : snap.current;
      const expected = release ? summariseRelease(release) : undefined;
      try {
        const report = await engine.probe.report(site.domain);
        if (!expected) return { domain: site.domain, ok: false, problem: `its ${site.link} link has no complete release` };
        let problem: string | undefined;
        if (report.wp_version !== expected.version) problem = `serves WordPress ${report.wp_version}, expected ${expected.version}`;
        else if (report.db_version !== expected.dbVersion) problem = `db_version ${report.db_version}, expected ${expected.dbVersion}`;
        return { domain: site.domain, ok: true, report, expected, problem };
      } catch (err) {
        return { domain: site.domain, ok: false, problem: describeError(err), expected };
      }
    }),
  );
}
