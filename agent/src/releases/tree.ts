import { chmodSync, readdirSync } from 'node:fs';
import { lstat, opendir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Directory-tree operations on releases. Releases are read-only (dirs 0555, files
 * 0444) and share file inodes through hard links, so only directory modes are ever
 * changed here: chmod on a file would change it in every release that links it.
 */

/**
 * Set every directory below and including `root` to `mode`. Synchronous: a release
 * has a few hundred directories, and sync readdir/chmod do them in a few ms where
 * the promise API takes tens.
 */
export function chmodDirectories(root: string, mode: number, options: { includeRoot?: boolean } = {}): void {
  for (const dir of listDirectories(root)) {
    if (dir !== root || options.includeRoot !== false) chmodSync(dir, mode);
  }
}

/**
 * Remove a tree that may be read-only: give directories back their owner's write
 * bit first (unlinking needs write access to the parent, even for a non-root agent).
 * A missing path is not an error.
 */
export async function removeTree(root: string): Promise<void> {
  const info = await lstat(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (info === undefined) return;
  if (info.isDirectory()) chmodDirectories(root, 0o755);
  await rm(root, { recursive: true, force: true });
}

/** Sum of file sizes in a tree, counting only inodes no other path links to (what deleting it frees). */
export async function measureExclusiveBytes(root: string): Promise<number> {
  let total = 0;
  for (const dir of listDirectories(root)) {
    const handle = await opendir(dir);
    for await (const entry of handle) {
      if (!entry.isFile()) continue;
      const st = await lstat(path.join(dir, entry.name));
      if (st.nlink === 1) total += st.size;
    }
  }
  return total;
}

function listDirectories(root: string): string[] {
  const found: string[] = [root];
  for (let i = 0; i < found.length; i++) {
    const dir = found[i] as string;
    // Dirent types come from getdents: a symlink is never reported as a directory.
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) found.push(path.join(dir, entry.name));
    }
  }
  return found;
}
