import { chmod, lstat, opendir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Visit every entry below `root` without following symlinks (a site's `wp` link
 * must never make the shared core count as the site's bytes).
 */
export async function walkTree(root: string, visit: (file: string, kind: 'file' | 'dir' | 'other') => Promise<void> | void): Promise<void> {
  const rootInfo = await lstat(root).catch(() => undefined);
  if (!rootInfo) return;
  if (!rootInfo.isDirectory()) {
    await visit(root, rootInfo.isFile() ? 'file' : 'other');
    return;
  }
  const dirs = [root];
  await visit(root, 'dir');
  while (dirs.length > 0) {
    const dir = dirs.pop() as string;
    const handle = await opendir(dir);
    for await (const entry of handle) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        dirs.push(full);
        await visit(full, 'dir');
      } else {
        await visit(full, entry.isFile() ? 'file' : 'other');
      }
    }
  }
}

/**
 * Bytes really allocated on disk below each root (st_blocks * 512), counting each
 * inode once across all roots given to the same counter: hard-linked release files
 * are paid for once, like `du` does.
 */
export function createDiskCounter(): { measure(root: string): Promise<number> } {
  const seen = new Set<string>();
  return {
    async measure(root) {
      let total = 0;
      await walkTree(root, async (file) => {
        const st = await lstat(file);
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) return;
        seen.add(key);
        total += st.blocks * 512;
      });
      return total;
    },
  };
}

/** Give a copied tree ordinary modes (dirs 0755, files 0644), e.g. content copied from a read-only release. */
export async function normaliseModes(root: string): Promise<void> {
  await walkTree(root, async (file, kind) => {
    if (kind === 'dir') await chmod(file, 0o755);
    else if (kind === 'file') await chmod(file, 0o644);
  });
}
