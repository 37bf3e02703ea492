import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';

/** fsync a directory so a rename or new entry in it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function tempNameBeside(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
}

/**
 * Write a file so that readers see either the old or the new content, never a
 * mix: temp file beside it, fsync, rename(2) over it, fsync the directory.
 * With mode 'keep', an existing file keeps its owner and mode (a site's
 * wp-config.php belongs to the web user; a root-owned copy would lock PHP out).
 * With `owner`, the file has that owner from the moment it appears: a secret PHP
 * must read is never briefly unreadable, nor ever briefly readable by others.
 * `data` is the content, or a writer that fills the open temp file (a DB dump
 * streamed from a child process).
 */
export async function writeFileAtomic(
  target: string,
  data: string | ((handle: FileHandle) => Promise<void>),
  mode: number | 'keep' = 0o644,
  owner?: { uid: number; gid: number },
): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const previous = mode === 'keep' ? await stat(target) : undefined;
  const finalMode = previous ? previous.mode & 0o7777 : mode === 'keep' ? 0o644 : mode;
  const tmp = tempNameBeside(target);
  const handle = await open(tmp, 'wx', finalMode);
  try {
    await (typeof data === 'string' ? handle.writeFile(data) : data(handle));
    await handle.chmod(finalMode);
    const finalOwner = owner ?? previous;
    if (finalOwner) await handle.chown(finalOwner.uid, finalOwner.gid);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(path.dirname(target));
}

/**
 * Point `link` at `target` atomically (DESIGN §5.1): `ln -sfn` unlinks first and
 * leaves a moment with no link; a new link renamed over the old one never does.
 */
export async function switchLink(link: string, target: string): Promise<void> {
  const tmp = tempNameBeside(link);
  await symlink(target, tmp);
  try {
    await rename(tmp, link);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(path.dirname(link));
}
