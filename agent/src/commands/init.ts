import { cp, lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { StateError, UsageError, type Digest } from '@wofleet/shared';
import { normaliseModes } from '../disk/disk-usage.js';
import { linkedRelease, pointCoreLink } from '../layout/links.js';
import { reassertSharedOwnership } from '../layout/ownership.js';
import { ensureHealthToken, writeManagedFiles } from '../layout/shared-files.js';
import type { Engine } from '../engine.js';
import { listReleases, stageRelease, type ReleaseInfo } from '../releases/index.js';
import { DEFAULT_BASELINE, readBaseline, writeBaseline } from '../sites/baseline.js';
import { protectSiteConfig } from '../sites/config-block.js';
import { scanSharedSites } from '../sites/inventory.js';
import { newState, readState, writeState } from '../state/store.js';
import { applyWoPlugin, checkWoPluginTarget, type WoPluginRequest, type WoPluginResult } from '../wo-plugin/install.js';
import { withServerLock } from './mutation.js';

export interface InitOptions {
  release?: string;
  digest?: Digest;
  force?: boolean;
  /** Install or remove `wo multitenancy`; unset: leave it as it is. */
  woPlugin?: WoPluginRequest;
}

export interface InitResult {
  release: string;
  version: string;
  created: boolean;
  repaired: string[];
  woPlugin?: WoPluginResult;
}

const WP_CONTENT_DIRS = ['plugins', 'themes', 'mu-plugins', 'languages'] as const;

/**
 * Lay out the shared core (DESIGN §3). Running it again changes nothing; with
 * --force it repairs what is missing or damaged (links, managed files, state).
 */
export async function initCommand(engine: Engine, options: InitOptions): Promise<InitResult> {
  // A missing WordOps is refused before anything (even the lock's state dir) is written.
  if (options.woPlugin?.action === 'install') await checkWoPluginTarget(engine.config.woPlugin);
  return withServerLock(
    engine,
    'init',
    async () => {
      const { layout } = engine;
      const repaired: string[] = [];
      let state = await readState(layout).catch((err: unknown) => {
        if (!options.force) throw err;
        repaired.push('state file (was damaged)');
        return undefined;
      });
      const created = state === undefined && repaired.length === 0;

      for (const dir of [layout.releasesDir, layout.configDir, ...WP_CONTENT_DIRS.map((d) => path.join(layout.wpContent, d))]) {
        await mkdir(dir, { recursive: true, mode: 0o755 });
      }
      for (const dir of [layout.backupsDir, layout.snapshotsDir]) await mkdir(dir, { recursive: true, mode: 0o700 });

      const releases = await listReleases(layout);
      const currentId = await linkedRelease(layout, 'current');
      let current = releases.find((r) => r.id === currentId);
      if (!current) {
        if (state && !options.force) {
          throw new StateError(
            `shared core damaged: current ${currentId ? `points at missing or incomplete release ${currentId}` : 'link is missing'}; run 'init --force' to repair`,
          );
        }
        if (options.release) {
          engine.progress(`staging ${options.release}`);
          current = await stageRelease(
            { config: engine.config, layout, log: engine.log, run: engine.run, space: engine.space },
            { source: options.release, digest: options.digest, onProgress: engine.progress },
          );
        } else {
          current = releases.at(-1);
          if (!current) throw new UsageError('init needs --release SRC (a path, URL or version) for the first release');
        }
        await pointCoreLink(layout, 'current', current.id);
        if (state || options.force) repaired.push(`current -> ${current.id}`);
      } else if (options.release && !created) {
        engine.progress(`already initialised on ${current.id}; use 'update' to change the core`);
      }

      const canaryId = await linkedRelease(layout, 'canary');
      if (!releases.some((r) => r.id === canaryId) || canaryId === undefined) {
        await pointCoreLink(layout, 'canary', current.id);
        if (canaryId !== undefined || !created) repaired.push(`canary -> ${current.id}`);
      }

      if (created || options.force) {
        const seeded = await seedSharedContent(engine, current);
        if (seeded.length > 0 && !created) repaired.push(`wp-content: ${seeded.join(', ')}`);
      }
      const written = await writeManagedFiles(layout);
      if (written.length > 0 && !created) repaired.push(...written.map((f) => path.relative(layout.sharedRoot, f)));
      if ((await ensureHealthToken(layout, await engine.webUser())) && !created) repaired.push('health token');
      if ((await readBaseline(layout).catch(() => undefined)) === undefined) {
        await writeBaseline(layout, DEFAULT_BASELINE);
        if (!created) repaired.push('baseline.json');
      }
      if (options.force) {
        repaired.push(...(await reassertSharedOwnership(layout)).map((e) => `owner of ${e}`));
        const webUser = await engine.webUser();
        for (const site of await scanSharedSites(engine)) {
          if (await protectSiteConfig(site.paths.config, webUser)) repaired.push(`owner and mode of ${site.paths.config}`);
        }
      }
      if (!state) {
        state = newState(engine.now());
        await writeState(layout, state);
      }
      const woPlugin = options.woPlugin && (await applyWoPlugin(engine.config.woPlugin, options.woPlugin));
      return { release: current.id, version: current.version, created, repaired, ...(woPlugin && { woPlugin }) };
    },
    { initialising: true },
  );
}

/** Shared plugins and themes start as the release's own (akismet, default themes). */
async function seedSharedContent(engine: Engine, release: ReleaseInfo): Promise<string[]> {
  const seeded: string[] = [];
  for (const kind of ['plugins', 'themes'] as const) {
    const from = path.join(release.path, 'wp-content', kind);
    const to = path.join(engine.layout.wpContent, kind);
    const entries = await readdir(from).catch(() => [] as string[]);
    for (const name of entries) {
      if (name === 'index.php' && kind === 'plugins') continue;
      const target = path.join(to, name);
      if (
        await lstat(target).then(
          () => true,
          () => false,
        )
      )
        continue;
      await cp(path.join(from, name), target, { recursive: true });
      await normaliseModes(target);
      seeded.push(`${kind}/${name}`);
    }
  }
  return seeded;
}
