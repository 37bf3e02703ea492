import { copyFile, cp, mkdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { StateError } from '@wofleet/shared';
import { frontControllerSource } from '../layout/front-controller.js';
import { normaliseModes } from '../disk/disk-usage.js';
import { type Recipe, runRecipe } from '../steps/recipe.js';
import type { Step } from '../steps/runner.js';
import { switchStep } from '../steps/switch.js';
import { snapshotSiteDb, restoreSiteDb } from '../db/snapshot.js';
import { snapshotBatchOfBackup } from '../db/snapshot-retention.js';
import { upgradeSiteDb } from '../db/upgrade.js';
import type { Engine } from '../engine.js';
import { waitUntilServing } from '../health/serving.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { backupConfig, backupContent, backupHtdocs, createBackupDir, moveEntry, writeManifest, type BackupManifest } from './backup.js';
import { patchSiteConfig } from './config-block.js';
import { planConvert, type ConvertOptions, type ConvertPlan } from './convert-plan.js';

export interface ConvertResult {
  plan: ConvertPlan;
  backupDir: string;
}

interface ConvertContext {
  engine: Engine;
  plan: ConvertPlan;
  backupDir: string;
  manifest: BackupManifest;
  originalConfig: string;
}

/** A failed convert undoes every step it took: the site is left exactly as it was. */
const convertSteps: Step<ConvertContext>[] = [
  {
    name: 'backup-config',
    description: 'keep a copy of wp-config.php',
    async run({ plan, backupDir }) {
      const from = plan.configMovedUp ? path.join(plan.paths.htdocs, 'wp-config.php') : plan.paths.config;
      await copyFile(from, backupConfig(backupDir));
    },
  },
  {
    name: 'share-content',
    description: 'copy site-only plugins and themes into the shared tree',
    async run({ engine, plan, manifest, backupDir }) {
      for (const item of plan.content.filter((c) => c.action === 'move-to-shared')) {
        const target = path.join(engine.layout.wpContent, item.kind, item.name);
        await cp(path.join(plan.paths.wpContent, item.kind, item.name), target, { recursive: true, errorOnExist: true, force: false });
        await normaliseModes(target);
        manifest.sharedAdded.push(path.join(item.kind, item.name));
        await writeManifest(backupDir, manifest);
      }
    },
    async undo({ engine, manifest }) {
      for (const rel of manifest.sharedAdded.splice(0)) {
        await rm(path.join(engine.layout.wpContent, rel), { recursive: true, force: true });
      }
    },
  },
  {
    name: 'move-core',
    description: "move the site's own core copy into the backup",
    async run({ plan, backupDir, manifest }) {
      for (const name of plan.coreEntries) {
        await moveEntry(path.join(plan.paths.htdocs, name), path.join(backupHtdocs(backupDir), name));
        manifest.coreEntries.push(name);
        await writeManifest(backupDir, manifest);
      }
      if (plan.configMovedUp) await moveEntry(path.join(plan.paths.htdocs, 'wp-config.php'), plan.paths.config);
    },
    async undo(ctx) {
      await restoreCore(ctx.plan, ctx.backupDir, ctx.manifest);
      // PHP may have compiled the front controller at this path: serve the restored index.php now.
      await ctx.engine.fpm.resetAll();
    },
  },
  {
    name: 'link-content',
    description: 'link plugins, themes and mu-plugins to the shared tree',
    async run({ engine, plan, backupDir, manifest }) {
      for (const kind of ['plugins', 'themes', 'mu-plugins'] as const) {
        const siteDir = path.join(plan.paths.wpContent, kind);
        if (plan.contentDirs.includes(kind)) {
          await moveEntry(siteDir, path.join(backupContent(backupDir), kind));
          manifest.contentDirs.push(kind);
          await writeManifest(backupDir, manifest);
        }
        await mkdir(plan.paths.wpContent, { recursive: true });
        await symlink(path.join(engine.layout.wpContent, kind), siteDir);
      }
    },
    async undo(ctx) {
      await restoreContent(ctx.plan, ctx.backupDir, ctx.manifest);
    },
  },
  switchStep<ConvertContext>({
    name: 'link-core',
    description: 'link wp/ to the shared core and install the front controller',
    async point({ engine, plan }) {
      await symlink(engine.layout.current, plan.paths.coreLink);
      await writeFileAtomic(plan.paths.index, frontControllerSource(), 0o644);
    },
    async pointBack({ plan }) {
      await rm(plan.paths.coreLink, { force: true });
      await rm(plan.paths.index, { force: true });
    },
  }),
  {
    name: 'patch-config',
    description: 'add the shared-core block to wp-config.php',
    async run({ engine, plan }) {
      const info = await engine.wo.siteInfo(plan.domain);
      await patchSiteConfig(engine.layout, plan.paths.config, plan.domain, info?.ssl ?? false, await engine.webUser());
    },
    async undo({ plan, originalConfig }) {
      await writeFileAtomic(plan.paths.config, originalConfig, 'keep');
    },
  },
  {
    name: 'upgrade-db',
    description: 'snapshot and upgrade the DB to the shared core schema',
    async run({ engine, plan, backupDir, manifest }) {
      if (!plan.dbUpgrade) return;
      manifest.dbSnapshot = await snapshotSiteDb(engine, snapshotBatchOfBackup(backupDir), plan.domain, plan.siteDbVersion);
      await writeManifest(backupDir, manifest);
      await upgradeSiteDb(engine, plan.domain, plan.release.dbVersion);
    },
    async undo({ engine, manifest }) {
      if (manifest.dbSnapshot) await restoreSiteDb(engine, manifest.dbSnapshot);
    },
  },
  {
    name: 'verify',
    description: 'check the site serves the shared core',
    async run({ engine, plan }) {
      await engine.fpm.resetAll();
      await waitUntilServing(engine, [plan.domain], { wpVersion: plan.release.version, dbVersion: plan.release.dbVersion });
    },
  },
];

/** convert as data: its steps, then on failure the backup goes (the steps restored everything it held). */
const convertRecipe: Recipe<ConvertContext> = {
  steps: convertSteps,
  failed: {
    name: 'drop-backup',
    description: 'remove the convert backup',
    async run({ backupDir }) {
      await rm(backupDir, { recursive: true, force: true });
    },
  },
  succeeded: [
    {
      name: 'mark-converted',
      description: 'mark the backup as a finished convert',
      async run({ backupDir, manifest }) {
        manifest.status = 'converted';
        await writeManifest(backupDir, manifest);
      },
    },
  ],
};

/** Turn a traditional WordOps site into a shared-core site (the caller holds the lock). */
export async function convertSite(engine: Engine, domain: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const plan = await planConvert(engine, domain, options);
  if (plan.conflicts.length > 0) {
    throw new StateError(`cannot convert ${domain}: ${plan.conflicts.join('; ')} (resolve these in the shared tree or the site first)`);
  }
  const backupDir = await createBackupDir(engine.layout, domain, engine.now());
  const manifest: BackupManifest = {
    domain,
    createdAt: engine.now().toISOString(),
    status: 'converting',
    release: plan.release.id,
    coreEntries: [],
    contentDirs: [],
    sharedAdded: [],
    configMovedUp: plan.configMovedUp,
  };
  await writeManifest(backupDir, manifest);
  const originalConfig = await readFile(plan.configMovedUp ? path.join(plan.paths.htdocs, 'wp-config.php') : plan.paths.config, 'utf8');
  await runRecipe({ engine, plan, backupDir, manifest, originalConfig }, convertRecipe, (e) => {
    if (e.kind === 'start') engine.progress(`${domain}: ${e.description}`);
  });
  return { plan, backupDir };
}

export async function restoreCore(
  plan: Pick<ConvertPlan, 'paths' | 'configMovedUp'>,
  backupDir: string,
  manifest: BackupManifest,
): Promise<void> {
  for (const name of manifest.coreEntries.splice(0)) {
    const target = path.join(plan.paths.htdocs, name);
    await rm(target, { recursive: true, force: true });
    await moveEntry(path.join(backupHtdocs(backupDir), name), target);
  }
  if (
    plan.configMovedUp &&
    (await stat(plan.paths.config).then(
      () => true,
      () => false,
    ))
  ) {
    await moveEntry(plan.paths.config, path.join(plan.paths.htdocs, 'wp-config.php'));
  }
}

export async function restoreContent(plan: Pick<ConvertPlan, 'paths'>, backupDir: string, manifest: BackupManifest): Promise<void> {
  for (const kind of ['plugins', 'themes', 'mu-plugins'] as const) {
    await rm(path.join(plan.paths.wpContent, kind), { force: true, recursive: false }).catch(() => undefined);
  }
  for (const kind of manifest.contentDirs.splice(0)) {
    await moveEntry(path.join(backupContent(backupDir), kind), path.join(plan.paths.wpContent, kind));
  }
}
