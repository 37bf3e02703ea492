import { cp, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Layout } from '../config/paths.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { snapshotSchema } from '../state/store.js';

/**
 * What `convert` moved out of a site and where, so a failed convert can be
 * undone and `convert --revert` can restore the original site exactly.
 */
const manifestSchema = z.object({
  domain: z.string(),
  createdAt: z.string(),
  status: z.enum(['converting', 'converted', 'reverted']),
  release: z.string(),
  coreEntries: z.array(z.string()),
  contentDirs: z.array(z.enum(['plugins', 'themes', 'mu-plugins'])),
  sharedAdded: z.array(z.string()),
  configMovedUp: z.boolean(),
  dbSnapshot: snapshotSchema.optional(),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

export interface SiteBackup {
  dir: string;
  manifest: BackupManifest;
}

export const backupHtdocs = (dir: string) => path.join(dir, 'htdocs');
export const backupContent = (dir: string) => path.join(dir, 'wp-content');
export const backupConfig = (dir: string) => path.join(dir, 'wp-config.php');

export async function createBackupDir(layout: Layout, domain: string, stamp: Date): Promise<string> {
  const dir = path.join(layout.backupsDir, `${domain}-${stamp.toISOString().replace(/[-:.]/g, '')}`);
  await mkdir(backupHtdocs(dir), { recursive: true, mode: 0o700 });
  await mkdir(backupContent(dir), { recursive: true, mode: 0o700 });
  return dir;
}

export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  await writeFileAtomic(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
}

/** The newest backup of a site in the given status. */
export async function findBackup(layout: Layout, domain: string, status: BackupManifest['status']): Promise<SiteBackup | undefined> {
  const names = (await readdir(layout.backupsDir).catch(() => [] as string[]))
    .filter((n) => n.startsWith(`${domain}-`))
    .sort()
    .reverse();
  for (const name of names) {
    const dir = path.join(layout.backupsDir, name);
    const raw = await readFile(path.join(dir, 'manifest.json'), 'utf8').catch(() => undefined);
    if (!raw) continue;
    const parsed = manifestSchema.safeParse(JSON.parse(raw));
    if (parsed.success && parsed.data.domain === domain && parsed.data.status === status) return { dir, manifest: parsed.data };
  }
  return undefined;
}

export async function removeBackups(layout: Layout, domain: string): Promise<void> {
  const names = (await readdir(layout.backupsDir).catch(() => [] as string[])).filter((n) => n.startsWith(`${domain}-`));
  for (const name of names) await rm(path.join(layout.backupsDir, name), { recursive: true, force: true });
}

/** rename(2) when both sides share a filesystem, else copy then delete. */
export async function moveEntry(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await cp(from, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    await rm(from, { recursive: true, force: true });
  }
}
