import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { LockHeldError } from './errors.js';

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

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.command === 'string') {
      return { pid: parsed.pid, command: parsed.command, startedAt: String(parsed.startedAt ?? '') };
    }
  } catch {
    // Unreadable: the lock file is always complete when it appears (see below), so this is damage.
  }
  return undefined;
}

/**
 * One holder at a time (the agent: one mutating command per server; the controller:
 * one process per PGlite data dir). The holder record is written to a private
 * file first and then hard-linked into place: link(2) fails if the lock exists,
 * so exactly one contender wins and the lock never appears half-written. A lock
 * whose holder died is moved aside and checked before it is taken over, so a
 * contender that lost the race never steals a live lock.
 */
export async function acquireLock(lockFile: string, command: string): Promise<HeldLock> {
  const me: LockHolder = { pid: process.pid, command, startedAt: new Date().toISOString() };
  const mine = `${lockFile}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(mine, JSON.stringify(me), { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await link(mine, lockFile);
        return {
          release: async () => {
            const holder = await readHolder(lockFile);
            if (holder?.pid === me.pid && holder.startedAt === me.startedAt) await rm(lockFile, { force: true });
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readHolder(lockFile);
      if (holder && isAlive(holder.pid)) throw new LockHeldError(holder.pid, holder.command);
      const aside = `${lockFile}.stale-${process.pid}-${attempt}`;
      if (
        await rename(lockFile, aside).then(
          () => true,
          () => false,
        )
      ) {
        const moved = await readHolder(aside);
        // Lost a race: what we moved aside is a live lock taken meanwhile; put it back.
        if (moved && isAlive(moved.pid)) await link(aside, lockFile).catch(() => undefined);
        await rm(aside, { force: true });
      }
    }
    throw new LockHeldError(0, 'unknown', 'could not take the server lock: it keeps changing hands');
  } finally {
    await rm(mine, { force: true });
  }
}
