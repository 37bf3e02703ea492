import { chmod, chown, stat } from 'node:fs/promises';

/**
 * Gives an existing file this owner and mode; true when anything changed, false also
 * when the file is absent. Mode first: a file readable by others is never handed to
 * another owner still readable by them.
 */
export async function restrictFileAccess(file: string, owner: { uid: number; gid: number }, mode: number): Promise<boolean> {
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!st) return false;
  const modeWrong = (st.mode & 0o7777) !== mode;
  const ownerWrong = st.uid !== owner.uid || st.gid !== owner.gid;
  if (modeWrong) await chmod(file, mode);
  if (ownerWrong) await chown(file, owner.uid, owner.gid);
  return modeWrong || ownerWrong;
}
