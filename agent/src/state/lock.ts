import { open, readFile, rename, rm } from 'node:fs/promises';
import { LockHeldError } from '@wofleet/shared';

export interface LockHolder {
  pid: number;
  command: string;
  startedAt: string;
}

export interface HeldLock {
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(lockFile: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(lockFile, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.command === 'string') {
      return { pid: parsed.pid, command: parsed.command, startedAt: String(parsed.startedAt ?? '') };
    }
  } catch {
    // Unreadable or half-written by a process that died mid-write: treated as stale.
  }
  return undefined;
}

/**
 * One mutating command per server. The lock file is created with O_EXCL, so two
 * commands can never both believe they hold it; a lock left by a dead process is
 * moved aside (rename is atomic, so only one contender wins) and taken over.
 */
export async function acquireLock(lockFile: string, command: string): Promise<HeldLock> {
  const me: LockHolder = { pid: process.pid, command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(lockFile, 'wx', 0o644);
      try {
        await handle.writeFile(JSON.stringify(me));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return {
        release: async () => {
          const holder = await readHolder(lockFile);
          if (holder?.pid === me.pid) await rm(lockFile, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(lockFile);
    if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
      throw new LockHeldError(holder.pid, holder.command);
    }
    await rename(lockFile, `${lockFile}.stale-${process.pid}-${attempt}`).catch(() => undefined);
    await rm(`${lockFile}.stale-${process.pid}-${attempt}`, { force: true });
  }
  throw new LockHeldError(0, 'unknown', 'could not take the server lock: it keeps changing hands');
}
