import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { compareVersions, NotFoundError, StateError } from '@wofleet/shared';
import { sitePaths, type SitePaths } from '../config/paths.js';
import { linkedRelease, siteCoreLink } from '../layout/links.js';
import { walkTree } from '../disk/disk-usage.js';
import type { Engine } from '../engine.js';
import { readRelease, readVersionFile, type ReleaseInfo } from '../releases/index.js';
import { readDbVersion } from '../db/snapshot.js';

export type ContentKind = 'plugins' | 'themes' | 'mu-plugins';
export interface ContentItem {
  kind: ContentKind;
  name: string;
  /** use-shared: the site's own copy differs and is left in the backup; the shared one serves the site. */
  action: 'move-to-shared' | 'already-shared' | 'use-shared' | 'conflict';
  reason?: string;
}

export interface ConvertPlan {
  domain: string;
  paths: SitePaths;
  release: ReleaseInfo;
  siteVersion: string;
  siteDbVersion: number;
  dbUpgrade: boolean;
  coreEntries: string[];
  configMovedUp: boolean;
  contentDirs: ContentKind[];
  content: ContentItem[];
  conflicts: string[];
}

/** The release `current` points at; a server without one has not run `init`. */
export async function requireCurrentRelease(engine: Engine): Promise<ReleaseInfo> {
  const currentId = await linkedRelease(engine.layout, 'current');
  if (!currentId) throw new StateError(`shared core has no current release: run 'init' first`);
  return readRelease(engine.layout, currentId);
}

export interface ConvertOptions {
  /** A site `create` just made: where the shared tree holds another version of a plugin or theme, use the shared one. */
  newSite?: boolean;
}

const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

/**
 * Look at a traditional WordOps site (its own core copy) and work out what
 * converting it would do, without changing anything: this is `convert --dry-run`.
 */
export async function planConvert(engine: Engine, domain: string, options: ConvertOptions = {}): Promise<ConvertPlan> {
  const paths = sitePaths(engine.config, domain);
  if (!(await engine.wo.siteInfo(domain))) throw new NotFoundError(`unknown site ${domain}: 'wo site info' does not know it`);
  if (await siteCoreLink(engine.layout, paths)) throw new StateError(`${domain} already runs on the shared core`);
  const versionFile = path.join(paths.htdocs, 'wp-includes', 'version.php');
  if (!(await exists(versionFile))) throw new StateError(`${domain} is not a WordPress site with its own core (no ${versionFile})`);
  const release = await requireCurrentRelease(engine);
  const site = await readVersionFile(versionFile);
  if (compareVersions(site.version, release.version) > 0) {
    throw new StateError(
      `${domain} runs WordPress ${site.version}, newer than the shared core ${release.version}: update the shared core first`,
    );
  }

  const configMovedUp = !(await exists(paths.config));
  if (configMovedUp && !(await exists(path.join(paths.htdocs, 'wp-config.php')))) {
    throw new StateError(`${domain} has no wp-config.php above or in htdocs`);
  }
  const releaseTop = new Set(await readdir(release.path));
  const coreEntries = (await readdir(paths.htdocs)).filter((n) => n !== 'wp-content' && releaseTop.has(n)).sort();

  const content: ContentItem[] = [];
  const contentDirs: ContentKind[] = [];
  for (const kind of ['plugins', 'themes', 'mu-plugins'] as const) {
    const siteDir = path.join(paths.wpContent, kind);
    if (!(await exists(siteDir))) continue;
    contentDirs.push(kind);
    for (const name of (await readdir(siteDir)).sort()) {
      if (name === 'index.php') continue;
      const item = await classifyContent(path.join(siteDir, name), path.join(engine.layout.wpContent, kind, name), kind, name);
      const sharedDiffers = item.action === 'conflict' && kind !== 'mu-plugins';
      content.push(
        options.newSite && sharedDiffers ? { kind, name, action: 'use-shared', reason: 'the shared tree has another version' } : item,
      );
    }
  }
  const conflicts = content.filter((c) => c.action === 'conflict').map((c) => `${c.kind}/${c.name}: ${c.reason}`);
  const siteDbVersion = await readDbVersion(engine, domain);
  return {
    domain,
    paths,
    release,
    siteVersion: site.version,
    siteDbVersion,
    dbUpgrade: siteDbVersion !== release.dbVersion,
    coreEntries,
    configMovedUp,
    contentDirs,
    content,
    conflicts,
  };
}

async function classifyContent(siteItem: string, sharedItem: string, kind: ContentKind, name: string): Promise<ContentItem> {
  if (!(await exists(sharedItem))) {
    // A must-use plugin runs on every site that shares the directory: never share one silently.
    if (kind === 'mu-plugins') return { kind, name, action: 'conflict', reason: 'site-only must-use plugin would run on every site' };
    return { kind, name, action: 'move-to-shared' };
  }
  const [a, b] = await Promise.all([hashTree(siteItem), hashTree(sharedItem)]);
  if (a === b) return { kind, name, action: 'already-shared' };
  return { kind, name, action: 'conflict', reason: 'the shared tree has a different version' };
}

/** Content hash of a file or directory tree: relative paths and bytes, in a fixed order. */
async function hashTree(root: string): Promise<string> {
  const files: string[] = [];
  await walkTree(root, (file, kind) => {
    if (kind === 'file') files.push(file);
  });
  const hash = createHash('sha256');
  for (const file of files.sort()) {
    hash
      .update(path.relative(root, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex');
}
